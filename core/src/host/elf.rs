//! A look at a plugin file before `dlopen` maps it: its ELF header, and every segment the
//! loader would map lying inside the file.
//!
//! `dlopen` maps a shared object's loadable segments straight from the file; a segment that
//! reaches past the end of a truncated file (an upgrade interrupted half-way) is mapped all
//! the same, and the first touch of the missing part is a SIGBUS that kills netplug — every
//! verb, the boot service, the daemon. Reading the header and the program header table with
//! plain `read`s costs a few microseconds and turns that into one refused plugin.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// `PT_LOAD`: a segment the loader maps.
const PT_LOAD: u32 = 1;
/// `ET_DYN`: a shared object.
const ET_DYN: u16 = 3;

/// Check that `path` is a shared object for this machine whose loadable segments all lie
/// inside the file. The error completes "cannot be loaded: …".
pub fn check(path: &Path) -> Result<(), String> {
    let mut file = File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let size = file.metadata().map_err(|e| format!("cannot read it: {e}"))?.len();
    let mut header = [0u8; 64];
    let got = read_up_to(&mut file, &mut header).map_err(|e| format!("cannot read it: {e}"))?;
    let elf = Layout::of(&header[..got])?;
    let e_type = elf.u16(&header, 16);
    if e_type != ET_DYN {
        return Err(format!("it is an ELF file of type {e_type}, not a shared object"));
    }
    let (phoff, phentsize, phnum) = elf.program_headers(&header);
    if phnum == 0 || phentsize < elf.phdr_size() {
        return Err("its ELF header lists no usable program headers".into());
    }
    let table_end = (phentsize as u64).checked_mul(phnum as u64).and_then(|n| n.checked_add(phoff));
    if table_end.is_none_or(|end| end > size) {
        return Err(format!(
            "it is truncated or corrupt: its program headers end past the file's {size} bytes"
        ));
    }
    let mut table = vec![0u8; phentsize * phnum];
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(phoff))
        .map_err(|e| format!("cannot read it: {e}"))?;
    file.read_exact(&mut table).map_err(|e| format!("cannot read its program headers: {e}"))?;
    for (i, phdr) in table.chunks_exact(phentsize).enumerate() {
        let (p_type, offset, filesz) = elf.segment(phdr);
        if p_type != PT_LOAD {
            continue;
        }
        if offset.checked_add(filesz).is_none_or(|end| end > size) {
            return Err(format!(
                "it is truncated or corrupt: loadable segment {i} (bytes {offset}..{}) lies past the end of the \
                 file ({size} bytes)",
                offset.saturating_add(filesz)
            ));
        }
    }
    Ok(())
}

/// Read as much of `buf` as the file has.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// The word size and byte order of an ELF file, which must be this process's.
struct Layout {
    wide: bool,
    little: bool,
}

impl Layout {
    fn of(header: &[u8]) -> Result<Layout, String> {
        if header.len() < 16 || header[..4] != *b"\x7fELF" {
            return Err("it is not an ELF file (truncated or corrupt?)".into());
        }
        let wide = match header[4] {
            1 => false,
            2 => true,
            c => return Err(format!("its ELF class {c} is unknown")),
        };
        let little = match header[5] {
            1 => true,
            2 => false,
            d => return Err(format!("its ELF byte order {d} is unknown")),
        };
        if wide != cfg!(target_pointer_width = "64") || little != cfg!(target_endian = "little") {
            return Err("it is built for another kind of machine (word size or byte order)".into());
        }
        let layout = Layout { wide, little };
        if header.len() < layout.header_size() {
            return Err("it is truncated: its ELF header is incomplete".into());
        }
        Ok(layout)
    }

    fn header_size(&self) -> usize {
        if self.wide {
            64
        } else {
            52
        }
    }

    fn phdr_size(&self) -> usize {
        if self.wide {
            56
        } else {
            32
        }
    }

    /// `e_phoff`, `e_phentsize`, `e_phnum`.
    fn program_headers(&self, h: &[u8]) -> (u64, usize, usize) {
        if self.wide {
            (self.u64(h, 32), self.u16(h, 54) as usize, self.u16(h, 56) as usize)
        } else {
            (self.u32(h, 28) as u64, self.u16(h, 42) as usize, self.u16(h, 44) as usize)
        }
    }

    /// `p_type`, `p_offset`, `p_filesz`.
    fn segment(&self, p: &[u8]) -> (u32, u64, u64) {
        if self.wide {
            (self.u32(p, 0), self.u64(p, 8), self.u64(p, 32))
        } else {
            (self.u32(p, 0), self.u32(p, 4) as u64, self.u32(p, 16) as u64)
        }
    }

    fn u16(&self, b: &[u8], at: usize) -> u16 {
        let bytes = [b[at], b[at + 1]];
        if self.little {
            u16::from_le_bytes(bytes)
        } else {
            u16::from_be_bytes(bytes)
        }
    }

    fn u32(&self, b: &[u8], at: usize) -> u32 {
        let bytes = b[at..at + 4].try_into().expect("4 bytes");
        if self.little {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        }
    }

    fn u64(&self, b: &[u8], at: usize) -> u64 {
        let bytes = b[at..at + 8].try_into().expect("8 bytes");
        if self.little {
            u64::from_le_bytes(bytes)
        } else {
            u64::from_be_bytes(bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test executable's own file is an ELF file of this machine (not a shared object in
    /// every toolchain's output, so only its header and segments are checked here).
    fn own() -> Vec<u8> {
        std::fs::read(std::env::current_exe().unwrap()).unwrap()
    }

    #[test]
    fn truncated_and_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.so");
        std::fs::write(&path, b"").unwrap();
        assert!(check(&path).unwrap_err().contains("not an ELF file"));
        std::fs::write(&path, b"#!/bin/sh\n").unwrap();
        assert!(check(&path).unwrap_err().contains("not an ELF file"));

        let mut bytes = own();
        // Pretend to be a shared object (the header's e_type), then cut it short.
        bytes[16..18].copy_from_slice(&ET_DYN.to_ne_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(check(&path), Ok(()));
        // Cut one byte off the end of the last loadable segment (debug sections, not loaded,
        // may follow it).
        let elf = Layout::of(&bytes).unwrap();
        let (phoff, phentsize, phnum) = elf.program_headers(&bytes);
        let table = &bytes[phoff as usize..phoff as usize + phentsize * phnum];
        let end = table
            .chunks_exact(phentsize)
            .map(|p| elf.segment(p))
            .filter(|(t, _, _)| *t == PT_LOAD)
            .map(|(_, offset, filesz)| offset + filesz)
            .max()
            .unwrap();
        std::fs::write(&path, &bytes[..end as usize - 1]).unwrap();
        let e = check(&path).unwrap_err();
        assert!(e.contains("truncated or corrupt: loadable segment"), "{e}");
        std::fs::write(&path, &bytes[..40]).unwrap();
        assert!(check(&path).unwrap_err().contains("ELF header is incomplete"));
        bytes[4] = 9;
        std::fs::write(&path, &bytes).unwrap();
        assert!(check(&path).unwrap_err().contains("ELF class 9"));
    }
}
