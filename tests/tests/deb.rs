//! `cargo xtask deb` as a distribution would run it: lintian finds no errors in any package;
//! unpacked into a throw-away root, `netplug plugins` lists exactly the plugins of the
//! packages installed, and without `netplug-plugin-bond` a `<bond>` is refused naming the
//! plugin to install. The man pages the packages carry are read by man(1), and the units
//! verify with them installed.
//!
//! Slow: one release build of netplug and every plugin (shared with `dist.rs`). It runs with
//! every `cargo test`; skip it with `cargo test -- --skip slow_`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BASE: [&str; 3] = ["ethernet", "routes", "static"];
const OPTIONAL: &[&str] =
    &["bridge", "bond", "vlan", "veth", "dummy", "vxlan", "macvlan", "ipvlan", "vrf", "wireguard", "dhcp"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

fn run(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Unpack these packages into a new root, as `dpkg --unpack` would lay them out.
fn install(debs: &[PathBuf]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    for deb in debs {
        run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root.path()));
    }
    root
}

/// `netplug --json plugins` of the netplug installed under `root`: (name, status, source).
fn plugins(root: &Path) -> Vec<(String, String, String)> {
    let run_dir = root.join("run/netplug");
    std::fs::create_dir_all(&run_dir).unwrap();
    let json = run(Command::new(root.join("usr/bin/netplug"))
        .args(["--json", "plugins"])
        .env("NETPLUG_RUN_DIR", &run_dir)
        .env_remove("NETPLUG_PLUGIN_PATH"));
    let mut json: Value = serde_json::from_str(&json).expect("plugins --json");
    let reports: Vec<Value> = serde_json::from_value(json["plugins"].take()).expect("a list of plugins");
    let mut found: Vec<_> = reports
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (field("name"), field("status"), field("source"))
        })
        .collect();
    found.sort();
    found
}

fn loaded(names: &[&str]) -> Vec<(String, String, String)> {
    let mut want: Vec<_> =
        names.iter().map(|p| (p.to_string(), "loaded".to_string(), "installed".to_string())).collect();
    want.sort();
    want
}

#[test]
fn slow_deb_packages_install_exactly_their_plugins() {
    let out = tempfile::tempdir().expect("temp dir");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let listing =
        run(Command::new(cargo).current_dir(workspace()).args(["xtask", "deb", "--out"]).arg(out.path()));
    let debs: Vec<PathBuf> = listing.lines().map(PathBuf::from).collect();
    let package = |name: &str| -> PathBuf {
        debs.iter()
            .find(|d| d.file_name().unwrap().to_string_lossy().starts_with(&format!("{name}_")))
            .unwrap_or_else(|| panic!("no {name} package in {debs:?}"))
            .clone()
    };
    assert_eq!(debs.len(), 1 + OPTIONAL.len(), "{debs:?}");

    // lintian: no errors in any package (its warnings are listed, and overridden only with a
    // reason in docs/packaging.md).
    let lintian = Command::new("lintian")
        .args(["--fail-on", "error", "--no-tag-display-limit"])
        .args(&debs)
        .output()
        .expect("lintian is needed (apt-get install lintian; .ci/run installs it)");
    let report = String::from_utf8_lossy(&lintian.stdout);
    assert!(
        lintian.status.success(),
        "lintian found errors:\n{report}{}",
        String::from_utf8_lossy(&lintian.stderr)
    );
    assert!(!report.lines().any(|l| l.starts_with("E: ")), "{report}");

    // What each package depends on and provides.
    let field = |deb: &Path, name: &str| {
        run(Command::new("dpkg-deb").args(["-f"]).arg(deb).arg(name)).trim().to_string()
    };
    let provides = field(&package("netplug"), "Provides");
    assert!(provides.starts_with("netplug-abi-1 (= 1."), "{provides}");
    let abi = "netplug-abi-1 (>= 1.";
    for p in OPTIONAL {
        let deb = package(&format!("netplug-plugin-{p}"));
        let depends = field(&deb, "Depends");
        assert!(depends.contains(abi) && depends.contains("netplug (="), "{p}: {depends}");
        let contents = run(Command::new("dpkg-deb").arg("-c").arg(&deb));
        assert!(
            contents.contains(&format!("./usr/lib/netplug/plugins/libnetplug_plugin_{p}.so")),
            "{contents}"
        );
    }

    // Everything installed: every plugin, from the installed directory.
    let all = install(&debs);
    let mut every: Vec<&str> = BASE.to_vec();
    every.extend(OPTIONAL.iter().copied());
    assert_eq!(plugins(all.path()), loaded(&every));

    // Man pages and completions are where man(1) and the shells look.
    let man = all.path().join("usr/share/man");
    for page in ["man8/netplug.8.gz", "man8/netplug-apply.8.gz", "man5/netplug.xml.5.gz"] {
        let text = run(Command::new("man").arg("-l").arg(man.join(page)).env("MANWIDTH", "100"));
        assert!(text.contains("NAME"), "{page}: {text}");
    }
    let netplug8 =
        run(Command::new("man").arg("-l").arg(man.join("man8/netplug.8.gz")).env("MANWIDTH", "100"));
    assert!(netplug8.contains("EXIT STATUS") && netplug8.contains("netplug-start(8)"), "{netplug8}");
    // The units' `Documentation=man:netplug(8)` is found once the package is installed.
    let units: Vec<String> = std::fs::read_dir(all.path().join("lib/systemd/system"))
        .expect("the package installs its units in /lib/systemd/system")
        .map(|e| format!("/lib/systemd/system/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    assert!(units.iter().any(|u| u.ends_with("/netplug-apply.service")), "{units:?}");
    // What the units run from outside the package (`/bin/kill`) comes from the rest of the
    // system: copy it in, since verify looks for every command under --root.
    for unit in &units {
        let text = std::fs::read_to_string(all.path().join(unit.trim_start_matches('/'))).unwrap();
        for line in text.lines().filter(|l| l.starts_with("Exec")) {
            let Some((_, command)) = line.split_once('=') else { continue };
            let program =
                command.trim_start_matches(['-', '@', ':', '+', '!']).split_whitespace().next().unwrap_or("");
            let inside = all.path().join(program.trim_start_matches('/'));
            if program.starts_with('/') && !inside.exists() && Path::new(program).exists() {
                std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
                std::fs::copy(program, &inside).unwrap();
            }
        }
    }
    run(Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", all.path().display()))
        .args(&units)
        .env("MANPATH", &man));
    for script in [
        "usr/share/bash-completion/completions/netplug",
        "usr/share/zsh/vendor-completions/_netplug",
        "usr/share/fish/vendor_completions.d/netplug.fish",
    ] {
        assert!(all.path().join(script).is_file(), "no {script}");
    }

    // `apt remove netplug-plugin-bond`: the same without that package.
    let without: Vec<PathBuf> =
        debs.iter().filter(|d| !d.to_string_lossy().contains("netplug-plugin-bond_")).cloned().collect();
    let some = install(&without);
    let rest: Vec<&str> = every.iter().copied().filter(|p| *p != "bond").collect();
    assert_eq!(plugins(some.path()), loaded(&rest));
    let doc = some.path().join("bond.xml");
    std::fs::write(&doc, "<interfaces>\n  <bond name=\"bond0\"/>\n</interfaces>\n").unwrap();
    let output = Command::new(some.path().join("usr/bin/netplug"))
        .arg("validate")
        .arg(&doc)
        .env("NETPLUG_RUN_DIR", some.path().join("run/netplug"))
        .env_remove("NETPLUG_PLUGIN_PATH")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let expected = format!(
        "{}:2:3: error: bond0: no installed plugin handles <bond> (install the plugin for <bond>: package netplug-plugin-bond)",
        doc.display()
    );
    assert!(stderr.lines().any(|l| l == expected), "{stderr}");
}
