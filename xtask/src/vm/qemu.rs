//! One qemu boot: the command line, a wall-clock timeout, and the guest's two outputs (the
//! serial console and the `results` virtio-serial port) relayed as they grow.
//!
//! qemu writes both outputs to plain files that we follow; this needs no FIFOs or threads,
//! and the files stay behind in the cache directory for a post-mortem.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How to boot.
pub struct Vm<'a> {
    pub qemu: &'a Path,
    pub image: &'a Path,
    pub initrd: &'a Path,
    /// Where `console.log` and `results.log` are written.
    pub work: &'a Path,
    /// `kvm` or `tcg`.
    pub accel: &'a str,
    /// Show the kernel's log as it boots (`loglevel=7`), not only its panics.
    pub kernel_log: bool,
    pub memory: String,
    pub timeout: Duration,
}

/// How the boot ended.
pub struct Exit {
    /// `None` when we killed qemu at the timeout.
    pub status: Option<ExitStatus>,
    pub console: PathBuf,
}

/// Boots and calls `on_line` with each line the guest writes to its `results` port, as it
/// comes; with `kernel_log`, the console goes to stderr the same way.
pub fn run(vm: &Vm, on_line: &mut dyn FnMut(&str)) -> Result<Exit> {
    let console = vm.work.join("console.log");
    let results = vm.work.join("results.log");
    for f in [&console, &results] {
        let _ = std::fs::remove_file(f);
    }
    // cryptomgr.notests: the crypto self-tests cost a quarter second of emulated boot.
    let mut append =
        String::from("console=ttyS0 panic=-1 oops=panic rdinit=/init mitigations=off cryptomgr.notests");
    append += if vm.kernel_log { " loglevel=7" } else { " quiet loglevel=1" };
    if let Ok(extra) = std::env::var("NETPLUG_VM_APPEND") {
        append = format!("{append} {extra}");
    }
    let mut cmd = Command::new(vm.qemu);
    cmd.args(["-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"])
        .args(["-machine", "q35", "-smp", "1", "-m", &vm.memory])
        .args(match vm.accel {
            "kvm" => ["-accel", "kvm", "-cpu", "host"],
            _ => ["-accel", "tcg", "-cpu", "max"],
        })
        .arg("-kernel")
        .arg(vm.image)
        .arg("-initrd")
        .arg(vm.initrd)
        .args(["-append", &append])
        .args(["-chardev", &format!("file,id=con,path={}", escape(&console)), "-serial", "chardev:con"])
        .args(["-device", "virtio-serial-pci"])
        .args(["-chardev", &format!("file,id=results,path={}", escape(&results))])
        .args(["-device", "virtserialport,chardev=results,name=results"])
        // The host's root, read-only: the guest runs the host's binaries from their own paths.
        .args(["-fsdev", "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"])
        .args(["-device", "virtio-9p-pci,fsdev=root,mount_tag=hostroot"])
        .stdin(Stdio::null());
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {}", vm.qemu.display()))?;
    let mut results_tail = Tail::new(&results);
    let mut console_tail = Tail::new(&console);
    let mut print_console = |line: &str| eprintln!("{line}");
    let status = loop {
        let exited = child.try_wait()?;
        // After qemu exits the files are complete: also hand out an unterminated last line.
        let last = exited.is_some();
        results_tail.poll(last, on_line);
        if vm.kernel_log {
            console_tail.poll(last, &mut print_console);
        }
        if let Some(status) = exited {
            break Some(status);
        }
        if start.elapsed() > vm.timeout {
            let _ = child.kill();
            let _ = child.wait();
            results_tail.poll(true, on_line);
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Exit { status, console })
}

/// qemu's option syntax doubles commas inside a value.
fn escape(path: &Path) -> String {
    path.to_string_lossy().replace(',', ",,")
}

/// Follows a file that another process appends to, handing out whole lines.
struct Tail {
    path: PathBuf,
    file: Option<File>,
    partial: Vec<u8>,
}

impl Tail {
    fn new(path: &Path) -> Tail {
        Tail { path: path.to_path_buf(), file: None, partial: Vec::new() }
    }

    fn poll(&mut self, last: bool, on_line: &mut dyn FnMut(&str)) {
        if self.file.is_none() {
            // qemu creates the file when it starts.
            self.file = File::open(&self.path).ok();
        }
        if let Some(f) = &mut self.file {
            let _ = f.read_to_end(&mut self.partial);
        }
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            on_line(String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']));
        }
        if last && !self.partial.is_empty() {
            on_line(&String::from_utf8_lossy(&std::mem::take(&mut self.partial)));
        }
    }
}

/// The last `n` lines of a file, for a post-mortem when the guest died.
pub fn tail_lines(path: &Path, n: usize) -> String {
    let text = std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
