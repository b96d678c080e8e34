//! Fresh network namespaces for each timed run, removed whatever happens, and a wait for the
//! kernel to finish tearing down earlier ones before the next run is timed.
//!
//! A deleted namespace is torn down later by the kernel's `netns` workqueue, holding the RTNL
//! lock for most of it (each bridge costs an `rcu_barrier`, about 17 ms here, so 10,000 bridges
//! take minutes). A run timed during that would measure the teardown, so [`settle`] waits until
//! no kernel worker is running `netns` work.

use std::fs;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Namespaces this chore creates are named `npbench-<pid>-<seq>`.
const PREFIX: &str = "npbench-";
/// Give up waiting for a teardown after this long: something else is wrong.
const SETTLE_LIMIT: Duration = Duration::from_secs(30 * 60);

/// A namespace made with `ip netns add`, deleted when dropped (also on errors and panics).
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Create the namespace; with `ipv6 == false`, disable IPv6 on every link it will hold.
    pub fn create(seq: usize, ipv6: bool) -> Result<Netns> {
        let name = format!("{PREFIX}{}-{seq}", std::process::id());
        quiet(Command::new("ip").args(["netns", "add", &name]))?;
        let ns = Netns { name };
        if !ipv6 {
            // `default` covers links created later, `all` the ones there now (lo).
            quiet(
                Command::new("ip")
                    .args(["netns", "exec", &ns.name, "sysctl", "-qw"])
                    .args(["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]),
            )?;
        }
        Ok(ns)
    }

    /// What the namespace holds, in terms both tools must agree on.
    pub fn state(&self) -> Result<State> {
        let links = output(Command::new("ip").args(["-n", &self.name, "-o", "link", "show"]))?;
        let addrs = output(Command::new("ip").args(["-n", &self.name, "-o", "-4", "address", "show"]))?;
        let routes =
            output(Command::new("ip").args(["-n", &self.name, "-4", "route", "show", "proto", "176"]))?;
        let link_lines: Vec<&str> = links.lines().filter(|l| !l.contains(": lo:")).collect();
        Ok(State {
            links: link_lines.len(),
            up: link_lines.iter().filter(|l| admin_up(l)).count(),
            ports: link_lines.iter().filter(|l| l.contains(" master ")).count(),
            addresses: addrs.lines().filter(|l| !l.contains(" lo ")).count(),
            routes: routes.lines().count(),
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = quiet(Command::new("ip").args(["netns", "del", &self.name])) {
            eprintln!("bench: could not delete namespace {}: {e:#}", self.name);
        }
    }
}

/// Counts that say whether two runs left the same state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Links other than lo.
    pub links: usize,
    /// Of those, administratively up.
    pub up: usize,
    /// Of those, enslaved to a master.
    pub ports: usize,
    /// IPv4 addresses other than lo's.
    pub addresses: usize,
    /// IPv4 routes with netplug's protocol.
    pub routes: usize,
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} links ({} up, {} ports), {} addresses, {} routes",
            self.links, self.up, self.ports, self.addresses, self.routes
        )
    }
}

/// The flags in `ip -o link` are `<BROADCAST,MULTICAST,UP,LOWER_UP>`: UP there is admin up.
fn admin_up(line: &str) -> bool {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .is_some_and(|(flags, _)| flags.split(',').any(|f| f == "UP"))
}

/// Delete namespaces left by an earlier run of this chore that was killed (no destructor ran).
pub fn remove_stale() -> Result<()> {
    let Ok(dir) = fs::read_dir("/run/netns") else { return Ok(()) };
    for entry in dir {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(PREFIX).and_then(|r| r.split('-').next()) else { continue };
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| p == std::process::id() || fs::metadata(format!("/proc/{p}")).is_ok());
        if !alive {
            eprintln!("bench: deleting namespace {name} left by an earlier run");
            quiet(Command::new("ip").args(["netns", "del", &name]))?;
        }
    }
    Ok(())
}

/// Wait until no kernel worker is running `netns` work (a namespace teardown), seen twice in a
/// row 100 ms apart, and then until the CPUs are mostly idle: the `netns` work is only the start
/// of a teardown (20,000 veths keep other kernel threads busy for seconds after it), and a run
/// timed meanwhile measured half again as long. Returns how long it waited.
pub fn settle() -> Result<Duration> {
    let start = Instant::now();
    settle_netns()?;
    let quiet_until = Instant::now() + Duration::from_millis(QUIET_LIMIT_MS.load(Ordering::Relaxed));
    while busy_fraction(Duration::from_millis(200)) > QUIET_BUSY {
        if Instant::now() > quiet_until {
            eprintln!("bench: the CPUs stay busy (other work on the machine); timing anyway");
            break;
        }
    }
    Ok(start.elapsed())
}

/// How busy the CPUs may be (fraction of all of them) for a run to start.
const QUIET_BUSY: f64 = 0.25;
/// How long to wait for that before timing anyway (`--idle-wait`; 20 s unless told).
static QUIET_LIMIT_MS: AtomicU64 = AtomicU64::new(20_000);

/// Wait at most `limit` for idle CPUs before each run. On a machine that other work keeps
/// busy for hours, the default 20 s is spent before every run and buys nothing.
pub fn set_idle_wait(limit: Duration) {
    QUIET_LIMIT_MS.store(limit.as_millis() as u64, Ordering::Relaxed);
}

/// The fraction of all CPU time not idle over `interval`, from `/proc/stat`.
fn busy_fraction(interval: Duration) -> f64 {
    fn sample() -> Option<(u64, u64)> {
        let stat = fs::read_to_string("/proc/stat").ok()?;
        let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = cpu.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
        let idle = v.get(3)? + v.get(4).unwrap_or(&0);
        Some((v.iter().take(8).sum(), idle))
    }
    let Some((total0, idle0)) = sample() else { return 0.0 };
    sleep(interval);
    let Some((total1, idle1)) = sample() else { return 0.0 };
    let total = total1.saturating_sub(total0);
    if total == 0 {
        return 0.0;
    }
    1.0 - idle1.saturating_sub(idle0) as f64 / total as f64
}

fn settle_netns() -> Result<Duration> {
    let start = Instant::now();
    let mut quiet_polls = 0;
    let mut told = false;
    while quiet_polls < 2 {
        if tearing_down() {
            quiet_polls = 0;
            if !told && start.elapsed() > Duration::from_secs(3) {
                eprintln!("bench: waiting for the kernel to tear down earlier namespaces...");
                told = true;
            }
            if start.elapsed() > SETTLE_LIMIT {
                bail!("namespace teardown still running after {SETTLE_LIMIT:?}");
            }
        } else {
            quiet_polls += 1;
        }
        sleep(Duration::from_millis(100));
    }
    Ok(start.elapsed())
}

/// A kworker busy with the `netns` workqueue shows it in its name: `kworker/u8:1+netns`.
fn tearing_down() -> bool {
    let Ok(procs) = fs::read_dir("/proc") else { return false };
    for p in procs.flatten() {
        let name = p.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(tasks) = fs::read_dir(p.path().join("task")) else { continue };
        for t in tasks.flatten() {
            if fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim_end().ends_with("+netns")) {
                return true;
            }
        }
    }
    false
}

fn quiet(cmd: &mut Command) -> Result<()> {
    output(cmd).map(drop)
}

/// Run a helper command, returning its stdout; fail with its stderr.
fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn admin_up_reads_the_flags_only() {
        assert!(super::admin_up("5: va0@vb0: <BROADCAST,MULTICAST,UP> mtu 1500 state DOWN"));
        assert!(!super::admin_up("5: va0@vb0: <BROADCAST,MULTICAST> mtu 1500 state UP"));
    }
}
