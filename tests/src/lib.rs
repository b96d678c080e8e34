//! Helpers shared by the end-to-end tests: the built `netplug` binary, network namespaces that
//! clean up after themselves, and a snapshot of a namespace's whole state that is independent
//! of netplug (it is read with iproute2, so a test does not grade netplug with netplug).

pub mod docs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// The `netplug` binary of this build, with the workspace's plugins beside it (a development
/// build finds plugins in its own directory). Built on first use, so `cargo test -p
/// netplug-tests` works on its own.
pub fn netplug() -> PathBuf {
    static BUILD: Once = Once::new();
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    BUILD.call_once(|| {
        // In the qemu guest (`cargo xtask vm-test`) the host built everything beforehand and
        // the tree is read-only.
        if std::env::var_os("NETPLUG_IN_VM").is_some() {
            return;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(workspace())
            .args(["build", "--quiet"])
            .args((profile == "release").then_some("--release"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of netplug and its plugins failed");
    });
    workspace().join("target").join(profile).join("netplug")
}

/// A network namespace made with `ip netns add` for one test and deleted when dropped, so
/// `netplug --netns NAME` can act in it and nothing leaks onto the machine.
pub struct Netns {
    pub name: String,
    /// Config and run directories of this test's netplug, never the machine's.
    pub dir: tempfile::TempDir,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let name = format!("np-{tag}-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        run_ok(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns { name, dir: tempfile::tempdir().expect("temporary directory") };
        ns.ip(&["link", "set", "lo", "up"]);
        // Without duplicate address detection a link-local address and its local route exist
        // as soon as a link is up, so two snapshots do not differ by how far DAD had got. The
        // sysctls are the namespace's own.
        for conf in ["all", "default"] {
            let knob = format!("/proc/sys/net/ipv6/conf/{conf}/accept_dad");
            run_ok(Command::new("ip").args([
                "netns",
                "exec",
                &ns.name,
                "sh",
                "-c",
                &format!("echo 0 > {knob}"),
            ]));
        }
        ns
    }

    /// Run `ip -n NAME ARGS...`, asserting success; its stdout.
    pub fn ip(&self, args: &[&str]) -> String {
        let out = run_ok(Command::new("ip").arg("-n").arg(&self.name).args(args));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run `netplug --netns NAME ARGS...` and return what it did.
    pub fn netplug(&self, args: &[&str]) -> Run {
        let output = self.command().args(args).output().expect("run netplug");
        Run { output }
    }

    /// `netplug --netns NAME` with this test's own config and run directories.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(netplug());
        cmd.arg("--netns")
            .arg(&self.name)
            .env("NETPLUG_LOG", "warn")
            .env("NETPLUG_CONFIG_DIR", self.dir.path().join("config"))
            .env("NETPLUG_RUN_DIR", self.dir.path().join("run"))
            .env("NETPLUG_STATE_DIR", self.dir.path().join("state"));
        cmd
    }

    /// Links of `kind` standing in for NICs, set up when `up`: `dummy` ones in the qemu guest,
    /// `veth` pairs (the peer of `nic0` is `nic0p`) on this host, whose kernel has no dummy.
    pub fn stand_in_nics(&self, kind: &str, names: &[&str], up: bool) {
        for nic in names {
            match kind {
                "veth" => self.ip(&["link", "add", nic, "type", "veth", "peer", "name", &format!("{nic}p")]),
                _ => self.ip(&["link", "add", nic, "type", kind]),
            };
            if up {
                self.ip(&["link", "set", nic, "up"]);
            }
        }
    }

    /// The kernel's index of `name`: the same after a change in place, another after a
    /// delete-and-create.
    pub fn ifindex(&self, name: &str) -> String {
        self.ip(&["-o", "link", "show", name]).split(':').next().unwrap().to_string()
    }

    /// What `netplug show NAMES` prints, after checking that applying it back changes nothing.
    #[track_caller]
    pub fn show_applies_back(&self, names: &[&str]) -> String {
        let shown = self.netplug(&[&["show"], names].concat()).ok();
        let doc = document(self.dir.path(), "shown.xml", &shown);
        let again = self.netplug(&["apply", doc.to_str().unwrap()]).ok();
        assert!(again.contains("no changes"), "show applied back changed something: {again}\n{shown}");
        shown
    }

    /// [`Netns::fail_at_every_step`] for each document of `runs`, from the state the document
    /// paired with it gives (applied first; `None`: as the namespace is).
    #[track_caller]
    pub fn fail_at_every_step_from<P: AsRef<Path>>(&self, runs: &[(P, Option<P>)], min_steps: usize) {
        for (doc, from) in runs {
            if let Some(from) = from {
                self.netplug(&["apply", from.as_ref().to_str().unwrap()]).ok();
            }
            self.fail_at_every_step(doc.as_ref(), min_steps);
        }
    }

    /// How many steps `netplug plan --json DOC` lists.
    pub fn plan_len(&self, doc: &Path) -> usize {
        let out = self.netplug(&["--json", "plan", doc.to_str().unwrap()]).ok();
        let v: serde_json::Value = serde_json::from_str(&out).expect("plan --json prints JSON");
        v["steps"].as_array().expect("an array of steps").len()
    }

    /// For every step k of `doc`'s plan (at least `min_steps` of them), apply with a failure
    /// forced at k and check that netplug says it rolled back and that the namespace is exactly
    /// as before.
    #[track_caller]
    pub fn fail_at_every_step(&self, doc: &Path, min_steps: usize) {
        let before = self.state();
        let n = self.plan_len(doc);
        assert!(n >= min_steps, "{}: expected a plan of {min_steps}+ steps, got {n}", doc.display());
        for k in 1..=n {
            let run = self.netplug(&["apply", "--inject-failure-at", &k.to_string(), doc.to_str().unwrap()]);
            assert_eq!(run.code(), 1, "step {k}: {}", run.stderr());
            assert!(run.stderr().contains("injected failure"), "step {k}: {}", run.stderr());
            assert!(
                run.stderr().contains("as it was before"),
                "step {k} of {}: {}",
                doc.display(),
                run.stderr()
            );
            assert_same_state(&before, &self.state(), &format!("step {k} of {n} of {}", doc.display()));
        }
    }

    /// The namespace's links, addresses and routes (all tables, both families), normalised:
    /// everything that says what the kernel does, nothing that merely counts (statistics,
    /// ifindexes, lifetimes). Two equal snapshots mean the namespace is in the same state.
    pub fn state(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for link in json(&self.ip(&["-d", "-j", "link", "show"])) {
            let get = |k: &str| link.get(k).map(|v| v.to_string()).unwrap_or_default();
            let info = link.get("linkinfo");
            let kind = info.and_then(|i| i.get("info_kind")).map(|v| v.to_string()).unwrap_or_default();
            let data =
                info.and_then(|i| i.get("info_data")).map(|v| strip_counters(v.clone())).unwrap_or_default();
            let flags = link
                .get("flags")
                .and_then(|f| f.as_array())
                .map(|f| {
                    f.iter().filter(|x| *x != "LOWER_UP" && *x != "NO-CARRIER").cloned().collect::<Vec<_>>()
                })
                .unwrap_or_default();
            lines.push(format!(
                "link {} kind={kind} mtu={} mac={} master={} flags={flags:?} data={data}",
                get("ifname"),
                get("mtu"),
                get("address"),
                get("master"),
            ));
        }
        for a in json(&self.ip(&["-j", "addr", "show"])) {
            let ifname = a.get("ifname").map(|v| v.to_string()).unwrap_or_default();
            for i in a.get("addr_info").and_then(|v| v.as_array()).into_iter().flatten() {
                let get = |k: &str| i.get(k).map(|v| v.to_string()).unwrap_or_default();
                if kernel_link_local(&get("local")) {
                    continue;
                }
                lines.push(format!(
                    "addr {ifname} {}/{} proto={} scope={}",
                    get("local"),
                    get("prefixlen"),
                    get("protocol"),
                    get("scope")
                ));
            }
        }
        for family in ["-4", "-6"] {
            for r in json(&self.ip(&[family, "-j", "route", "show", "table", "all"])) {
                let mut r = r;
                if let Some(o) = r.as_object_mut() {
                    // Cache entries and expiry counters come and go on their own.
                    o.remove("expires");
                    o.remove("cache");
                    // Carrier, not configuration: it follows ports and timing.
                    if let Some(f) = o.get_mut("flags").and_then(|f| f.as_array_mut()) {
                        f.retain(|x| x != "linkdown");
                    }
                }
                let dst = r.get("dst").and_then(|d| d.as_str()).unwrap_or_default();
                if family == "-6"
                    && (kernel_link_local(&format!("\"{dst}\"")) || dst == "fe80::/64" || dst == "ff00::/8")
                {
                    continue;
                }
                lines.push(format!("route {family} {r}"));
            }
        }
        lines.sort();
        lines
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}

/// A finished `netplug` run.
pub struct Run {
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    /// Assert exit status 0; stdout.
    pub fn ok(&self) -> String {
        assert_eq!(self.code(), 0, "netplug failed:\nstdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self.stdout()
    }
}

/// A temporary document.
pub fn document(dir: &Path, name: &str, xml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, xml).expect("write document");
    path
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn json(text: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(v)) => v,
        _ => Vec::new(),
    }
}

/// An IPv6 link-local address (or its local route): the kernel derives it, with the fe80::/64
/// and ff00::/8 routes, from a link being up and its MAC, both compared already. When it
/// appears depends on carrier and timing (a recreated bond gets it once a slave's carrier is
/// seen), so a snapshot taken a moment earlier or later must not count it.
fn kernel_link_local(quoted: &str) -> bool {
    quoted.trim_matches('"').starts_with("fe80:")
}

/// Bridge and bond info data carry timers that tick; keep only the settings.
fn strip_counters(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.ends_with("_timer") && k != "topology_change_detected");
    }
    v
}

/// Assert two [`Netns::state`] snapshots are equal, showing only the lines that differ.
#[track_caller]
pub fn assert_same_state(before: &[String], after: &[String], context: &str) {
    if before == after {
        return;
    }
    let gone: Vec<_> = before.iter().filter(|l| !after.contains(l)).collect();
    let new: Vec<_> = after.iter().filter(|l| !before.contains(l)).collect();
    panic!(
        "{context}: the namespace changed\n  only before:\n    {}\n  only after:\n    {}",
        join(&gone),
        join(&new)
    );
}

fn join(lines: &[&String]) -> String {
    lines.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n    ")
}
