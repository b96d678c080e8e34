//! The guest kernel: the machine's own Debian kernel when it has one, otherwise Debian's
//! current `linux-image-*-amd64` unpacked into the cache directory; plus the uncompressed
//! `vmlinux` for a faster boot and the module files the initramfs needs.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use super::host;
use crate::util::run;

/// A kernel and the directory of its modules, as the guest will see them.
pub struct Kernel {
    pub version: String,
    /// What qemu boots: the uncompressed ELF `vmlinux` when the kernel has a PVH entry point,
    /// else the `vmlinuz` bzImage.
    pub boot_image: PathBuf,
    /// `<root>/lib/modules/<version>`, with `modules.dep`.
    pub modules: PathBuf,
}

/// Finds or fetches the guest kernel. `NETPLUG_VM_KROOT` names a root holding
/// `boot/vmlinuz-*` and `lib/modules/*` to use instead.
pub fn prepare(cache: &Path) -> Result<Kernel> {
    let (root, version) = if let Some(root) = std::env::var_os("NETPLUG_VM_KROOT") {
        let root = PathBuf::from(root);
        let version = newest_with_modules(&root)
            .with_context(|| format!("NETPLUG_VM_KROOT={} holds no kernel with modules", root.display()))?;
        (root, version)
    } else if let Some(version) = newest_with_modules(Path::new("/")) {
        (PathBuf::from("/"), version)
    } else {
        let root = cache.join("kroot");
        let version = fetch(&root).context(
            "no kernel with modules in /boot, and fetching Debian's failed \
             (NETPLUG_VM_KROOT may name an unpacked linux-image package instead)",
        )?;
        (root, version)
    };
    let vmlinuz = root.join("boot").join(format!("vmlinuz-{version}"));
    let config = fs::read_to_string(root.join("boot").join(format!("config-{version}"))).unwrap_or_default();
    // Booting the ELF vmlinux through its PVH entry point skips the BIOS real-mode path and
    // the decompression inside the guest, which under TCG costs seconds.
    let boot_image = if config.lines().any(|l| l == "CONFIG_PVH=y") {
        uncompressed(&vmlinuz, &cache.join(format!("vmlinux-{version}")))?.unwrap_or(vmlinuz)
    } else {
        vmlinuz
    };
    let modules = root.join("lib/modules").join(&version);
    Ok(Kernel { version, boot_image, modules })
}

/// The newest `boot/vmlinuz-V` under `root` whose `lib/modules/V/modules.dep` exists.
fn newest_with_modules(root: &Path) -> Option<String> {
    let mut versions: Vec<String> = fs::read_dir(root.join("boot"))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_prefix("vmlinuz-").map(str::to_string))
        .filter(|v| root.join("lib/modules").join(v).join("modules.dep").is_file())
        .collect();
    versions.sort_by_key(|v| version_key(v));
    versions.pop()
}

/// Sort key comparing the numbers in a version as numbers (`6.10` after `6.9`).
fn version_key(v: &str) -> Vec<(u64, String)> {
    let mut key = Vec::new();
    let mut rest = v;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (num, tail) = rest.split_at(digits);
        let text_len = tail.len() - tail.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
        let (text, tail) = tail.split_at(text_len);
        key.push((num.parse().unwrap_or(0), text.to_string()));
        rest = tail;
    }
    key
}

/// Debian's current kernel for this release, unpacked into `root` once per version:
/// `apt-get download` + `dpkg-deb -x` + `depmod -b`. Nothing is installed on the machine.
fn fetch(root: &Path) -> Result<String> {
    let cached = newest_with_modules(root);
    let version = match current_debian_kernel() {
        Some(v) => v,
        None => match &cached {
            // No package lists (offline, or not Debian): the cached kernel will do.
            Some(v) => return Ok(v.clone()),
            None => {
                host::apt_update()?;
                current_debian_kernel().context("apt-cache knows no linux-image-amd64")?
            }
        },
    };
    if cached.as_deref() == Some(version.as_str()) {
        return Ok(version);
    }
    host::require(&[("apt-get", "apt"), ("dpkg-deb", "dpkg"), ("depmod", "kmod")])?;
    if let Err(e) = unpack(root, &version) {
        // Stale package lists name a version the mirror has dropped: refresh, retry once.
        eprintln!("vm: {e:#}; refreshing the package lists and retrying");
        host::apt_update()?;
        let version = current_debian_kernel().context("apt-cache knows no linux-image-amd64")?;
        unpack(root, &version)?;
        return Ok(version);
    }
    Ok(version)
}

/// Downloads `linux-image-<version>` and unpacks it as `root`, replacing what was there.
fn unpack(root: &Path, version: &str) -> Result<()> {
    eprintln!("vm: fetching kernel linux-image-{version} into {}", root.display());
    let parent = root.parent().context("kernel root has a parent")?;
    let download = parent.join("download");
    let unpacked = parent.join("kroot.new");
    for dir in [&download, &unpacked] {
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
        }
    }
    fs::create_dir_all(&download)?;
    // The sandbox user `_apt` may not write into a build tree: download as ourselves.
    run(Command::new("apt-get")
        .args(["download", "-q", "-o", "APT::Sandbox::User=root"])
        .arg(format!("linux-image-{version}"))
        .current_dir(&download))?;
    let deb = fs::read_dir(&download)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .context("apt-get download left no .deb")?;
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
    let depmod = host::find_program("depmod").context("depmod is missing")?;
    run(Command::new(depmod).arg("-b").arg(&unpacked).arg(version))?;
    if root.exists() {
        fs::remove_dir_all(root).with_context(|| format!("removing the old {}", root.display()))?;
    }
    fs::rename(&unpacked, root)?;
    fs::remove_dir_all(&download)?;
    Ok(())
}

/// The version `linux-image-amd64` depends on (`6.1.0-57-amd64`), from the local package lists.
fn current_debian_kernel() -> Option<String> {
    let out = Command::new("apt-cache").args(["depends", "linux-image-amd64"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: linux-image-"))
        .map(|v| v.trim_start_matches('<').trim_end_matches('>').to_string())
        .find(|v| v.ends_with("-amd64") && !v.contains(' '))
}

/// The ELF `vmlinux` inside a bzImage, cached at `out`; `None` when it cannot be found.
///
/// The bzImage carries it compressed after the setup code; the compressor varies (xz on
/// Debian 12, zstd on 13), so try each magic number where it occurs until one decompresses
/// into an ELF image. Trailing bytes after the stream make the tools complain; only the
/// output counts.
fn uncompressed(vmlinuz: &Path, out: &Path) -> Result<Option<PathBuf>> {
    let fresh = |o: &Path| -> Option<bool> {
        Some(fs::metadata(o).ok()?.modified().ok()? >= fs::metadata(vmlinuz).ok()?.modified().ok()?)
    };
    if fresh(out) == Some(true) {
        return Ok(Some(out.to_path_buf()));
    }
    let image = fs::read(vmlinuz).with_context(|| format!("reading {}", vmlinuz.display()))?;
    let formats: [(&[u8], &str, &[&str]); 3] = [
        (b"\xfd7zXZ\x00", "xz", &["-dcq"]),
        (b"\x28\xb5\x2f\xfd", "zstd", &["-dcq"]),
        (b"\x1f\x8b\x08", "gzip", &["-dcq"]),
    ];
    for (magic, tool, args) in formats {
        if !host::has_program(tool) {
            continue;
        }
        for pos in find_all(&image, magic).take(4) {
            let elf = decompress(tool, args, &image[pos..])?;
            if elf.starts_with(b"\x7fELF") {
                let tmp = out.with_extension("tmp");
                fs::write(&tmp, &elf).with_context(|| format!("writing {}", tmp.display()))?;
                fs::rename(&tmp, out)?;
                return Ok(Some(out.to_path_buf()));
            }
        }
    }
    eprintln!("vm: no vmlinux found inside {}; booting it compressed (slower)", vmlinuz.display());
    Ok(None)
}

fn find_all<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    hay.windows(needle.len()).enumerate().filter(move |(_, w)| *w == needle).map(|(i, _)| i)
}

/// Runs `tool args` with `input` on stdin and returns its stdout, whatever its exit status.
pub fn decompress(tool: &str, args: &[&str], input: &[u8]) -> Result<Vec<u8>> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("running {tool}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let out = std::thread::scope(|s| {
        // Feed stdin on its own thread so a full stdout pipe cannot deadlock us; the tool may
        // stop reading early (trailing garbage), so a broken pipe is fine.
        s.spawn(move || {
            let _ = stdin.write_all(input);
        });
        child.wait_with_output()
    })?;
    Ok(out.stdout)
}

/// The module files (`.ko`, maybe compressed) that loading `names` needs, dependencies first,
/// each once. Modules built into the kernel are left out.
pub fn module_files(modules: &Path, names: &[&str]) -> Result<Vec<PathBuf>> {
    let dep = fs::read_to_string(modules.join("modules.dep"))
        .with_context(|| format!("reading {}/modules.dep", modules.display()))?;
    let builtin = fs::read_to_string(modules.join("modules.builtin")).unwrap_or_default();
    let deps: Vec<(String, Vec<&str>)> = dep
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(path, deps)| (path.to_string(), deps.split_whitespace().collect()))
        .collect();
    let find = |name: &str| deps.iter().find(|(path, _)| module_name(path) == normalize(name));
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    fn visit<'d>(
        path: &'d str,
        deps: &'d [(String, Vec<&'d str>)],
        seen: &mut HashSet<&'d str>,
        order: &mut Vec<&'d str>,
    ) {
        if !seen.insert(path) {
            return;
        }
        if let Some((_, ds)) = deps.iter().find(|(p, _)| p == path) {
            for d in ds {
                visit(d, deps, seen, order);
            }
        }
        order.push(path);
    }
    for name in names {
        match find(name) {
            Some((path, _)) => visit(path, &deps, &mut seen, &mut order),
            None if builtin.lines().any(|l| module_name(l) == normalize(name)) => {}
            None => bail!("kernel module {name} is neither in modules.dep nor built in"),
        }
    }
    Ok(order.into_iter().map(|p| modules.join(p)).collect())
}

/// `kernel/fs/9p/9p.ko.xz` → `9p`; dashes and underscores are the same in module names.
pub fn module_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split(".ko").next().unwrap_or(file);
    normalize(stem)
}

fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        let mut v = vec!["6.10.1-amd64", "6.9.12-amd64", "6.1.0-57-amd64", "6.1.0-9-amd64"];
        v.sort_by_key(|v| version_key(v));
        assert_eq!(v, ["6.1.0-9-amd64", "6.1.0-57-amd64", "6.9.12-amd64", "6.10.1-amd64"]);
    }

    #[test]
    fn module_names_drop_path_and_compression() {
        assert_eq!(module_name("kernel/fs/9p/9p.ko.xz"), "9p");
        assert_eq!(module_name("kernel/net/9p/9pnet_virtio.ko"), "9pnet_virtio");
        assert_eq!(module_name("kernel/drivers/virtio/virtio-pci.ko.zst"), "virtio_pci");
    }

    #[test]
    fn dependencies_come_first_once() {
        let dir = tempdir();
        fs::write(
            dir.join("modules.dep"),
            "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko\n\
             kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko\n\
             kernel/net/9p/9pnet.ko:\nkernel/fs/netfs/netfs.ko:\n",
        )
        .unwrap();
        fs::write(dir.join("modules.builtin"), "kernel/drivers/virtio/virtio_pci.ko\n").unwrap();
        let files = module_files(&dir, &["virtio_pci", "9pnet_virtio", "9p"]).unwrap();
        let names: Vec<String> = files.iter().map(|p| module_name(p.to_str().unwrap())).collect();
        assert_eq!(names, ["9pnet", "9pnet_virtio", "netfs", "9p"]);
        assert!(module_files(&dir, &["bonding"]).is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-kernel-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
