//! The `vlans` case: N VLANs (ids 1..N) on one dummy parent, netplug against one `ip -batch`,
//! for N up to 4,094, the most one parent holds.
//!
//! This machine's kernel has neither 8021q nor dummy links, so the case runs in the qemu guest
//! of `vm-test` ([`vm::run_command`]): the host builds and stages the binaries, the guest runs
//! this same xtask binary in a hidden mode ([`GUEST_MODE`], [`guest`]) that times the tools and
//! prints a data line per run, and the host reads those lines back from the guest's output.
//! The guest's CPU is emulated (TCG) on our machines, so only the ratios mean much.

use std::fmt::Write;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};

use super::netns::{self, Netns};
use super::report::{self, cpu, item_label, notes_cell, ratio_text, secs, Machine};
use super::run::{tail, time, Samples, Timed, REAPPLIES};
use super::{Binaries, Options};
use crate::util::root;
use crate::vm;

/// The hidden first argument of `bench` that makes it the guest's timer.
pub const GUEST_MODE: &str = "guest-vlans";
/// Prefix of the guest's data lines; everything else it writes is progress.
const DATA: &str = "@@netplug-bench";
/// 802.1Q ids are 12 bits, and 0 and 4,095 are reserved.
pub const MAX_VLANS: usize = 4_094;
const PARENT: &str = "p0";

/// The sizes this case measures for the bench's `sizes`: those above [`MAX_VLANS`] become it.
pub fn sizes(requested: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    for n in requested.iter().map(|&n| n.min(MAX_VLANS)) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The netplug document: the parent declared (so that the VLANs' dependency on it resolves) and
/// N VLANs on it.
fn document(n: usize) -> String {
    let mut x = String::with_capacity(n * 50 + 100);
    let _ = write!(x, "<?xml version=\"1.0\"?>\n<interfaces>\n  <interface device=\"{PARENT}\"/>\n");
    for k in 1..=n {
        let _ = writeln!(x, "  <vlan name=\"{PARENT}.{k}\" device=\"{PARENT}\" tag=\"{k}\"/>");
    }
    x.push_str("</interfaces>\n");
    x
}

/// The `ip -batch` file doing the same: every VLAN created, then every VLAN set up (netplug's
/// phase order, as in the other cases).
fn batch(n: usize) -> String {
    let mut b = String::with_capacity(n * 60);
    for k in 1..=n {
        let _ = writeln!(b, "link add link {PARENT} name {PARENT}.{k} type vlan id {k}");
    }
    for k in 1..=n {
        let _ = writeln!(b, "link set {PARENT}.{k} up");
    }
    b
}

/// Everything measured at one N, in seconds.
#[derive(Debug, Default)]
pub struct VlanRow {
    pub n: usize,
    pub ip: Samples,
    pub ip_cpu: Samples,
    pub apply: Samples,
    pub apply_cpu: Samples,
    pub reapply: Samples,
    pub reapply_cpu: Samples,
    pub ip_error: Option<String>,
    pub netplug_error: Option<String>,
    /// Anything that makes the numbers suspect: differing end states, a re-apply that changed.
    pub notes: Vec<String>,
}

/// What one run of the case found.
pub struct Results {
    pub host: Machine,
    /// The guest's [`Machine`] line, as it reported it.
    pub guest: String,
    pub runs: usize,
    pub ipv6: bool,
    pub rows: Vec<VlanRow>,
}

/// Host side: stage the binaries, boot the guest, run [`guest`] there and collect its lines.
pub fn run(bins: &Binaries, opts: &Options) -> Result<Results> {
    let sizes = sizes(&opts.sizes);
    if sizes.len() != opts.sizes.len() || sizes.iter().zip(&opts.sizes).any(|(a, b)| a != b) {
        eprintln!("bench: vlans: one parent holds at most {} VLANs", item_label(MAX_VLANS));
    }
    let list: Vec<String> = sizes.iter().map(usize::to_string).collect();
    let runs = opts.runs_for(None, MAX_VLANS);
    let stage = Stage::new(bins)?;
    let cmd = vm::GuestCommand {
        label: "bench vlans".into(),
        program: stage.dir.join("xtask"),
        args: [
            "bench",
            GUEST_MODE,
            "--sizes",
            &list.join(","),
            "--runs",
            &runs.to_string(),
            "--ipv6",
            if opts.ipv6 { "on" } else { "off" },
            "--netplug",
            &stage.dir.join("netplug").to_string_lossy(),
        ]
        .map(String::from)
        .to_vec(),
        dir: root(),
    };
    let host = Machine::probe();
    let mut rows: Vec<VlanRow> = sizes.iter().map(|&n| VlanRow { n, ..VlanRow::default() }).collect();
    let mut guest = String::from("(the guest did not say)");
    eprintln!("bench: vlans {} in the vm-test guest, best of {runs}", list.join(", "));
    let status = vm::run_command(&cmd, &mut |line| match line.strip_prefix(DATA) {
        None => eprintln!("guest: {line}"),
        Some(data) => {
            if let Err(e) = take(data.trim(), &mut rows, &mut guest) {
                eprintln!("bench: vlans: unreadable line from the guest `{line}`: {e:#}");
            }
        }
    })?;
    for r in &rows {
        eprintln!("{}", row_line(r));
    }
    if status != 0 {
        bail!("the vlans bench in the guest failed (exit status {status}); its output is above");
    }
    Ok(Results { host, guest, runs, ipv6: opts.ipv6, rows })
}

/// Reads one data line (without [`DATA`]) into the rows.
fn take(data: &str, rows: &mut [VlanRow], guest: &mut String) -> Result<()> {
    let (kind, rest) = data.split_once(' ').unwrap_or((data, ""));
    if kind == "machine" {
        *guest = rest.to_string();
        return Ok(());
    }
    let (n, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let n: usize = n.strip_prefix("n=").and_then(|v| v.parse().ok()).context("no n=N")?;
    let row = rows.iter_mut().find(|r| r.n == n).with_context(|| format!("no size {n} was asked for"))?;
    match kind {
        "sample" => {
            for pair in rest.split_whitespace() {
                let (key, value) = pair.split_once('=').with_context(|| format!("`{pair}`"))?;
                let value: f64 = value.parse().with_context(|| format!("`{pair}`"))?;
                let samples = match key {
                    "ip" => &mut row.ip,
                    "ip_cpu" => &mut row.ip_cpu,
                    "apply" => &mut row.apply,
                    "apply_cpu" => &mut row.apply_cpu,
                    "reapply" => &mut row.reapply,
                    "reapply_cpu" => &mut row.reapply_cpu,
                    other => bail!("unknown measure `{other}`"),
                };
                samples.0.push(value);
            }
        }
        "error" => match rest.split_once(' ') {
            Some(("ip", why)) => row.ip_error = Some(why.to_string()),
            Some(("netplug", why)) => row.netplug_error = Some(why.to_string()),
            _ => bail!("an error of neither tool"),
        },
        "note" if !row.notes.iter().any(|x| x == rest) => row.notes.push(rest.to_string()),
        "note" => {}
        other => bail!("unknown kind `{other}`"),
    }
    Ok(())
}

fn row_line(r: &VlanRow) -> String {
    let ip = r
        .ip_error
        .as_ref()
        .map_or_else(|| format!("ip -batch {} s", secs(r.ip.best())), |e| format!("ip failed: {e}"));
    let np = r.netplug_error.as_ref().map_or_else(
        || format!("netplug {} s, re-apply {} s", secs(r.apply.best()), secs(r.reapply.best())),
        |e| format!("netplug failed: {e}"),
    );
    format!("bench: vlans n={}: {ip}; {np}", r.n)
}

/// The binaries the guest runs, copied out of `target/`: a build another engineer starts in
/// the shared tree while the guest runs would otherwise replace them under it. Removed when
/// dropped; copies left by a killed run are removed by the next.
struct Stage {
    dir: PathBuf,
}

impl Stage {
    fn new(bins: &Binaries) -> Result<Stage> {
        let parent = super::target_dir().join("bench");
        fs::create_dir_all(&parent)?;
        for entry in fs::read_dir(&parent)?.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("vlans-")) else { continue };
            if pid.bytes().all(|b| b.is_ascii_digit()) && !Path::new("/proc").join(pid).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        let dir = parent.join(format!("vlans-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        // The guest runs them from this path: make it absolute; dropping `stage` removes it.
        let stage = Stage { dir: dir.canonicalize()? };
        if stage.dir.starts_with("/tmp") || stage.dir.starts_with("/run") {
            bail!(
                "{}: the guest mounts its own /tmp and /run; use a target directory elsewhere",
                dir.display()
            );
        }
        let copy = |from: &Path, name: &str| {
            fs::copy(from, stage.dir.join(name))
                .map(drop)
                .with_context(|| format!("copying {} (build it or drop --no-build)", from.display()))
        };
        copy(&std::env::current_exe()?, "xtask")?;
        copy(&bins.netplug, "netplug")?;
        // Every plugin, as the host cases load them: beside netplug, where it looks first.
        let release = bins.netplug.parent().context("netplug's directory")?;
        for p in crate::dist::PLUGINS {
            let file = format!("libnetplug_plugin_{p}.so");
            copy(&release.join(&file), &file)?;
        }
        Ok(stage)
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Guest side (`xtask bench guest-vlans --sizes A,B --runs R --ipv6 on|off --netplug PATH`):
/// for each size and run, one `ip -batch` and netplug's apply and re-apply, each in a fresh
/// namespace holding an up dummy parent, printed as [`DATA`] lines.
/// The command line [`run`] gives the guest's `xtask bench guest-vlans`.
#[derive(clap::Args)]
pub struct GuestArgs {
    #[arg(long, value_delimiter = ',', required = true)]
    sizes: Vec<usize>,
    #[arg(long)]
    runs: usize,
    #[arg(long, value_parser = ["on", "off"])]
    ipv6: String,
    #[arg(long)]
    netplug: PathBuf,
}

pub fn guest(args: &GuestArgs) -> Result<()> {
    let sizes: &[usize] = &args.sizes;
    let (runs, ipv6, netplug) = (args.runs, args.ipv6 == "on", args.netplug.clone());
    if let Some(&n) = sizes.iter().find(|&&n| n == 0 || n > MAX_VLANS) {
        bail!("{n} VLANs: one parent holds 1 to {MAX_VLANS}");
    }
    println!("{DATA} machine {}", Machine::probe());
    // The guest's /tmp is its own tmpfs.
    let dir = Path::new("/tmp/npbench-vlans");
    fs::create_dir_all(dir)?;
    // Read the programs over 9p once, so that the first run does not time that.
    time(Command::new(&netplug).arg("plugins"))?;
    time(Command::new("ip").arg("-V"))?;
    for &n in sizes {
        let xml = dir.join(format!("vlans-{n}.xml"));
        let batch_file = dir.join(format!("vlans-{n}.batch"));
        fs::write(&xml, document(n))?;
        fs::write(&batch_file, batch(n))?;
        let (mut ip_failed, mut netplug_failed) = (false, false);
        for run in 1..=runs {
            eprintln!("bench: vlans n={n} run {run}/{runs}");
            let mut sample = format!("{DATA} sample n={n}");
            let mut states = (None, None);
            if !ip_failed {
                let ns = with_parent(ipv6)?;
                let t = time(Command::new("ip").args(["-n", &ns.name, "-batch"]).arg(&batch_file))?;
                if t.ok {
                    let _ = write!(sample, " ip={:.6} ip_cpu={:.2}", t.secs, t.cpu);
                    states.0 = Some(ns.state()?);
                } else {
                    println!("{DATA} error n={n} ip {}", tail(&t));
                    ip_failed = true;
                }
            }
            if !netplug_failed {
                let ns = with_parent(ipv6)?;
                let apply = || {
                    let mut cmd = Command::new(&netplug);
                    // Logging as a user has it by default, as in the host cases.
                    cmd.args(["--netns", &ns.name, "apply"]).arg(&xml).env_remove("NETPLUG_LOG");
                    time(&mut cmd)
                };
                let first = apply()?;
                if !first.ok {
                    println!("{DATA} error n={n} netplug apply: {}", tail(&first));
                    netplug_failed = true;
                } else {
                    let _ = write!(sample, " apply={:.6} apply_cpu={:.2}", first.secs, first.cpu);
                    // As on the host: the best of a few re-applies (see `run::REAPPLIES`).
                    let mut best: Option<Timed> = None;
                    for _ in 0..REAPPLIES {
                        let again = apply()?;
                        if !again.ok {
                            println!("{DATA} error n={n} netplug re-apply: {}", tail(&again));
                            netplug_failed = true;
                            break;
                        }
                        if !again.stdout.contains("no changes") {
                            let step = again.stdout.lines().find(|l| l.trim_start().starts_with("1."));
                            println!(
                                "{DATA} note n={n} re-apply changed something: {}",
                                step.unwrap_or("").trim()
                            );
                        }
                        if best.as_ref().is_none_or(|b| again.secs < b.secs) {
                            best = Some(again);
                        }
                    }
                    if let (false, Some(again)) = (netplug_failed, best) {
                        let _ = write!(sample, " reapply={:.6} reapply_cpu={:.2}", again.secs, again.cpu);
                        states.1 = Some(ns.state()?);
                    }
                }
            }
            println!("{sample}");
            if let (Some(a), Some(b)) = states {
                if a != b {
                    println!("{DATA} note n={n} end states differ: ip -batch left {a}; netplug left {b}");
                }
            }
        }
    }
    Ok(())
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A fresh namespace, after earlier ones' teardown, with the parent made and up: not timed.
fn with_parent(ipv6: bool) -> Result<Netns> {
    netns::settle()?;
    let ns = Netns::create(SEQ.fetch_add(1, Ordering::Relaxed), ipv6)?;
    for step in [&["link", "add", PARENT, "type", "dummy"][..], &["link", "set", PARENT, "up"]] {
        let t = time(Command::new("ip").args(["-n", &ns.name]).args(step))?;
        if !t.ok {
            bail!("ip {}: {}", step.join(" "), tail(&t));
        }
    }
    Ok(ns)
}

impl Results {
    fn ipv6(&self) -> &'static str {
        if self.ipv6 {
            "on"
        } else {
            "off"
        }
    }

    /// The section, as Markdown.
    pub fn text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "### VLANs on one parent in the vm-test guest, IPv6 {}\n", self.ipv6());
        let emulated = self.guest.contains("TCG");
        let _ = writeln!(t, "Guest: {}.  ", self.guest);
        let _ = writeln!(t, "Host: {}.", self.host);
        let _ = writeln!(
            t,
            "Best of {} runs at each N; every run in a fresh namespace of the guest holding an up \
             dummy `{PARENT}`.{}\n",
            self.runs,
            if emulated {
                " The guest's CPU is emulated (TCG, about 6× slower than native for CPU-bound \
                 work): compare the ratios, not the times."
            } else {
                ""
            }
        );
        t.push_str(
            "| N | ip -batch s | netplug apply s | ratio | ip -batch CPU s | netplug CPU s | CPU ratio \
             | re-apply ms | re-apply CPU ms | notes |\n",
        );
        t.push_str("|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
        let whole_ms = |s: &Samples| s.best().map_or_else(|| "—".into(), |v| format!("{:.0}", v * 1e3));
        for r in &self.rows {
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                item_label(r.n),
                secs(r.ip.best()),
                secs(r.apply.best()),
                ratio_text(r.apply.best(), r.ip.best()),
                cpu(r.ip_cpu.best()),
                cpu(r.apply_cpu.best()),
                ratio_text(r.apply_cpu.best(), r.ip_cpu.best()),
                whole_ms(&r.reapply),
                whole_ms(&r.reapply_cpu),
                notes_cell(&r.notes, r.ip_error.as_ref(), r.netplug_error.as_ref())
            );
        }
        t.push('\n');
        self.per_vlan(&mut t);
        t
    }

    /// Time per VLAN at each size and the marginal time per added VLAN between sizes (µs).
    fn per_vlan(&self, t: &mut String) {
        let mut head = String::from("| tool |");
        let mut rule = String::from("|---|");
        for r in &self.rows {
            let _ = write!(head, " µs per VLAN at {} |", item_label(r.n));
            rule.push_str("--:|");
        }
        for w in self.rows.windows(2) {
            let _ = write!(head, " marginal {}→{} |", item_label(w[0].n), item_label(w[1].n));
            rule.push_str("--:|");
        }
        let _ = writeln!(t, "{head}\n{rule}");
        type Pick = fn(&VlanRow) -> &Samples;
        let tools: [(&str, Pick); 3] =
            [("ip -batch", |r| &r.ip), ("netplug apply", |r| &r.apply), ("re-apply", |r| &r.reapply)];
        let us = |v: Option<f64>| v.map_or_else(|| "—".into(), |v| format!("{v:.0}"));
        for (tool, pick) in tools {
            let mut line = format!("| {tool} |");
            for r in &self.rows {
                let _ = write!(line, " {} |", us(pick(r).best().map(|s| s * 1e6 / r.n as f64)));
            }
            for w in self.rows.windows(2) {
                let m = match (pick(&w[0]).best(), pick(&w[1]).best()) {
                    (Some(a), Some(b)) if w[1].n > w[0].n => Some((b - a) * 1e6 / (w[1].n - w[0].n) as f64),
                    _ => None,
                };
                let _ = write!(line, " {} |", us(m));
            }
            let _ = writeln!(t, "{line}");
        }
        t.push('\n');
    }

    /// Put the section between its own markers in docs/performance.md.
    pub fn write_doc(&self, path: &Path) -> Result<()> {
        report::write_section(path, &format!("vlans-ipv6-{}", self.ipv6()), &self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stop_at_the_most_vlans_one_parent_holds() {
        assert_eq!(sizes(&[100, 1_000, 10_000]), vec![100, 1_000, MAX_VLANS]);
        assert_eq!(sizes(&[5_000, 10_000]), vec![MAX_VLANS]);
    }

    #[test]
    fn document_and_batch_make_the_same_vlans() {
        let (doc, b) = (document(3), batch(3));
        assert_eq!(doc.matches("<vlan ").count(), 3);
        assert!(doc.contains("<vlan name=\"p0.3\" device=\"p0\" tag=\"3\"/>"), "{doc}");
        assert_eq!(b.lines().count(), 6);
        assert!(b.starts_with("link add link p0 name p0.1 type vlan id 1\n"), "{b}");
        assert!(b.ends_with("link set p0.3 up\n"), "{b}");
    }

    #[test]
    fn guest_lines_fill_the_rows() {
        let mut rows = vec![VlanRow { n: 100, ..VlanRow::default() }];
        let mut guest = String::new();
        take("machine 1 CPUs (QEMU TCG CPU)", &mut rows, &mut guest).unwrap();
        take("sample n=100 ip=0.5 ip_cpu=0.40 apply=1.0 apply_cpu=0.9", &mut rows, &mut guest).unwrap();
        take("sample n=100 ip=0.4", &mut rows, &mut guest).unwrap();
        take("error n=100 netplug re-apply: boom", &mut rows, &mut guest).unwrap();
        take("note n=100 end states differ", &mut rows, &mut guest).unwrap();
        take("note n=100 end states differ", &mut rows, &mut guest).unwrap();
        assert!(take("sample n=7 ip=1", &mut rows, &mut guest).is_err());
        assert!(take("sample n=100 ip=x", &mut rows, &mut guest).is_err());
        let r = &rows[0];
        assert_eq!(guest, "1 CPUs (QEMU TCG CPU)");
        assert_eq!((r.ip.best(), r.apply.best(), r.reapply.best()), (Some(0.4), Some(1.0), None));
        assert_eq!(r.netplug_error.as_deref(), Some("re-apply: boom"));
        assert_eq!(r.notes.len(), 1);
    }
}
