//! `vm-test`: the tests that need kernel features this machine's kernel lacks (bonding,
//! 802.1Q, dummy links) run inside one qemu guest booting Debian's kernel.
//!
//! The test binaries are built on the host; the guest sees the host's root filesystem
//! read-only over 9p (with a throw-away tmpfs on top), so it runs them from their own paths,
//! one after the other, with `NETPLUG_IN_VM=1`. One boot serves the whole tier: under TCG
//! emulation a boot costs seconds, a test binary much less.
//!
//! Guest tests are found by file name, see [`GUEST_TESTS`]; nothing lists them one by one.

mod host;
mod initramfs;
mod kernel;
mod qemu;
mod systemd;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::util::{cargo, root};
use initramfs::{GuestTest, Plan};

/// Integration test files the guest runs: (package directory, file pattern with one `*`).
const GUEST_TESTS: &[(&str, &str)] = &[
    ("plugins/bond", "tests/*.rs"),
    ("plugins/dummy", "tests/*.rs"),
    ("plugins/vlan", "tests/*.rs"),
    ("plugins/wireguard", "tests/*.rs"),
    ("tests", "tests/vm_*.rs"),
];

/// Modules the guest loads before the tests: the link kinds this machine's kernel lacks.
const GUEST_MODULES: &[&str] =
    &["bonding", "8021q", "dummy", "veth", "macvlan", "macvtap", "ipvlan", "vrf", "wireguard"];

/// Prefix of the guest's report lines on the `results` port: `ready <uptime>`, `note <text>`,
/// `begin <i>`, `end <i> <exit status>`, `done`. Everything else is test output.
pub const MARK: &str = "@@netplug-vm-test";

/// Build the guest tests (plugins/bond/tests, plugins/dummy/tests, plugins/vlan/tests,
/// plugins/wireguard/tests, tests/tests/vm_*.rs) and run
/// them in one qemu guest booting Debian's kernel; then boot the guest again with systemd as
/// PID 1 and netplug's units enabled, and run tests/tests/systemd_boot.rs there.
#[derive(clap::Args, Default)]
#[command(after_help = "Environment: NETPLUG_VM_TIMEOUT (seconds, 1800), NETPLUG_VM_MEM (1G), \
NETPLUG_VM_ACCEL (kvm|tcg), NETPLUG_VM_KROOT (a root with boot/ and lib/modules/), \
NETPLUG_VM_APPEND (extra kernel command line), NETPLUG_VM_KERNEL_LOG=1 (as --kernel-log). \
See docs/testing.md.")]
pub struct Args {
    /// Run every test binary after a failure.
    #[arg(long)]
    pub keep_going: bool,
    /// Show the guest kernel's log.
    #[arg(long)]
    pub kernel_log: bool,
    /// Leave out the boot with systemd as PID 1.
    #[arg(long, conflicts_with = "only_systemd")]
    pub no_systemd: bool,
    /// Only the boot with systemd as PID 1.
    #[arg(long)]
    pub only_systemd: bool,
    /// Arguments for every test binary (after --), e.g. a test name filter.
    #[arg(last = true, value_name = "TEST ARGS")]
    pub test_args: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let Args { keep_going, kernel_log, no_systemd, only_systemd, test_args } = args;
    let with_systemd = !no_systemd;
    let kernel_log = kernel_log || std::env::var("NETPLUG_VM_KERNEL_LOG").is_ok_and(|v| v == "1");

    if only_systemd {
        return systemd_boot(&test_args, kernel_log);
    }
    let tier = run_tier(&test_args, keep_going, kernel_log, started);
    if !with_systemd {
        return tier;
    }
    let boot = systemd_boot(&test_args, kernel_log);
    match (tier, boot) {
        (Ok(()), boot) => boot,
        (Err(tier), Ok(())) => Err(tier),
        (Err(tier), Err(boot)) => Err(tier.context(format!("and the systemd boot failed too: {boot:#}"))),
    }
}

/// The tier proper: every guest test binary in one boot.
fn run_tier(test_args: &[String], keep_going: bool, kernel_log: bool, started: Instant) -> Result<()> {
    let test_args = test_args.to_vec();
    let found = discover(&root())?;
    if found.is_empty() {
        println!("vm: no guest tests found ({GUEST_TESTS:?}); nothing to boot");
        return Ok(());
    }
    let tests = build(&found)?;
    let built = started.elapsed();

    // Guest tests are `#[ignore]`d on the host, where the kernel lacks their link kinds, so
    // they show as ignored there rather than as passed; the guest runs them.
    let mut args = vec!["--include-ignored".to_string()];
    args.extend(test_args);
    let plan = Plan {
        tests,
        args,
        env: guest_env(),
        modules: GUEST_MODULES.iter().map(|m| m.to_string()).collect(),
        keep_going,
        systemd: None,
    };
    let guest = Guest::prepare(&plan, kernel_log)?;
    println!(
        "vm: booting Linux {} ({}) for {} test binaries; build took {:.1} s",
        guest.kernel.version,
        guest.accel,
        plan.tests.len(),
        built.as_secs_f64()
    );

    let mut report = Report::new(&plan);
    let boot_started = Instant::now();
    let exit = guest.boot(&mut |line| report.line(line, boot_started))?;
    report.summary(boot_started.elapsed(), started.elapsed());

    if !report.done {
        return Err(guest.died(&exit));
    }
    // Keep a dead guest's files for a post-mortem; a finished run's are of no more use.
    fs::remove_dir_all(&guest.work)?;
    let labels = |pick: fn(&Binary) -> bool| -> Vec<&str> {
        report.binaries.iter().filter(|b| pick(b)).map(|b| b.label.as_str()).collect()
    };
    let failed = labels(|b| b.status.is_some_and(|rc| rc != 0));
    let not_run = labels(|b| b.status.is_none());
    if !failed.is_empty() || !not_run.is_empty() {
        let mut why = format!("vm tier: {} test binaries failed: {}", failed.len(), failed.join(", "));
        if !not_run.is_empty() {
            why += &format!("; not run after the first failure (see --keep-going): {}", not_run.join(", "));
        }
        bail!(why);
    }
    Ok(())
}

/// The systemd boot (see [`systemd`]): tests/tests/systemd_boot.rs, whose tests are ignored
/// elsewhere, run by a unit of a guest booted with systemd as PID 1.
fn systemd_boot(test_args: &[String], kernel_log: bool) -> Result<()> {
    let started = Instant::now();
    let src = root().join("tests/tests/systemd_boot.rs");
    let found = [Found {
        package: "netplug-tests".into(),
        package_dir: root().join("tests"),
        target: "systemd_boot".into(),
        src,
    }];
    let tests = build(&found)?;
    let mut args = vec!["--ignored".to_string(), "--test-threads=1".to_string()];
    args.extend(test_args.iter().cloned());
    let plan = Plan {
        tests,
        args,
        env: guest_env(),
        modules: GUEST_MODULES.iter().map(|m| m.to_string()).collect(),
        keep_going: true,
        systemd: Some(systemd::boot(&target_dir().join("debug"))?),
    };
    let guest = Guest::prepare(&plan, kernel_log)?;
    println!(
        "vm: booting Linux {} ({}) with systemd as PID 1 ({})",
        guest.kernel.version,
        guest.accel,
        systemd::TARGET
    );
    let mut report = Report::new(&plan);
    let boot_started = Instant::now();
    let exit = guest.boot(&mut |line| report.line(line, boot_started))?;
    report.summary(boot_started.elapsed(), started.elapsed());
    if !report.done {
        return Err(guest.died(&exit));
    }
    fs::remove_dir_all(&guest.work)?;
    match report.binaries.first().and_then(|b| b.status) {
        Some(0) => Ok(()),
        other => bail!("vm: the systemd boot's tests failed (exit status {other:?})"),
    }
}

/// A guest ready to boot: the kernel, and this run's directory holding the initramfs of a plan.
struct Guest {
    kernel: kernel::Kernel,
    work: PathBuf,
    initrd: PathBuf,
    accel: &'static str,
    /// Seconds the whole boot may take (`NETPLUG_VM_TIMEOUT`).
    timeout: u64,
    kernel_log: bool,
}

impl Guest {
    /// The host programs, the kernel (fetched once, under a lock: engineers share one tree),
    /// this run's directory and the initramfs that carries out `plan`.
    fn prepare(plan: &Plan, kernel_log: bool) -> Result<Guest> {
        host::require(&[("qemu-system-x86_64", "qemu-system-x86"), ("busybox", "busybox-static")])?;
        let cache = target_dir().join("vm");
        fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
        let kernel = {
            // Another engineer's run may be fetching the same kernel into the same tree.
            let lock = fs::File::create(cache.join("lock"))?;
            lock.lock().context("locking the vm cache")?;
            kernel::prepare(&cache)?
        };
        let work = run_dir(&cache)?;
        let busybox = host::find_program("busybox").expect("required above");
        let initrd = work.join("initrd.cpio");
        fs::write(&initrd, initramfs::build(&kernel, &busybox, plan)?)?;
        Ok(Guest {
            kernel,
            work,
            initrd,
            accel: host::accelerator()?,
            timeout: env_number("NETPLUG_VM_TIMEOUT", 1800)?,
            kernel_log,
        })
    }

    /// Boots, handing each line the guest writes to its `results` port to `on_line`.
    fn boot(&self, on_line: &mut dyn FnMut(&str)) -> Result<qemu::Exit> {
        let qemu = host::find_program("qemu-system-x86_64").expect("required by prepare");
        qemu::run(
            &qemu::Vm {
                qemu: &qemu,
                image: &self.kernel.boot_image,
                initrd: &self.initrd,
                work: &self.work,
                accel: self.accel,
                kernel_log: self.kernel_log,
                memory: std::env::var("NETPLUG_VM_MEM").unwrap_or_else(|_| "1G".into()),
                timeout: Duration::from_secs(self.timeout),
            },
            on_line,
        )
    }

    /// The error for a guest that stopped before saying `done`, after showing the tail of its
    /// console (unless the whole console was shown already).
    fn died(&self, exit: &qemu::Exit) -> anyhow::Error {
        let why = match exit.status {
            None => format!("timed out after {} s (NETPLUG_VM_TIMEOUT)", self.timeout),
            Some(s) => format!("qemu exited ({s})"),
        };
        if !self.kernel_log {
            eprintln!("vm: last lines of the guest console ({}):", exit.console.display());
            eprintln!("{}", qemu::tail_lines(&exit.console, 30));
        }
        anyhow::anyhow!(
            "vm: the guest stopped before finishing: {why}; retry with --kernel-log \
             (vm-test) or NETPLUG_VM_KERNEL_LOG=1"
        )
    }
}

/// One command line for [`run_command`]: a program on the host's filesystem, which the guest
/// runs from the same path.
pub struct GuestCommand {
    /// How messages name it.
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The working directory, also given as `CARGO_MANIFEST_DIR`.
    pub dir: PathBuf,
}

/// Boots the tier's guest (its modules loaded, the host's root read-only under a throw-away
/// tmpfs) and runs one command in it with the tier's environment (`NETPLUG_IN_VM=1`, `PATH`,
/// ...). Each line the command writes, stdout and stderr together, goes to `on_line` as it
/// comes: that output is all that comes back, the guest writes nothing on the host. Returns the
/// command's exit status; fails when the guest dies or `NETPLUG_VM_TIMEOUT` passes first.
pub fn run_command(cmd: &GuestCommand, on_line: &mut dyn FnMut(&str)) -> Result<i32> {
    let plan = Plan {
        tests: vec![GuestTest {
            label: cmd.label.clone(),
            program: cmd.program.clone(),
            package_dir: cmd.dir.clone(),
            package: cmd.label.clone(),
        }],
        args: cmd.args.clone(),
        env: guest_env(),
        modules: GUEST_MODULES.iter().map(|m| m.to_string()).collect(),
        keep_going: false,
        systemd: None,
    };
    let kernel_log = std::env::var("NETPLUG_VM_KERNEL_LOG").is_ok_and(|v| v == "1");
    let guest = Guest::prepare(&plan, kernel_log)?;
    eprintln!("vm: booting Linux {} ({}) for {}", guest.kernel.version, guest.accel, cmd.label);
    let mut status = None;
    let mut done = false;
    let exit = guest.boot(&mut |line| match line.strip_prefix(MARK).map(str::trim) {
        None => on_line(line),
        Some(event) => {
            let words: Vec<&str> = event.split_whitespace().collect();
            match words.as_slice() {
                ["end", _, rc] => status = rc.parse().ok(),
                ["done"] => done = true,
                ["note", ..] => eprintln!("vm: note: {}", words[1..].join(" ")),
                _ => {}
            }
        }
    })?;
    if !done {
        return Err(guest.died(&exit));
    }
    fs::remove_dir_all(&guest.work)?;
    status.with_context(|| format!("the guest reported no exit status for {}", cmd.label))
}

/// `<cache>/run-<pid>`, this run's own files (initramfs, console and results logs), so that
/// runs in the same tree do not overwrite each other's; directories of runs whose process is
/// gone are removed.
fn run_dir(cache: &Path) -> Result<PathBuf> {
    for entry in fs::read_dir(cache)?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("run-")) else { continue };
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    let dir = cache.join(format!("run-{}", std::process::id()));
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// A guest test file found on disk.
struct Found {
    package: String,
    package_dir: PathBuf,
    /// The integration test target's name: the file stem.
    target: String,
    src: PathBuf,
}

/// The files matching [`GUEST_TESTS`], in a stable order.
fn discover(root: &Path) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    for (package_dir, pattern) in GUEST_TESTS {
        let package_dir = root.join(package_dir);
        let (dir, file_pattern) = pattern.rsplit_once('/').unwrap_or((".", pattern));
        let (prefix, suffix) = file_pattern.split_once('*').expect("a pattern has one *");
        let Ok(entries) = fs::read_dir(package_dir.join(dir)) else { continue };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.len() >= prefix.len() + suffix.len()
                    && name.starts_with(prefix)
                    && name.ends_with(suffix)
            })
            .collect();
        files.sort();
        if files.is_empty() {
            continue;
        }
        let package = package_name(&package_dir)?;
        for src in files {
            let target = src.file_stem().and_then(|s| s.to_str()).context("test file name")?.to_string();
            found.push(Found { package: package.clone(), package_dir: package_dir.clone(), target, src });
        }
    }
    Ok(found)
}

/// `[package] name` of the Cargo.toml in `dir` (its first `name = "..."` line).
fn package_name(dir: &Path) -> Result<String> {
    let manifest = dir.join("Cargo.toml");
    let text = fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("name"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_string())
        .next()
        .with_context(|| format!("no package name in {}", manifest.display()))
}

/// Builds the guest tests with the same features as `cargo test --workspace` (so after the
/// host tiers nothing is rebuilt) and maps each file to its executable.
fn build(found: &[Found]) -> Result<Vec<GuestTest>> {
    // The end-to-end guest tests run the `netplug` binary with the plugins beside it; the
    // guest's tree is read-only, so build them here.
    eprintln!("$ cargo build");
    let status = cargo().arg("build").status().context("running cargo build")?;
    if !status.success() {
        bail!("building netplug and its plugins failed: {status}");
    }
    let mut cmd = cargo();
    cmd.args(["test", "--no-run", "--workspace", "--message-format=json-render-diagnostics"]);
    let mut targets: Vec<&str> = found.iter().map(|f| f.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    for t in &targets {
        cmd.args(["--test", t]);
    }
    eprintln!("$ cargo test --no-run --workspace --test {}", targets.join(" --test "));
    let out = cmd.stderr(Stdio::inherit()).output().context("running cargo test --no-run")?;
    if !out.status.success() {
        bail!("building the guest tests failed: {}", out.status);
    }
    // Other packages may have a test of the same name: match on the source file.
    let mut executables = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if let (Some(src), Some(exe)) = (msg["target"]["src_path"].as_str(), msg["executable"].as_str()) {
            executables.insert(canonical(Path::new(src)), PathBuf::from(exe));
        }
    }
    found
        .iter()
        .map(|f| {
            let program = executables
                .get(&canonical(&f.src))
                .with_context(|| format!("cargo built no test executable for {}", f.src.display()))?;
            Ok(GuestTest {
                label: f.src.strip_prefix(root()).unwrap_or(&f.src).display().to_string(),
                program: program.clone(),
                package_dir: f.package_dir.clone(),
                package: f.package.clone(),
            })
        })
        .collect()
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// The environment of the guest's test binaries: a clean one, plus what steers Rust tests
/// and netplug's own knobs from ours.
fn guest_env() -> Vec<(String, String)> {
    let mut env = vec![
        ("NETPLUG_IN_VM".to_string(), "1".to_string()),
        ("TERM".to_string(), "dumb".to_string()),
        ("RUST_BACKTRACE".to_string(), std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "1".into())),
    ];
    for (k, v) in std::env::vars() {
        let pass = matches!(k.as_str(), "PATH" | "HOME" | "LANG" | "CARGO" | "RUST_LOG" | "RUST_MIN_STACK")
            || k.starts_with("RUST_TEST_")
            || (k.starts_with("NETPLUG_") && !k.starts_with("NETPLUG_VM_") && k != "NETPLUG_IN_VM");
        if pass {
            env.push((k, v));
        }
    }
    env
}

fn env_number(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v:?} is not a number of seconds")),
        Err(_) => Ok(default),
    }
}

/// One test binary's outcome.
struct Binary {
    label: String,
    status: Option<i32>,
    started: Option<Instant>,
}

/// Follows the guest's report lines, printing test output as it comes.
struct Report {
    binaries: Vec<Binary>,
    booted: Option<Duration>,
    done: bool,
    passed: u64,
    failed: u64,
}

impl Report {
    fn new(plan: &Plan) -> Report {
        let binaries = plan
            .tests
            .iter()
            .map(|t| Binary { label: t.label.clone(), status: None, started: None })
            .collect();
        Report { binaries, booted: None, done: false, passed: 0, failed: 0 }
    }

    fn line(&mut self, line: &str, boot_started: Instant) {
        let Some(event) = line.strip_prefix(MARK).map(str::trim) else {
            self.count(line);
            println!("{line}");
            return;
        };
        let mut words = event.split_whitespace();
        let index = |w: Option<&str>| w.and_then(|i| i.parse::<usize>().ok());
        match words.next() {
            Some("ready") => {
                let elapsed = boot_started.elapsed();
                self.booted = Some(elapsed);
                let uptime = words.next().unwrap_or("?");
                println!(
                    "vm: guest up after {:.1} s (guest kernel uptime {uptime} s)",
                    elapsed.as_secs_f64()
                );
            }
            Some("note") => println!("vm: note: {}", words.collect::<Vec<_>>().join(" ")),
            Some("begin") => {
                if let Some(b) = index(words.next()).and_then(|i| self.binaries.get_mut(i)) {
                    b.started = Some(Instant::now());
                    println!("vm: ── {} ──", b.label);
                }
            }
            Some("end") => {
                let i = index(words.next());
                let rc = words.next().and_then(|rc| rc.parse().ok());
                if let Some(b) = i.and_then(|i| self.binaries.get_mut(i)) {
                    b.status = rc;
                    let secs = b.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
                    let verdict = match rc {
                        Some(0) => "ok".to_string(),
                        Some(rc) => format!("FAILED (exit status {rc})"),
                        None => "FAILED (no exit status)".to_string(),
                    };
                    println!("vm: {} {verdict} in {secs:.1} s", b.label);
                }
            }
            Some("done") => self.done = true,
            _ => println!("{line}"),
        }
    }

    /// Adds up libtest's `test result: ok. 3 passed; 0 failed; ...` lines.
    fn count(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else { return };
        for part in rest.split([';', '.']) {
            let mut w = part.split_whitespace();
            match (w.next().and_then(|n| n.parse::<u64>().ok()), w.next()) {
                (Some(n), Some("passed")) => self.passed += n,
                (Some(n), Some("failed")) => self.failed += n,
                _ => {}
            }
        }
    }

    fn summary(&self, vm_time: Duration, total: Duration) {
        let ran = self.binaries.iter().filter(|b| b.status.is_some()).count();
        let ok = self.binaries.iter().filter(|b| b.status == Some(0)).count();
        let boot = self.booted.map_or("?".into(), |b| format!("{:.1}", b.as_secs_f64()));
        println!(
            "vm: {ran} of {} test binaries ran, {ok} ok; boot {boot} s, guest {:.1} s, whole tier {:.1} s",
            self.binaries.len(),
            vm_time.as_secs_f64(),
            total.as_secs_f64()
        );
        println!("vm-test: {} passed, {} failed", self.passed, self.failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_results_are_added_up() {
        let mut r = Report { binaries: vec![], booted: None, done: false, passed: 0, failed: 0 };
        r.count(
            "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
        );
        r.count("test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out");
        r.count("running 3 tests");
        assert_eq!((r.passed, r.failed), (4, 2));
    }

    #[test]
    fn guest_tests_are_found_by_pattern() {
        let found = discover(&root()).unwrap();
        for f in &found {
            let rel = f.src.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
            assert!(
                rel.starts_with("plugins/bond/tests/")
                    || rel.starts_with("plugins/dummy/tests/")
                    || rel.starts_with("plugins/vlan/tests/")
                    || rel.starts_with("plugins/wireguard/tests/")
                    || rel.starts_with("tests/tests/vm_"),
                "{rel}"
            );
        }
        assert!(found.iter().any(|f| f.target == "vm_smoke" && f.package == "netplug-tests"));
    }
}
