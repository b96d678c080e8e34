//! Timing the tools: one `ip -batch` process, the sequence of netplug verbs, the in-process core
//! benchmark and the raw-netlink floor.

use std::fs;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::netns::{self, Netns, State};
use super::workload::{self, Case};
use super::{Binaries, Options};

/// Seconds measured by each of a measurement's runs.
#[derive(Clone, Debug, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    /// The least of the runs: other work on the machine only ever adds time.
    pub fn best(&self) -> Option<f64> {
        self.0.iter().copied().reduce(f64::min)
    }
}

/// Everything measured for one case at one size.
#[derive(Debug)]
pub struct Row {
    pub case: Case,
    pub n: usize,
    pub ip: Samples,
    pub ip_error: Option<String>,
    pub ip_cpu: Samples,
    /// `netplug plugins`: start-up and plugin loading.
    pub load: Samples,
    /// `netplug validate FILE`: + reading and validating the document.
    pub validate: Samples,
    /// `netplug plan FILE` before anything exists: + reading the kernel and planning.
    pub plan_fresh: Samples,
    pub apply: Samples,
    pub reapply: Samples,
    pub apply_cpu: Samples,
    pub reapply_cpu: Samples,
    /// Peak resident memory (MiB) of `validate FILE` and of `apply FILE`.
    pub validate_mib: Samples,
    pub apply_mib: Samples,
    /// The document's size in bytes.
    pub document_bytes: usize,
    /// The raw-netlink floor (`bench_routes`, the `routes` case only): one process, one socket.
    pub floor: Samples,
    pub floor_cpu: Samples,
    pub floor_error: Option<String>,
    /// CPU time of `validate FILE`.
    pub validate_cpu: Samples,
    /// `netplug plan FILE` once applied.
    pub plan_applied: Samples,
    pub netplug_error: Option<String>,
    /// Anything that makes the numbers suspect: differing end states, a re-apply that changed.
    pub notes: Vec<String>,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn fresh_netns(ipv6: bool) -> Result<Netns> {
    netns::settle()?;
    Netns::create(SEQ.fetch_add(1, Ordering::Relaxed), ipv6)
}

/// What a timed process did.
pub(super) struct Timed {
    pub(super) secs: f64,
    /// User + system CPU time of the process (and its threads), from `wait4`'s resource usage.
    pub(super) cpu: f64,
    /// Peak resident memory of the process in MiB (`ru_maxrss`).
    pub(super) peak_mib: f64,
    pub(super) ok: bool,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

/// Run `cmd` to its end, timing the whole process (wall and CPU) and taking its peak memory.
///
/// The process is reaped with `wait4`, which reports that one child's resource usage (the
/// `RUSAGE_CHILDREN` of `getrusage` would be the largest of every child so far).
pub(super) fn time(cmd: &mut Command) -> Result<Timed> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("running {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    // Both pipes are drained while the process runs, or a full one would stall it.
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let mut out = Vec::new();
    let _ = stdout.read_to_end(&mut out);
    let err = err_reader.join().unwrap_or_default();
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of that plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child; `status` and `usage` are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e).with_context(|| format!("waiting for {cmd:?}"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok(Timed {
        secs,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
        ok: std::process::ExitStatus::from_raw(status).success(),
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    })
}

/// The line of a failed run's output that says why: its first error line, else its last line.
pub(super) fn tail(t: &Timed) -> String {
    let text = if t.stderr.trim().is_empty() { &t.stdout } else { &t.stderr };
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let line = lines
        .iter()
        .find(|l| l.to_ascii_lowercase().contains("error"))
        .or(lines.last())
        .copied()
        .unwrap_or("no output");
    let mut line = line.to_string();
    if line.len() > 240 {
        let cut = (0..=240).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
        line.truncate(cut);
        line.push('…');
    }
    line
}

fn work_dir() -> Result<PathBuf> {
    let dir = super::target_dir().join("bench");
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Time `case` at size `n`: best of the runs for every number.
pub fn measure(case: Case, n: usize, bins: &Binaries, opts: &Options) -> Result<Row> {
    let dir = work_dir()?;
    let xml = dir.join(format!("{}-{n}.xml", case.name()));
    let batch = dir.join(format!("{}-{n}.batch", case.name()));
    let document = workload::document(case, n);
    fs::write(&xml, &document)?;
    fs::write(dir.join("empty.xml"), "<interfaces/>\n")?;
    fs::write(&batch, workload::batch(case, n))?;
    let runs = opts.runs_for(Some(case), n);
    let mut row = Row {
        case,
        n,
        ip: Samples::default(),
        ip_error: None,
        ip_cpu: Samples::default(),
        load: Samples::default(),
        validate: Samples::default(),
        plan_fresh: Samples::default(),
        apply: Samples::default(),
        reapply: Samples::default(),
        apply_cpu: Samples::default(),
        reapply_cpu: Samples::default(),
        validate_mib: Samples::default(),
        apply_mib: Samples::default(),
        document_bytes: 0,
        floor: Samples::default(),
        floor_cpu: Samples::default(),
        floor_error: None,
        validate_cpu: Samples::default(),
        plan_applied: Samples::default(),
        netplug_error: None,
        notes: Vec::new(),
    };
    row.document_bytes = document.len();
    let floor = (case == Case::Routes && opts.floor).then_some(&bins.bench_routes);
    for run in 0..runs {
        eprintln!("bench: {} n={n} run {}/{runs}", case.name(), run + 1);
        let ip_state = if row.ip_error.is_none() { time_ip(&batch, opts, &mut row)? } else { None };
        let np_state =
            if row.netplug_error.is_none() { time_netplug(case, &xml, bins, opts, &mut row)? } else { None };
        if let (Some(a), Some(b)) = (ip_state, np_state) {
            if a != b && row.notes.is_empty() {
                row.notes.push(format!("end states differ: ip -batch left {a}; netplug left {b}"));
            }
        }
        if let Some(floor) = floor.filter(|_| row.floor_error.is_none()) {
            let state = time_floor(floor, n, opts, &mut row)?;
            if let (Some(a), Some(b)) = (ip_state, state) {
                if a != b && !row.notes.iter().any(|n| n.starts_with("floor")) {
                    row.notes.push(format!("floor's end state differs: ip -batch left {a}; it left {b}"));
                }
            }
        }
    }
    Ok(row)
}

/// A fresh namespace holding what `case` needs to exist before it is timed.
fn prepared_netns(case: Case, n: usize, opts: &Options) -> Result<Netns> {
    let ns = fresh_netns(opts.ipv6)?;
    if let Some(setup) = workload::setup(case, n) {
        let file = work_dir()?.join(format!("{}-{n}.setup", case.name()));
        fs::write(&file, setup)?;
        let t = time(Command::new("ip").args(["-n", &ns.name, "-batch"]).arg(&file))?;
        if !t.ok {
            bail!("setting up {} n={n}: {}", case.name(), tail(&t));
        }
        // The setup's own kernel work (new links' events, IPv6 set-up) must not be timed.
        netns::settle()?;
    }
    Ok(ns)
}

fn time_floor(floor: &Path, n: usize, opts: &Options, row: &mut Row) -> Result<Option<State>> {
    if !floor.exists() {
        row.floor_error = Some(format!("{} is missing", floor.display()));
        return Ok(None);
    }
    let ns = prepared_netns(row.case, n, opts)?;
    let t = time(Command::new(floor).arg(&ns.name).arg(n.to_string()))?;
    if !t.ok {
        row.floor_error = Some(tail(&t));
        return Ok(None);
    }
    row.floor.0.push(t.secs);
    row.floor_cpu.0.push(t.cpu);
    Ok(Some(ns.state()?))
}

fn time_ip(batch: &Path, opts: &Options, row: &mut Row) -> Result<Option<State>> {
    let ns = prepared_netns(row.case, row.n, opts)?;
    let t = time(Command::new("ip").args(["-n", &ns.name, "-batch"]).arg(batch))?;
    if !t.ok {
        row.ip_error = Some(tail(&t));
        return Ok(None);
    }
    row.ip.0.push(t.secs);
    row.ip_cpu.0.push(t.cpu);
    Ok(Some(ns.state()?))
}

/// No-change re-applies timed after each apply.
pub(super) const REAPPLIES: usize = 3;

fn time_netplug(
    case: Case,
    xml: &Path,
    bins: &Binaries,
    opts: &Options,
    row: &mut Row,
) -> Result<Option<State>> {
    if !bins.netplug.exists() {
        bail!("{} is missing: build it or drop --no-build", bins.netplug.display());
    }
    let ns = prepared_netns(case, row.n, opts)?;
    let netplug = |verb: &str, file: Option<&Path>| {
        let mut cmd = Command::new(&bins.netplug);
        cmd.args(["--netns", &ns.name]);
        // The bench's own lock and journals: it never writes the machine's /run or /var/lib.
        let state = std::env::temp_dir().join(format!("netplug-bench-{}", std::process::id()));
        cmd.env("NETPLUG_RUN_DIR", state.join("run")).env("NETPLUG_STATE_DIR", state.join("state"));
        cmd.arg(verb);
        cmd.args(file);
        // Logging as a user has it by default; NETPLUG_LOG from the caller would add its cost.
        cmd.env_remove("NETPLUG_LOG");
        time(&mut cmd)
    };
    // `plugins` opens every plugin and lists them in the run directory's index, as any first
    // run on a host does; from then on a run opens only the plugins it calls, so start-up is
    // timed on an empty document, and each later stage includes opening what it first calls.
    let mut warm_up = Samples::default();
    let empty = xml.with_file_name("empty.xml");
    let steps = [
        ("plugins", None, &mut warm_up),
        ("validate", Some(empty.as_path()), &mut row.load),
        ("validate", Some(xml), &mut row.validate),
        ("plan", Some(xml), &mut row.plan_fresh),
        ("apply", Some(xml), &mut row.apply),
    ];
    for (verb, file, samples) in steps {
        let t = netplug(verb, file)?;
        if !t.ok {
            row.netplug_error = Some(format!("{verb}: {}", tail(&t)));
            return Ok(None);
        }
        samples.0.push(t.secs);
        match (verb, file) {
            ("apply", _) => {
                row.apply_cpu.0.push(t.cpu);
                row.apply_mib.0.push(t.peak_mib);
            }
            ("validate", Some(f)) if f == xml => {
                row.validate_mib.0.push(t.peak_mib);
                row.validate_cpu.0.push(t.cpu);
            }
            _ => {}
        }
    }
    // The first re-apply comes while the kernel still settles the links the apply made (about
    // half again as slow at 1,000 veths); a re-apply as a user runs it, later, is the steady
    // state, so each run times a few and the best counts, like the best of runs elsewhere.
    for _ in 0..REAPPLIES {
        let again = netplug("apply", Some(xml))?;
        if !again.ok {
            row.netplug_error = Some(format!("re-apply: {}", tail(&again)));
            return Ok(None);
        }
        row.reapply.0.push(again.secs);
        row.reapply_cpu.0.push(again.cpu);
        if !again.stdout.contains("no changes") && !row.notes.iter().any(|n| n.starts_with("re-apply")) {
            let first =
                again.stdout.lines().find(|l| l.trim_start().starts_with("1.")).unwrap_or_default().trim();
            row.notes.push(format!("re-apply changed something: {first}"));
        }
    }
    let plan = netplug("plan", Some(xml))?;
    if plan.ok {
        row.plan_applied.0.push(plan.secs);
    }
    Ok(Some(ns.state()?))
}

/// One size of core's in-process validate + order benchmark (`core/src/bench.rs`).
#[derive(Debug)]
pub struct CoreBench {
    pub interfaces: usize,
    pub validate_ms: f64,
    pub order_ms: f64,
}

pub fn core_bench(bins: &Binaries, sizes: &[usize]) -> Result<Vec<CoreBench>> {
    let mut out = Vec::new();
    for &n in sizes {
        let t = time(Command::new(&bins.validate_order).arg(n.to_string()))?;
        if !t.ok {
            bail!("{} {n} failed: {}", bins.validate_order.display(), tail(&t));
        }
        out.push(parse_core_line(&t.stdout).with_context(|| format!("reading `{}`", t.stdout.trim()))?);
    }
    Ok(out)
}

/// `N interfaces: validate X ms, order Y ms (...)`.
fn parse_core_line(line: &str) -> Option<CoreBench> {
    let (n, rest) = line.trim().split_once(" interfaces: validate ")?;
    let (validate, rest) = rest.split_once(" ms, order ")?;
    let (order, _) = rest.split_once(" ms")?;
    Some(CoreBench {
        interfaces: n.parse().ok()?,
        validate_ms: validate.parse().ok()?,
        order_ms: order.parse().ok()?,
    })
}

/// The raw-netlink floor: bridges + address + up from one process (`bench_bridges`), best of
/// its three runs. Only up to 1,000: each run's teardown costs 17 ms per bridge.
pub fn floor(bins: &Binaries, sizes: &[usize]) -> Result<Vec<(usize, f64)>> {
    let mut out = Vec::new();
    for &n in sizes.iter().filter(|&&n| n <= 1_000) {
        netns::settle()?;
        let t = time(Command::new(&bins.bench_bridges).arg(n.to_string()))?;
        if !t.ok {
            eprintln!("bench: bench_bridges {n} failed: {}", tail(&t));
            continue;
        }
        let best = t
            .stdout
            .lines()
            .filter_map(|l| l.rsplit_once(": ").and_then(|(_, d)| parse_duration(d)))
            .reduce(f64::min);
        if let Some(best) = best {
            out.push((n, best));
        }
    }
    Ok(out)
}

/// A `Duration`'s Debug form (`132.5ms`, `1.2s`, `850µs`) in seconds.
fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let units = [("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)];
    let (num, scale) = units.iter().find_map(|(u, k)| s.strip_suffix(u).map(|n| (n, *k)))?;
    Some(num.parse::<f64>().ok()? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_core_benchmark_line() {
        let c =
            parse_core_line("10000 interfaces: validate 12.5 ms, order 3.0 ms (0 diagnostics, 5 steps)\n")
                .unwrap();
        assert_eq!(c.interfaces, 10000);
        assert_eq!(c.validate_ms, 12.5);
        assert_eq!(c.order_ms, 3.0);
    }

    #[test]
    fn reads_debug_durations() {
        assert_eq!(parse_duration("132.5ms"), Some(0.1325));
        assert_eq!(parse_duration("2s"), Some(2.0));
        assert!(parse_duration("850µs").is_some_and(|s| (s - 0.00085).abs() < 1e-12));
    }
}
