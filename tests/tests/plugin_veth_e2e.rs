//! The third-party plugin story, end to end: build the example plugin of
//! `docs/examples/plugin-veth` as its own cargo project, drop the `.so` into a plugin directory
//! (mode 0644), and drive the unmodified `netplug` binary with `--plugin-dir` and `--netns`
//! in a namespace made for each test with `ip netns add` (and always deleted).
//!
//! Most tests run the binary from a directory of its own, so the only plugin it finds is the
//! veth one; `next_to_netplugs_own_plugins` runs it where cargo built it, where it also loads
//! the workspace's plugins, as an installed netplug with an extra plugin would.
//!
//! Live state is inspected with `netplug show` and, independently of any plugin, with
//! `ip -d -j link show` (fixture inspection only; nothing under test runs `ip`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use netplug_tests::docs::relaxng_valid;
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// Plugins and the binary are built like the tests: `cargo test --release` drives release builds.
fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"))
}

fn cargo(args: &[&str], what: &str) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace())
        .args(args)
        .args((profile() == "release").then_some("--release"))
        .output()
        .expect("run cargo");
    assert!(output.status.success(), "{what} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

/// The example project's directory and where it is built: a target directory of its own
/// under the workspace's, so its dependencies are compiled once for all later runs.
fn example() -> (PathBuf, PathBuf) {
    (workspace().join("docs/examples/plugin-veth"), target_dir().join("plugin-veth"))
}

/// Build the example plugin once per test binary; the path of its `.so`.
fn veth_plugin() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let (project, target) = example();
        let manifest = project.join("Cargo.toml");
        // `--locked`: the example's Cargo.lock carries the workspace's versions, so the SDK
        // is compiled with the same dependencies as netplug, and no network is needed.
        cargo(
            &[
                "build",
                "--quiet",
                "--locked",
                "--manifest-path",
                manifest.to_str().unwrap(),
                "--target-dir",
                target.to_str().unwrap(),
            ],
            "building docs/examples/plugin-veth",
        );
        target.join(profile()).join("libnetplug_plugin_veth.so")
    })
}

/// The workspace's `netplug` binary, built if needed (the tests crate cannot name another
/// package's binary through `CARGO_BIN_EXE_*`).
fn netplug_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        cargo(&["build", "--quiet", "--package", "netplug"], "building netplug");
        target_dir().join(profile()).join("netplug")
    })
}

/// A place with the veth plugin, mode 0644, in `plugins/`, and the unmodified binary to run.
struct Setup {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Holds `bin/netplug` for [`Setup::alone`]; next to the target directory, so the binary
    /// can be hard-linked rather than copied.
    _bin_dir: Option<tempfile::TempDir>,
}

impl Setup {
    /// `bin/netplug` is a link to (or copy of) the built binary in a directory with no plugins
    /// beside it, so it finds only what `--plugin-dir` names.
    fn alone() -> Setup {
        let bin_dir = tempfile::tempdir_in(target_dir()).expect("temp dir");
        std::fs::create_dir(bin_dir.path().join("bin")).unwrap();
        let bin = bin_dir.path().join("bin/netplug");
        if std::fs::hard_link(netplug_binary(), &bin).is_err() {
            std::fs::copy(netplug_binary(), &bin).expect("copy netplug");
        }
        Setup::with_binary(bin, Some(bin_dir))
    }

    /// The binary where cargo built it, next to the workspace's own plugins.
    fn beside_workspace_plugins() -> Setup {
        Setup::with_binary(netplug_binary().to_path_buf(), None)
    }

    fn with_binary(bin: PathBuf, bin_dir: Option<tempfile::TempDir>) -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let plugins = dir.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        let so = plugins.join("libnetplug_plugin_veth.so");
        std::fs::copy(veth_plugin(), &so).expect("copy the plugin");
        std::fs::set_permissions(&so, std::fs::Permissions::from_mode(0o644)).unwrap();
        Setup { dir, bin, _bin_dir: bin_dir }
    }

    fn plugin_dir(&self) -> PathBuf {
        self.dir.path().join("plugins")
    }

    /// Write a document into the setup's directory.
    fn doc(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Run `netplug --plugin-dir DIR [--netns NS] ARGS`.
    fn netplug(&self, netns: Option<&Netns>, args: &[&str]) -> Run {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--plugin-dir").arg(self.plugin_dir());
        if let Some(ns) = netns {
            cmd.args(["--netns", &ns.name]);
        }
        let output = cmd
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("NETPLUG_PLUGIN_PATH")
            .env_remove("NETPLUG_LOG")
            // This test's own lock, journals and definitions, never the machine's /run or /etc.
            .env("NETPLUG_RUN_DIR", self.dir.path().join("run"))
            .env("NETPLUG_STATE_DIR", self.dir.path().join("state"))
            .env("NETPLUG_CONFIG_DIR", self.dir.path().join("config"))
            .output()
            .expect("run netplug");
        Run::from(output)
    }
}

/// What one `netplug` run printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        let run = Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        println!("exit {}\n--- stdout\n{}--- stderr\n{}", run.code, run.stdout, run.stderr);
        run
    }
}

/// A network namespace made with `ip netns add` and deleted when dropped, also on a panic.
struct Netns {
    name: String,
}

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("np-veth-{tag}-{}", std::process::id());
        // A namespace left by a killed earlier run of the same pid would make `add` fail.
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        let out = Command::new("ip").args(["netns", "add", &name]).output().expect("run ip netns add");
        assert!(out.status.success(), "ip netns add {name}: {}", String::from_utf8_lossy(&out.stderr));
        Netns { name }
    }

    /// The link called `name` as `ip -d -j link show` reports it, if it exists.
    fn link(&self, name: &str) -> Option<Value> {
        let out = Command::new("ip").args(["-n", &self.name, "-d", "-j", "link", "show"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let links: Vec<Value> = serde_json::from_slice(&out.stdout).expect("ip -j prints JSON");
        links.into_iter().find(|l| l["ifname"] == name)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
    }
}

fn is_up(link: &Value) -> bool {
    link["flags"].as_array().is_some_and(|f| f.iter().any(|f| f == "UP"))
}

const PAIR: &str = r#"<interfaces>
  <veth name="v0" peer="v0p" mtu="9000"/>
</interfaces>
"#;

const PAIR_ABSENT: &str = r#"<interfaces>
  <veth name="v0" state="absent"/>
</interfaces>
"#;

#[test]
fn plugins_lists_the_veth_plugin() {
    let s = Setup::alone();
    let run = s.netplug(None, &["plugins"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("veth 0.1.0\n"), "the only plugin found");
    assert!(run.stdout.contains("handles:  kind veth"));
    assert!(run.stdout.contains("status:   ok"));

    let run = s.netplug(None, &["--json", "plugins"]);
    let reports: Vec<Value> =
        serde_json::from_value(serde_json::from_str::<Value>(&run.stdout).unwrap()["plugins"].take())
            .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!((&reports[0]["name"], &reports[0]["status"]), (&"veth".into(), &"loaded".into()));
    assert_eq!(reports[0]["sdk_version"], netplug_plugin_sdk::abi::SDK_VERSION);

    // The permission rule, as the real binary applies it: group-writable is refused.
    let so = s.plugin_dir().join("libnetplug_plugin_veth.so");
    std::fs::set_permissions(&so, std::fs::Permissions::from_mode(0o664)).unwrap();
    let run = s.netplug(None, &["plugins"]);
    assert!(run.stdout.contains("writable by group (mode 0664; chmod go-w)"));
}

#[test]
fn validate_points_at_each_problem() {
    let s = Setup::alone();
    let doc = s.doc(
        "bad.xml",
        r#"<interfaces>
  <veth name="v0" peeer="v0p" mut="9000"/>
  <veth name="v1" peer="v1"/>
</interfaces>
"#,
    );
    let run = s.netplug(None, &["validate", doc.to_str().unwrap()]);
    assert_eq!(run.code, 1, "problems found");
    let f = doc.display();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{f}:2:3: error: v0: <veth> needs a `peer` attribute \
                 (a veth is created with its other end: add peer=\"v0p\", say)"
            ),
            format!("{f}:2:19: error: v0: unknown attribute `peeer` on <veth> (did you mean `peer`?)"),
            format!("{f}:2:31: error: v0: unknown attribute `mut` on <veth> (did you mean `mtu`?)"),
            format!("{f}:3:25: error: v1: invalid peer `v1`: a veth's peer needs a name of its own"),
        ]
    );

    let good = s.doc("good.xml", PAIR);
    let run = s.netplug(None, &["validate", good.to_str().unwrap()]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn apply_creates_then_changes_nothing_then_absent_deletes() {
    let s = Setup::alone();
    let ns = Netns::new("apply");
    let pair = s.doc("pair.xml", PAIR);
    let pair = pair.to_str().unwrap();

    let run = s.netplug(Some(&ns), &["plan", pair]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("v0: create veth v0 with peer v0p (mtu 9000, up)  [veth, create]"));
    assert!(ns.link("v0").is_none(), "plan changes nothing");

    // -v shows the plugin's own tracing events, forwarded to netplug's log.
    let run = s.netplug(Some(&ns), &["-v", "apply", pair]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("1. v0: create veth v0 with peer v0p (mtu 9000, up)"));
    assert!(run.stdout.contains("applied 1 change(s) and verified them"));
    assert!(run.stderr.contains("netplug::plugin::veth: applying veth changes count=1"));

    let v0 = ns.link("v0").expect("v0 exists");
    assert_eq!(v0["linkinfo"]["info_kind"], "veth");
    assert_eq!((&v0["mtu"], &v0["link"]), (&9000.into(), &"v0p".into()));
    assert!(is_up(&v0));
    let v0p = ns.link("v0p").expect("its peer exists");
    assert!(!is_up(&v0p), "an undeclared peer stays down");

    let run = s.netplug(Some(&ns), &["show", "v0"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("<veth") && run.stdout.contains(r#"peer="v0p""#), "{}", run.stdout);
    assert!(run.stdout.contains(r#"mtu="9000""#));

    // A second apply finds nothing to do.
    let run = s.netplug(Some(&ns), &["apply", pair]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "no changes: the kernel already matches\n"));
    let run = s.netplug(Some(&ns), &["--json", "apply", pair]);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["changed"], false);
    let run = s.netplug(Some(&ns), &["check", pair]);
    assert_eq!(run.code, 0, "no drift");

    let gone = s.doc("gone.xml", PAIR_ABSENT);
    let run = s.netplug(Some(&ns), &["apply", gone.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("v0: delete veth v0 and its peer v0p  [veth, delete]"));
    assert!(ns.link("v0").is_none() && ns.link("v0p").is_none(), "both ends are gone");
    let run = s.netplug(Some(&ns), &["apply", gone.to_str().unwrap()]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "no changes: the kernel already matches\n"));
}

#[test]
fn a_kernel_error_rolls_back_what_ran_before_it() {
    let s = Setup::alone();
    let ns = Netns::new("rollback");
    // x/taken exist already; the document does not govern them.
    let fixture = s.doc("fixture.xml", r#"<veth name="x" peer="taken"/>"#);
    assert_eq!(s.netplug(Some(&ns), &["apply", fixture.to_str().unwrap()]).code, 0);

    // v0 is created, then v1's peer name is taken: the kernel refuses, v0 is removed again.
    let doc = s.doc(
        "two.xml",
        r#"<interfaces>
  <veth name="v0" peer="v0p"/>
  <veth name="v1" peer="taken"/>
</interfaces>
"#,
    );
    let run = s.netplug(Some(&ns), &["apply", doc.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("v1: create veth"), "names the interface and the request");
    assert!(run.stderr.contains("File exists"), "carries the kernel's errno");
    assert!(run.stderr.contains("the system is as it was before"));
    assert!(ns.link("v0").is_none() && ns.link("v0p").is_none(), "v0 was rolled back");
    assert!(ns.link("x").is_some() && ns.link("taken").is_some(), "the fixture is untouched");
}

#[test]
fn next_to_netplugs_own_plugins() {
    let s = Setup::beside_workspace_plugins();
    let ns = Netns::new("beside");
    let run = s.netplug(None, &["plugins"]);
    assert!(run.stdout.contains("veth 0.1.0\n"));
    assert!(run.stdout.contains("file:     ") && run.stdout.contains("libnetplug_plugin_ethernet.so"));

    let pair = s.doc("pair.xml", PAIR);
    let pair = pair.to_str().unwrap();
    let run = s.netplug(Some(&ns), &["apply", pair]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("create veth v0 with peer v0p (mtu 9000, up)"));
    let run = s.netplug(Some(&ns), &["apply", pair]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "no changes: the kernel already matches\n"));
    let run = s.netplug(Some(&ns), &["show", "v0"]);
    assert!(
        run.stdout.contains("<veth") && run.stdout.contains(r#"peer="v0p""#),
        "the veth plugin's view wins"
    );
}

/// The example's own unit and kernel tests (it is not a workspace member, so nothing else runs
/// them).
#[test]
fn the_examples_own_tests_pass() {
    let (project, target) = example();
    let manifest = project.join("Cargo.toml");
    cargo(
        &[
            "test",
            "--quiet",
            "--locked",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ],
        "cargo test of docs/examples/plugin-veth",
    );
}

/// A third-party kind is in the schema as soon as its plugin is installed; this one declares
/// no vocabulary (it builds against the ABI 1.0 SDK too), so `<veth>` takes any attributes
/// besides the envelope's, beside the workspace's kinds with their own vocabularies.
#[test]
fn schema_has_the_veth_kind_beside_the_workspace_kinds() {
    let s = Setup::beside_workspace_plugins();
    let run = s.netplug(None, &["schema"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let schema = s.doc("netplug.rng", &run.stdout);
    let documents = [
        r#"<veth name="v0" peer="v0p" mtu="9000" state="up"/>"#,
        r#"<interfaces><veth name="v0" peer="v0p"><static ipaddr="192.0.2.1/24"/></veth><bridge name="br0"><member device="v0"/></bridge></interfaces>"#,
    ];
    for xml in documents {
        assert_eq!(relaxng_valid(&schema, xml), Ok(()), "{xml}");
    }
    // The envelope is still core's, and the feature elements their plugins'.
    for xml in [r#"<veth name="v0" mtu="9"/>"#, r#"<veth name="v0"><static ipadr="192.0.2.1/24"/></veth>"#] {
        assert!(relaxng_valid(&schema, xml).is_err(), "{xml}");
    }

    let run = s.netplug(None, &["--json", "schema"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let plugins = doc["plugins"].as_array().unwrap();
    let veth = plugins.iter().find(|p| p["name"] == "veth").expect("veth is listed");
    assert_eq!(veth["vocabulary"], "open");
    assert!(
        plugins.iter().filter(|p| p["name"] != "veth").all(|p| p["vocabulary"] == "declared"),
        "{plugins:?}"
    );
}
