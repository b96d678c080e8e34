//! The guest's initramfs: a static busybox, the modules that reach the host's files (virtio,
//! 9p, overlay), and two shell stages. Stage 1 mounts the host's root read-only over 9p under
//! a tmpfs overlay and switches to it; stage 2 runs the test binaries one after the other and
//! reports on a virtio-serial port named `results` (see [`super::MARK`] for the protocol).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::{host, kernel, MARK};

/// Modules stage 1 loads to reach the host's files, dependencies resolved from `modules.dep`.
const BOOT_MODULES: &[&str] = &["virtio_pci", "virtio_console", "9pnet_virtio", "9p", "overlay"];

/// One test binary for the guest to run.
pub struct GuestTest {
    /// The test's source file, relative to the workspace: how reports name it.
    pub label: String,
    pub program: PathBuf,
    /// The package directory: the working directory and `CARGO_MANIFEST_DIR`, as cargo has it.
    pub package_dir: PathBuf,
    pub package: String,
}

/// What the guest does once booted.
pub struct Plan {
    pub tests: Vec<GuestTest>,
    /// Arguments for every test binary (a test name filter, `--nocapture`, ...).
    pub args: Vec<String>,
    /// Environment every test binary gets, besides its package's.
    pub env: Vec<(String, String)>,
    /// Modules loaded before the tests (autoload would also find them; loading them up front
    /// is faster and makes a missing one a clear note rather than a puzzling test failure).
    pub modules: Vec<String>,
    /// Run the remaining binaries after one fails.
    pub keep_going: bool,
    /// Boot the guest's root with systemd as PID 1 instead of running the tests from the
    /// initramfs; a unit of the boot runs them.
    pub systemd: Option<SystemdBoot>,
}

/// A boot with systemd as PID 1 (Debian's, from the host's root): what to add to the guest's
/// root before it starts, and the unit it starts. A unit in `files` runs `/run/vm/stage2`,
/// which runs the tests and powers the guest off.
pub struct SystemdBoot {
    /// Files to write into the guest's root: absolute path, mode, contents.
    pub files: Vec<(String, u32, Vec<u8>)>,
    /// Symbolic links to make in the guest's root (as `systemctl enable` would): path, target.
    pub links: Vec<(String, String)>,
    /// Host directories to bind at another path of the guest's root: host path, guest path.
    pub binds: Vec<(String, String)>,
    /// The unit systemd starts (`--unit=`), a small target of our own, so the boot does only
    /// what the tests need.
    pub unit: String,
}

/// The initramfs as an uncompressed newc cpio archive.
pub fn build(kernel: &kernel::Kernel, busybox: &Path, plan: &Plan) -> Result<Vec<u8>> {
    let busybox_elf = fs::read(busybox).with_context(|| format!("reading {}", busybox.display()))?;
    if has_interpreter(&busybox_elf) {
        bail!("{} is linked dynamically; the initramfs needs busybox-static", busybox.display());
    }
    let mut cpio = Cpio::default();
    for dir in ["bin", "dev", "proc", "sys", "lower", "upper", "newroot", "vm"] {
        cpio.dir(dir);
    }
    // So that init starts with its stdio on the console rather than closed.
    cpio.char_device("dev/console", 5, 1);
    cpio.file("bin/busybox", 0o755, &busybox_elf);
    // Stage 1 loads all modules from memory with busybox insmod: cheaper under emulation than
    // modprobe reading them over 9p. Boot modules must load; the tests' are reported if not.
    let mut boot = String::new();
    let mut extra = String::new();
    let mut notes = String::new();
    let mut packed = HashSet::new();
    let mut pack = |ko: PathBuf, list: &mut String, cpio: &mut Cpio| -> Result<()> {
        let name = format!("{}.ko", kernel::module_name(&ko.to_string_lossy()));
        if packed.insert(name.clone()) {
            cpio.file(&format!("vm/{name}"), 0o644, &module_bytes(&ko)?);
            list.push_str(&name);
            list.push('\n');
        }
        Ok(())
    };
    for ko in kernel::module_files(&kernel.modules, BOOT_MODULES)? {
        pack(ko, &mut boot, &mut cpio)?;
    }
    for m in &plan.modules {
        match kernel::module_files(&kernel.modules, &[m.as_str()]) {
            Ok(files) => {
                for ko in files {
                    pack(ko, &mut extra, &mut cpio)?;
                }
            }
            Err(e) => notes += &format!("{e}\n"),
        }
    }
    cpio.file("vm/modules", 0o644, boot.as_bytes());
    cpio.file("vm/test-modules", 0o644, extra.as_bytes());
    cpio.file("vm/notes", 0o644, notes.as_bytes());
    cpio.file("vm/moddir", 0o644, format!("{}\n", kernel.modules.display()).as_bytes());
    match &plan.systemd {
        None => {
            cpio.file("init", 0o755, STAGE1.as_bytes());
            cpio.file("vm/stage2", 0o644, stage2(plan).as_bytes());
        }
        Some(boot) => {
            let mut made = HashSet::new();
            let mut parents = |cpio: &mut Cpio, path: &str| {
                let mut at = String::from("vm/root");
                for part in
                    path.trim_start_matches('/').split('/').collect::<Vec<_>>().split_last().unwrap().1
                {
                    at = format!("{at}/{part}");
                    if made.insert(at.clone()) {
                        cpio.dir(&at);
                    }
                }
            };
            cpio.dir("vm/root");
            for (path, mode, data) in &boot.files {
                parents(&mut cpio, path);
                cpio.file(&format!("vm/root{path}"), *mode, data);
            }
            for (path, target) in &boot.links {
                parents(&mut cpio, path);
                cpio.symlink(&format!("vm/root{path}"), target);
            }
            let mut init = STAGE1.replace(STAGE1_EXEC, "");
            for (host, guest) in &boot.binds {
                init += &format!(
                    "$B mkdir -p /newroot{g}\n$B mount --bind /newroot{h} /newroot{g} || fail \"binding {h}\"\n",
                    g = quote(guest),
                    h = quote(host)
                );
            }
            init += &format!(
                "$B cp -a /vm/root/. /newroot/ || fail \"copying the units\"\n\
                 exec $B switch_root /newroot /lib/systemd/systemd --unit={}\n",
                quote(&boot.unit)
            );
            cpio.file("init", 0o755, init.as_bytes());
            cpio.file("vm/stage2", 0o644, stage2(plan).as_bytes());
        }
    }
    Ok(cpio.finish())
}

/// A module file's ELF bytes, decompressed with the matching tool when it is `.ko.xz` etc.
fn module_bytes(path: &Path) -> Result<Vec<u8>> {
    let data = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.to_string_lossy();
    let (tool, package) = match () {
        _ if name.ends_with(".ko") => return Ok(data),
        _ if name.ends_with(".ko.xz") => ("xz", "xz-utils"),
        _ if name.ends_with(".ko.zst") => ("zstd", "zstd"),
        _ if name.ends_with(".ko.gz") => ("gzip", "gzip"),
        _ => bail!("unknown module format: {name}"),
    };
    host::require(&[(tool, package)])?;
    let elf = kernel::decompress(tool, &["-dcq"], &data)?;
    if !elf.starts_with(b"\x7fELF") {
        bail!("{tool} could not decompress {name}");
    }
    Ok(elf)
}

/// Whether an ELF64 file has a `PT_INTERP` program header, i.e. needs a dynamic loader.
fn has_interpreter(elf: &[u8]) -> bool {
    let u16_at = |o: usize| elf.get(o..o + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u64_at =
        |o: usize| elf.get(o..o + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap()) as usize);
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| elf.get(phoff + i * phentsize..phoff + i * phentsize + 4) == Some(&3u32.to_le_bytes()))
}

/// Writer of the "new ASCII" cpio format the kernel unpacks initramfs images from.
#[derive(Default)]
pub struct Cpio {
    out: Vec<u8>,
    next_inode: u32,
}

impl Cpio {
    pub fn dir(&mut self, path: &str) {
        self.entry(path, 0o040_755, 2, (0, 0), &[]);
    }

    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) {
        self.entry(path, 0o100_000 | perm, 1, (0, 0), data);
    }

    pub fn symlink(&mut self, path: &str, target: &str) {
        self.entry(path, 0o120_777, 1, (0, 0), target.as_bytes());
    }

    pub fn char_device(&mut self, path: &str, major: u32, minor: u32) {
        self.entry(path, 0o020_600, 1, (major, minor), &[]);
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, 1, (0, 0), &[]);
        self.out
    }

    fn entry(&mut self, path: &str, mode: u32, nlink: u32, rdev: (u32, u32), data: &[u8]) {
        self.next_inode += 1;
        let fields = [
            self.next_inode,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime
            data.len() as u32,
            0, // dev major
            0, // dev minor
            rdev.0,
            rdev.1,
            path.len() as u32 + 1,
            0, // checksum (unused by newc)
        ];
        self.out.extend_from_slice(b"070701");
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(path.as_bytes());
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
    }

    /// Header+name and data each end on a 4-byte boundary.
    fn pad(&mut self) {
        self.out.resize(self.out.len().next_multiple_of(4), 0);
    }
}

// The module loops call `insmod` by name: Debian's busybox ash then runs the applet in a
// forked shell without exec'ing (FEATURE_SH_STANDALONE), cheaper under emulation. Applets
// that would re-exec busybox through /proc/self/exe (mount, reboot, ...) are called by path.
const STAGE1: &str = r#"#!/bin/busybox sh
# Stage 1 (initramfs): load the modules, make the root an overlay of the host's / (read-only
# over 9p) and a tmpfs, and switch to it.
B=/bin/busybox
fail() { echo "vm-test(guest): $*" > /dev/console; $B reboot -f; }
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod /vm/$m || fail "insmod $m"; done < /vm/modules
while read -r m; do
    insmod /vm/$m 2>> /vm/notes || echo "insmod $m failed" >> /vm/notes
done < /vm/test-modules
O=trans=virtio,version=9p2000.L,msize=512000
$B mount -t 9p -o ro,$O,cache=loose hostroot /lower || fail "mounting the host's root over 9p"
$B mount -t tmpfs -o mode=0755 tmpfs /upper
$B mkdir -p /upper/u /upper/w
$B mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w overlay /newroot \
    || fail "overlay mount"
$B mount -t tmpfs -o mode=0755 tmpfs /newroot/run
# A kernel unpacked into the build tree: bind its modules where modprobe looks.
read -r M < /vm/moddir
if [ "$M" != "/lib/modules/${M##*/}" ]; then
    $B mkdir -p "/newroot/lib/modules/${M##*/}"
    $B mount --bind "/newroot$M" "/newroot/lib/modules/${M##*/}" || fail "binding $M"
fi
$B mkdir -p /newroot/run/vm
$B cp -a /vm/stage2 /vm/notes /bin/busybox /newroot/run/vm/
$B mount --move /dev /newroot/dev
$B umount /proc /sys
exec $B switch_root /newroot /run/vm/busybox sh /run/vm/stage2
"#;

/// How stage 1 ends when the tests run from the initramfs; a systemd boot ends otherwise.
const STAGE1_EXEC: &str = "exec $B switch_root /newroot /run/vm/busybox sh /run/vm/stage2\n";

/// Stage 2 under systemd: run by a unit, with everything mounted already.
const STAGE2_SYSTEMD_HEAD: &str = r#"# Stage 2, run by a unit of the systemd boot. Runs the tests, reporting on the port "results".
B=/run/vm/busybox
PORT=
for p in /sys/class/virtio-ports/*; do
    read -r name < "$p/name" && [ "$name" = results ] && PORT=/dev/${p##*/}
done
[ -n "$PORT" ] || { echo "vm-test(guest): no results port" > /dev/console; $B reboot -f; }
exec 3> "$PORT"
say() { echo "@@MARK@@ $*" >&3; }
read -r uptime _ < /proc/uptime
say ready $uptime
while read -r line; do say note "$line"; done < /run/vm/notes
stop=0
"#;

const STAGE2_HEAD: &str = r#"# Stage 2: PID 1 on the overlay root. Runs the test binaries, reporting on the port "results".
B=/run/vm/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts devpts /dev/pts
$B mount -t tmpfs -o mode=1777 tmpfs /dev/shm
$B mount -t tmpfs -o mode=1777 tmpfs /tmp
$B ln -sfn /proc/self/fd /dev/fd
$B ip link set lo up
PORT=
for p in /sys/class/virtio-ports/*; do
    read -r name < "$p/name" && [ "$name" = results ] && PORT=/dev/${p##*/}
done
[ -n "$PORT" ] || { echo "vm-test(guest): no results port" > /dev/console; $B reboot -f; }
# A virtio port opens once at a time: keep it open on fd 3 for everything.
exec 3> "$PORT"
say() { echo "@@MARK@@ $*" >&3; }
read -r uptime _ < /proc/uptime
say ready $uptime
while read -r line; do say note "$line"; done < /run/vm/notes
# Kinds the tests did not foresee still autoload, through modprobe.
MODPROBE=/sbin/modprobe
[ -x $MODPROBE ] || { $B ln -s busybox /run/vm/modprobe; MODPROBE=/run/vm/modprobe; }
echo $MODPROBE > /proc/sys/kernel/modprobe
stop=0
"#;

const STAGE2_TAIL: &str = r#"say done
exec 3>&-
echo 0 > /proc/sys/kernel/printk
$B reboot -f
"#;

/// Stage 2 for this plan: the fixed head and tail around one block per test binary.
fn stage2(plan: &Plan) -> String {
    let head = if plan.systemd.is_some() { STAGE2_SYSTEMD_HEAD } else { STAGE2_HEAD };
    let mut s = head.replace("@@MARK@@", MARK);
    for (i, test) in plan.tests.iter().enumerate() {
        let dir = test.package_dir.to_string_lossy();
        let mut env = plan.env.clone();
        env.push(("CARGO_MANIFEST_DIR".into(), dir.to_string()));
        env.push(("CARGO_PKG_NAME".into(), test.package.clone()));
        let mut command = format!("cd {} && exec $B env -i", quote(&dir));
        for (k, v) in &env {
            command += &format!(" {}", quote(&format!("{k}={v}")));
        }
        command += &format!(" {}", quote(&test.program.to_string_lossy()));
        for a in &plan.args {
            command += &format!(" {}", quote(a));
        }
        let on_failure = if plan.keep_going { "" } else { " stop=1;" };
        s += &format!(
            "if [ $stop = 0 ]; then\n    say begin {i}\n    ({command}) </dev/null >&3 2>&3\n    \
             rc=$?; say end {i} $rc; [ $rc = 0 ] ||{on_failure} :\nfi\n"
        );
    }
    s + STAGE2_TAIL
}

/// Single-quotes `s` for the shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpio_entries_are_aligned_newc() {
        let mut c = Cpio::default();
        c.dir("bin");
        c.file("bin/x", 0o755, b"hello");
        let out = c.finish();
        assert!(out.starts_with(b"070701"));
        assert_eq!(out.len() % 4, 0);
        // The first entry is a 110-byte header and "bin\0", padded to 116.
        let first_len = 116;
        assert_eq!(&out[first_len..first_len + 6], b"070701");
        let mode = std::str::from_utf8(&out[first_len + 14..first_len + 22]).unwrap();
        assert_eq!(u32::from_str_radix(mode, 16).unwrap(), 0o100_755);
        let size = std::str::from_utf8(&out[first_len + 54..first_len + 62]).unwrap();
        assert_eq!(u32::from_str_radix(size, 16).unwrap(), 5);
        let data_at = first_len + 116; // 110-byte header and "bin/x\0", already aligned
        assert_eq!(&out[data_at..data_at + 5], b"hello");
        assert!(out.windows(10).any(|w| w == b"TRAILER!!!"));
    }

    #[test]
    fn stage2_quotes_and_stops_on_failure() {
        let plan = Plan {
            tests: vec![GuestTest {
                label: "plugins/bond/tests/bond.rs".into(),
                program: "/t/deps/bond-1".into(),
                package_dir: "/w/plugins/bond".into(),
                package: "netplug-plugin-bond".into(),
            }],
            args: vec!["it's".into()],
            env: vec![("NETPLUG_IN_VM".into(), "1".into())],
            modules: vec!["bonding".into()],
            keep_going: false,
            systemd: None,
        };
        let s = stage2(&plan);
        assert!(s.contains(r"'/t/deps/bond-1' 'it'\''s'"), "{s}");
        assert!(s.contains("'NETPLUG_IN_VM=1' 'CARGO_MANIFEST_DIR=/w/plugins/bond'"), "{s}");
        assert!(s.contains("stop=1"));
        assert!(s.contains(&format!("echo \"{MARK} $*\"")));
    }

    #[test]
    fn dynamic_elf_is_detected() {
        let me = fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(has_interpreter(&me), "test binaries are linked dynamically");
        assert!(!has_interpreter(b"\x7fELF"));
    }
}
