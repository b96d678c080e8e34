//! The benchmark's report: a Markdown section printed to stdout and, with `--write`, put into
//! docs/performance.md between markers (one section per IPv6 setting), leaving the hand-written
//! analysis around it alone.

use std::fmt::Write;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;

use super::run::{CoreBench, Row, Samples};
use super::workload::{self, Case};
use super::Options;

/// The targets (#16): apply at or under `ip -batch`'s time, and under 0.9× of it
/// where netplug creates the links (it can send fewer messages than `ip`).
const RATIO_TARGET: f64 = 1.0;
const CREATE_RATIO_TARGET: f64 = 0.9;
/// Routes: apply within this many times the raw-netlink floor.
const FLOOR_TARGET: f64 = 2.0;
/// A no-change re-apply: per 1,000 interfaces, and for 50,000 routes.
const REAPPLY_TARGET_MS: f64 = 30.0;
const REAPPLY_ROUTES_TARGET_MS: f64 = 200.0;
const REAPPLY_ROUTES_AT: usize = 50_000;
/// `validate` of a document of 10,000 interfaces or more.
const VALIDATE_TARGET_MS: f64 = 100.0;
/// Peak memory of a verb, as a multiple of the document's size, judged for documents from
/// this size (a process's own memory, 8–10 MiB, is most of it for smaller ones).
const MEMORY_TARGET: f64 = 20.0;
const MEMORY_TARGET_FROM: usize = 512 * 1024;
/// Marginal cost per item may grow this much across sizes and still count as linear.
const LINEAR_SLACK: f64 = 1.3;

/// What the numbers were measured on.
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
    pub iproute2: String,
    pub date: String,
    pub load: String,
}

impl Machine {
    pub fn probe() -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let ip =
            Command::new("ip").arg("-V").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
                .unwrap_or_else(|| "unknown CPU".into()),
            memory_gib: kib / (1024.0 * 1024.0),
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string(),
            iproute2: ip
                .ok()
                .and_then(|v| v.split(", ").nth(1).map(|s| s.trim().to_string()))
                .unwrap_or_else(|| "iproute2 (unknown version)".into()),
            date: utc_now(),
            load: fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} CPUs ({}), {:.1} GiB, Linux {}, {}; {}; load average at start {}",
            self.cpus, self.cpu_model, self.memory_gib, self.kernel, self.iproute2, self.date, self.load
        )
    }
}

/// Now as `YYYY-MM-DD HH:MM UTC`, from the civil-from-days conversion of the Unix day number.
fn utc_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rem / 3_600, rem % 3_600 / 60)
}

pub struct Results<'a> {
    pub machine: Machine,
    pub opts: &'a Options,
    pub rows: Vec<Row>,
    pub core: Vec<CoreBench>,
    pub floor: Vec<(usize, f64)>,
}

pub(super) fn secs(s: Option<f64>) -> String {
    s.map_or_else(|| "—".into(), |v| format!("{v:.3}"))
}

/// CPU seconds (from `wait4`, microseconds).
pub(super) fn cpu(s: Option<f64>) -> String {
    s.map_or_else(|| "—".into(), |v| format!("{v:.3}"))
}

fn cpu_ms(s: Option<f64>) -> String {
    s.map_or_else(|| "—".into(), |v| format!("{:.1}", v * 1e3))
}

fn ms(s: Option<f64>) -> String {
    s.map_or_else(|| "—".into(), |v| format!("{:.1}", v * 1e3))
}

/// `a / b` as `1.23×`, or `—` when either is missing.
pub(super) fn ratio_text(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".into(),
    }
}

/// A row's notes with the tools' failures, as one table cell.
pub(super) fn notes_cell(
    notes: &[String],
    ip_error: Option<&String>,
    netplug_error: Option<&String>,
) -> String {
    let mut notes = notes.to_vec();
    if let Some(e) = ip_error {
        notes.push(format!("ip -batch failed: {e}"));
    }
    if let Some(e) = netplug_error {
        notes.push(format!("netplug failed: {e}"));
    }
    notes.join("; ").replace('|', "\\|")
}

fn list_or(items: Vec<String>, none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.join(", ")
    }
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn mib_text(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

fn ratio(row: &Row) -> Option<f64> {
    Some(row.apply.best()? / row.ip.best()?)
}

/// One line per finished measurement, for progress on stderr.
pub fn row_line(row: &Row) -> String {
    let np = match (&row.netplug_error, row.apply.best()) {
        (Some(e), _) => format!("netplug failed: {e}"),
        (None, t) => format!("netplug {} s, re-apply {} ms", secs(t), ms(row.reapply.best())),
    };
    let ip = match &row.ip_error {
        Some(e) => format!("ip -batch failed: {e}"),
        None => format!("ip -batch {} s", secs(row.ip.best())),
    };
    format!("bench: {} n={}: {ip}; {np}", row.case.name(), row.n)
}

pub fn item_label(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Results<'_> {
    fn ipv6(&self) -> &'static str {
        if self.opts.ipv6 {
            "on"
        } else {
            "off"
        }
    }

    /// The whole section, as Markdown.
    pub fn text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "### Results, IPv6 {} in the benchmark namespaces\n", self.ipv6());
        let runs: Vec<String> = self
            .sizes()
            .into_iter()
            .flat_map(|n| {
                let mut per_case: Vec<(usize, Vec<&str>)> = Vec::new();
                for case in
                    self.cases().into_iter().filter(|&c| self.rows.iter().any(|r| r.case == c && r.n == n))
                {
                    let r = self.opts.runs_for(Some(case), n);
                    match per_case.iter_mut().find(|(k, _)| *k == r) {
                        Some((_, names)) => names.push(case.name()),
                        None => per_case.push((r, vec![case.name()])),
                    }
                }
                let all = per_case.len() == 1;
                per_case.into_iter().map(move |(r, names)| {
                    let which = if all { String::new() } else { format!(" for {}", names.join(", ")) };
                    format!("{r} at {}{which}", item_label(n))
                })
            })
            .collect();
        let _ = writeln!(t, "Measured {}.", self.machine);
        let _ = writeln!(t, "Best of runs ({}); every run in a fresh namespace.\n", runs.join(", "));
        for case in self.cases() {
            let _ = writeln!(t, "* `{}`: {}", case.name(), case.describe());
        }
        t.push('\n');
        self.main_table(&mut t);
        self.targets(&mut t);
        self.routes_floor_table(&mut t);
        self.memory_table(&mut t);
        self.cpu_table(&mut t);
        self.breakdown(&mut t);
        self.linearity(&mut t);
        self.core_table(&mut t);
        self.floor_table(&mut t);
        t
    }

    /// Every size measured, in order (the routes case has one more in a full run).
    fn sizes(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self.rows.iter().map(|r| r.n).collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }

    fn cases(&self) -> Vec<Case> {
        workload::ALL.into_iter().filter(|c| self.rows.iter().any(|r| r.case == *c)).collect()
    }

    fn main_table(&self, t: &mut String) {
        t.push_str("| case | N | ip -batch s | netplug apply s | ratio | re-apply ms | plan ms | notes |\n");
        t.push_str("|---|--:|--:|--:|--:|--:|--:|---|\n");
        for r in &self.rows {
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.case.name(),
                item_label(r.n),
                secs(r.ip.best()),
                secs(r.apply.best()),
                ratio(r).map_or_else(|| "—".into(), |x| format!("{x:.2}×")),
                ms(r.reapply.best()),
                ms(r.plan_applied.best()),
                notes_cell(&r.notes, r.ip_error.as_ref(), r.netplug_error.as_ref())
            );
        }
        t.push('\n');
    }

    fn targets(&self, t: &mut String) {
        t.push_str("Targets (reported, not asserted):\n\n");
        let mark = |ok: bool| if ok { "met" } else { "missed" };
        let ratios: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| {
                let x = ratio(r)?;
                let target = if r.case.creates_links() { CREATE_RATIO_TARGET } else { RATIO_TARGET };
                Some(format!("{} {} {x:.2}× ({})", r.case.name(), item_label(r.n), mark(x <= target)))
            })
            .collect();
        let _ = writeln!(
            t,
            "* apply at or under {RATIO_TARGET}× `ip -batch` (under {CREATE_RATIO_TARGET}× where netplug \
             creates the links: veth, bridges): {}",
            list_or(ratios, "no netplug numbers")
        );
        let floors: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| {
                let x = r.apply.best()? / r.floor.best()?;
                Some(format!("{} {x:.2}× ({})", item_label(r.n), mark(x <= FLOOR_TARGET)))
            })
            .collect();
        let _ = writeln!(
            t,
            "* routes within {FLOOR_TARGET}× of the raw-netlink floor: {}",
            list_or(floors, "not measured")
        );
        let reapply: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| {
                let v = r.reapply.best()? * 1e3;
                Some(if r.case == Case::Routes {
                    let limit = REAPPLY_ROUTES_TARGET_MS * r.n as f64 / REAPPLY_ROUTES_AT as f64;
                    format!("routes {} {v:.1} ms (limit {limit:.1} ms, {})", item_label(r.n), mark(v < limit))
                } else {
                    let per = v * 1e3 / r.case.interfaces(r.n) as f64;
                    format!(
                        "{} {} {per:.1} ms per 1,000 ({})",
                        r.case.name(),
                        item_label(r.n),
                        mark(per < REAPPLY_TARGET_MS)
                    )
                })
            })
            .collect();
        let _ = writeln!(
            t,
            "* no-change re-apply under {REAPPLY_TARGET_MS} ms per 1,000 interfaces, and under \
             {REAPPLY_ROUTES_TARGET_MS} ms for {} routes (pro rata below): {}",
            item_label(REAPPLY_ROUTES_AT),
            list_or(reapply, "not measured")
        );
        let validate: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.case.interfaces(r.n) >= 10_000)
            .filter_map(|r| {
                let v = r.validate.best()? * 1e3;
                let cpu =
                    r.validate_cpu.best().map_or_else(String::new, |c| format!(", CPU {:.1} ms", c * 1e3));
                Some(format!(
                    "{} {} ({} interfaces) {v:.1} ms{cpu} ({})",
                    r.case.name(),
                    item_label(r.n),
                    item_label(r.case.interfaces(r.n)),
                    mark(v < VALIDATE_TARGET_MS)
                ))
            })
            .collect();
        let _ = writeln!(
            t,
            "* `validate` of a document of 10,000 interfaces under {VALIDATE_TARGET_MS} ms: {}",
            list_or(validate, "no size that large")
        );
        let memory: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.document_bytes >= MEMORY_TARGET_FROM)
            .filter_map(|r| {
                let peak = r.validate_mib.best()?.max(r.apply_mib.best().unwrap_or(0.0));
                let x = peak / mib(r.document_bytes);
                Some(format!("{} {} {x:.0}× ({})", r.case.name(), item_label(r.n), mark(x <= MEMORY_TARGET)))
            })
            .collect();
        let _ = writeln!(
            t,
            "* peak memory of `validate` and `apply` at most {MEMORY_TARGET}× the document's size (documents \
             of {} KiB or more; below, the process's own 8–10 MiB decide): {}",
            MEMORY_TARGET_FROM / 1024,
            list_or(memory, "no document that large")
        );
        let _ = writeln!(
            t,
            "* linear growth: see the marginal costs below (linear when they stay within \
             {LINEAR_SLACK}× of each other).\n"
        );
    }

    /// Validation's time and every verb's memory against the document's size.
    fn memory_table(&self, t: &mut String) {
        t.push_str(
            "`validate FILE` (the whole process: start-up, parsing, validation) and peak resident \
             memory (`ru_maxrss` of the process, best run):\n\n",
        );
        t.push_str(
            "| case | N | document KiB | validate ms | validate CPU ms | validate peak MiB | apply peak MiB \
             | peak / document |\n",
        );
        t.push_str("|---|--:|--:|--:|--:|--:|--:|--:|\n");
        for r in &self.rows {
            let peak = [r.validate_mib.best(), r.apply_mib.best()].into_iter().flatten().reduce(f64::max);
            let _ = writeln!(
                t,
                "| {} | {} | {:.0} | {} | {} | {} | {} | {} |",
                r.case.name(),
                item_label(r.n),
                r.document_bytes as f64 / 1024.0,
                ms(r.validate.best()),
                cpu_ms(r.validate_cpu.best()),
                mib_text(r.validate_mib.best()),
                mib_text(r.apply_mib.best()),
                peak.map_or_else(|| "—".into(), |p| format!("{:.0}×", p / mib(r.document_bytes)))
            );
        }
        t.push('\n');
    }

    /// The routes case against one process sending the same requests with nothing else to do.
    fn routes_floor_table(&self, t: &mut String) {
        let rows: Vec<&Row> = self.rows.iter().filter(|r| !r.floor.0.is_empty()).collect();
        if rows.is_empty() {
            return;
        }
        t.push_str(
            "Raw-netlink floor for routes (`plugins/netlink/examples/bench_routes.rs`: the same \
             bridge, address and routes from one process with one socket, the routes in batches \
             of 64 with their ACKs read as the kernel sends them; timed like the tools):\n\n",
        );
        t.push_str(
            "| N | floor s | ip -batch s | netplug apply s | netplug / floor | µs per route over the floor \
             | floor CPU s | netplug CPU s | CPU / floor |\n",
        );
        t.push_str("|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for r in rows {
            let over = match (r.apply.best(), r.floor.best()) {
                (Some(a), Some(f)) => format!("{:.2}", (a - f) * 1e6 / r.n as f64),
                _ => "—".into(),
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {over} | {} | {} | {} |",
                item_label(r.n),
                secs(r.floor.best()),
                secs(r.ip.best()),
                secs(r.apply.best()),
                ratio_text(r.apply.best(), r.floor.best()),
                cpu(r.floor_cpu.best()),
                cpu(r.apply_cpu.best()),
                ratio_text(r.apply_cpu.best(), r.floor_cpu.best())
            );
        }
        t.push('\n');
    }

    /// CPU time is what the wall times would be on an idle machine, less waiting.
    fn cpu_table(&self, t: &mut String) {
        t.push_str(
            "CPU time of the processes (user + system from `wait4`, best run; kernel work done in the \
                    caller's context counts, work the kernel defers to its own threads does not):\n\n",
        );
        t.push_str("| case | N | ip -batch CPU s | netplug apply CPU s | ratio | re-apply CPU ms |\n");
        t.push_str("|---|--:|--:|--:|--:|--:|\n");
        for r in &self.rows {
            let ratio = ratio_text(r.apply_cpu.best(), r.ip_cpu.best());
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {ratio} | {} |",
                r.case.name(),
                item_label(r.n),
                cpu(r.ip_cpu.best()),
                cpu(r.apply_cpu.best()),
                cpu_ms(r.reapply_cpu.best())
            );
        }
        t.push('\n');
    }

    /// The netplug verbs are cumulative, so differences between them split the cost.
    fn breakdown(&self, t: &mut String) {
        t.push_str(
            "Where netplug's apply time goes (ms, differences between the best runs of the verbs; \
             start-up is `validate` of an empty document: the process and the plugins registered \
             from the index, none opened; each later stage includes opening the plugins it is the \
             first to call):\n\n",
        );
        t.push_str("| case | N | start-up | parse + validate | read + plan | apply + verify | total |\n");
        t.push_str("|---|--:|--:|--:|--:|--:|--:|\n");
        for r in self.rows.iter().filter(|r| r.apply.best().is_some()) {
            let diff = |a: &Samples, b: Option<&Samples>| {
                let prev = b.and_then(Samples::best).unwrap_or(0.0);
                a.best().map(|v| (v - prev).max(0.0))
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.case.name(),
                item_label(r.n),
                ms(r.load.best()),
                ms(diff(&r.validate, Some(&r.load))),
                ms(diff(&r.plan_fresh, Some(&r.validate))),
                ms(diff(&r.apply, Some(&r.plan_fresh))),
                ms(r.apply.best())
            );
        }
        t.push('\n');
    }

    fn linearity(&self, t: &mut String) {
        let sizes = &self.sizes();
        t.push_str("Linearity: time per item (µs), and the marginal time per added item between sizes:\n\n");
        let mut head = String::from("| case | tool |");
        let mut rule = String::from("|---|---|");
        for &n in sizes {
            let _ = write!(head, " per item at {} |", item_label(n));
            rule.push_str("--:|");
        }
        for w in sizes.windows(2) {
            let _ = write!(head, " marginal {}→{} |", item_label(w[0]), item_label(w[1]));
            rule.push_str("--:|");
        }
        head.push_str(" growth |");
        rule.push_str("---|");
        let _ = writeln!(t, "{head}\n{rule}");
        for case in self.cases() {
            for (tool, pick) in [("ip -batch", 0), ("netplug", 1), ("re-apply", 2)] {
                let points: Vec<Option<f64>> = sizes
                    .iter()
                    .map(|&n| {
                        let r = self.rows.iter().find(|r| r.case == case && r.n == n)?;
                        [&r.ip, &r.apply, &r.reapply][pick].best()
                    })
                    .collect();
                let mut line = format!("| {} | {tool} |", case.name());
                for (p, &n) in points.iter().zip(sizes) {
                    let _ = write!(
                        line,
                        " {} |",
                        p.map_or_else(|| "—".into(), |v| format!("{:.1}", v * 1e6 / n as f64))
                    );
                }
                let mut marginals = Vec::new();
                for (w, p) in sizes.windows(2).zip(points.windows(2)) {
                    let m = match (p[0], p[1]) {
                        (Some(a), Some(b)) => Some((b - a) * 1e6 / (w[1] - w[0]) as f64),
                        _ => None,
                    };
                    marginals.push(m);
                    let _ = write!(line, " {} |", m.map_or_else(|| "—".into(), |v| format!("{v:.1}")));
                }
                let present: Vec<f64> = marginals.iter().flatten().copied().collect();
                let growth = match (present.first(), present.last()) {
                    (Some(&a), Some(&b)) if present.len() > 1 && a > 0.0 => {
                        let g = b / a;
                        format!(
                            "{g:.2}× ({})",
                            if g <= LINEAR_SLACK { "linear" } else { "worse than linear" }
                        )
                    }
                    _ => "—".into(),
                };
                let _ = writeln!(t, "{line} {growth} |");
            }
        }
        t.push('\n');
    }

    fn core_table(&self, t: &mut String) {
        if self.core.is_empty() {
            return;
        }
        t.push_str("In-process core benchmark (`core/src/bench.rs`: validate + order of bridges with a port and an address each, stand-in plugins, no kernel, no FFI):\n\n");
        t.push_str("| interfaces | validate ms | order ms | µs per interface |\n|--:|--:|--:|--:|\n");
        for c in &self.core {
            let per = (c.validate_ms + c.order_ms) * 1e3 / c.interfaces.max(1) as f64;
            let _ = writeln!(
                t,
                "| {} | {:.1} | {:.1} | {per:.2} |",
                item_label(c.interfaces),
                c.validate_ms,
                c.order_ms
            );
        }
        t.push('\n');
    }

    fn floor_table(&self, t: &mut String) {
        if self.floor.is_empty() {
            return;
        }
        t.push_str("Raw-netlink floor (`plugins/netlink/examples/bench_bridges.rs`: N bridges + one address each + up from one process, no ports, IPv6 as the kernel defaults it (on), best of 3; up to 1,000 only):\n\n");
        t.push_str("| N | seconds |\n|--:|--:|\n");
        for (n, s) in &self.floor {
            let _ = writeln!(t, "| {} | {s:.3} |", item_label(*n));
        }
        t.push('\n');
    }
}

/// Put the section between this IPv6 setting's markers, or append it with markers.
pub fn write_doc(path: &Path, results: &Results) -> Result<()> {
    write_section(path, &format!("ipv6-{}", results.ipv6()), &results.text())
}

/// Put `text` between the markers `<!-- bench:<key>:begin ... -->` and `<!-- bench:<key>:end -->`
/// of the page at `path`, or append it with them; the rest of the page stays as it is.
pub fn write_section(path: &Path, key: &str, text: &str) -> Result<()> {
    let begin = format!("<!-- bench:{key}:begin (written by `cargo xtask bench --write`) -->");
    let end = format!("<!-- bench:{key}:end -->");
    let section = format!("{begin}\n{text}{end}");
    let old = fs::read_to_string(path).unwrap_or_else(|_| "# Performance\n".into());
    let marker_start = begin.split(" (").next().unwrap_or(&begin);
    let new = match (old.find(marker_start), old.find(&end)) {
        (Some(a), Some(b)) if a < b => format!("{}{section}{}", &old[..a], &old[b + end.len()..]),
        _ => format!("{}\n{section}\n", old.trim_end()),
    };
    fs::write(path, new)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_and_labels() {
        let d = super::utc_now();
        assert!(d.len() == 20 && d.ends_with(" UTC") && d.starts_with("20"), "{d}");
        assert_eq!(super::item_label(10_000), "10,000");
        assert_eq!(super::item_label(100), "100");
    }

    #[test]
    fn sections_are_replaced_between_their_markers_or_appended() {
        let path = std::env::temp_dir().join(format!("xtask-report-{}.md", std::process::id()));
        std::fs::write(&path, "# P\n\nintro\n").unwrap();
        super::write_section(&path, "a", "one\n").unwrap();
        super::write_section(&path, "b", "two\n").unwrap();
        super::write_section(&path, "a", "three\n").unwrap();
        let page = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(page.starts_with("# P\n\nintro\n<!-- bench:a:begin"), "{page}");
        assert!(page.contains("-->\nthree\n<!-- bench:a:end -->"), "{page}");
        assert!(!page.contains("one"), "{page}");
        assert!(page.trim_end().ends_with("two\n<!-- bench:b:end -->"), "{page}");
    }
}
