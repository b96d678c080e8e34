//! `cargo xtask dist --plugins ...` as a distribution would run it: the tarball holds the
//! binary and exactly the chosen plugins, with the modes and ownership netplug's loader wants,
//! and the unpacked `bin/netplug` finds exactly those plugins through the installed path. And
//! the README's set-up command (`cargo xtask install`, then the demo in a namespace).
//!
//! Slow: a release build of netplug and its plugins (shared by both tests). It runs with every
//! `cargo test`; skip it with `cargo test -- --skip slow_`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CHOSEN: [&str; 4] = ["ethernet", "bridge", "static", "routes"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// Run a fixture program (cargo, tar), panicking with its stderr when it fails.
fn run(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(output.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn slow_dist_tarball_holds_exactly_the_chosen_plugins() {
    let out = tempfile::tempdir().expect("temp dir");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .current_dir(workspace())
        .args(["xtask", "dist", "--plugins"])
        .arg(CHOSEN.join(","))
        .arg("--out")
        .arg(out.path()));

    let name = format!("netplug-{}-{}", env!("CARGO_PKG_VERSION"), std::env::consts::ARCH);
    let tarball = out.path().join(format!("{name}.tar.gz"));
    assert!(tarball.is_file(), "no {}", tarball.display());

    // What the tarball holds: `tar -tv` lines end with the path; owner/group come third.
    let listing = run(Command::new("tar").args(["--numeric-owner", "-tvzf"]).arg(&tarball));
    let mut plugins = Vec::new();
    let mut binary = false;
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (mode, owner, path) = (fields[0], fields[1], *fields.last().unwrap());
        assert_eq!(
            owner, "0/0",
            "owned by root whoever built it, so root's netplug accepts the plugins: {line}"
        );
        let rel = path.strip_prefix(&format!("{name}/")).unwrap_or_else(|| panic!("outside {name}/: {line}"));
        if rel == "bin/netplug" {
            assert_eq!(mode, "-rwxr-xr-x", "{line}");
            binary = true;
        } else if let Some(file) = rel.strip_prefix("lib/netplug/plugins/").filter(|f| !f.is_empty()) {
            assert_eq!(mode, "-rw-r--r--", "plugins are not writable by group or others: {line}");
            plugins.push(file.to_string());
        } else {
            let unit = rel.starts_with("lib/systemd/system/netplug-") && rel.ends_with(".service");
            let man = rel.starts_with("share/man/man") && rel.ends_with(".gz");
            let completion = [
                "share/bash-completion/completions/netplug",
                "share/zsh/site-functions/_netplug",
                "share/fish/vendor_completions.d/netplug.fish",
            ]
            .contains(&rel);
            if man || completion {
                assert_eq!(mode, "-rw-r--r--", "{line}");
            }
            let allowed = rel.is_empty()
                || mode.starts_with('d')
                || rel.starts_with("share/doc/netplug/")
                || unit
                || man
                || completion;
            assert!(allowed, "unexpected entry {line}");
        }
    }
    assert!(binary, "no bin/netplug in\n{listing}");
    plugins.sort();
    let mut expected: Vec<String> = CHOSEN.iter().map(|p| format!("libnetplug_plugin_{p}.so")).collect();
    expected.sort();
    assert_eq!(plugins, expected);
    assert!(listing.contains(&format!("{name}/share/doc/netplug/packaging.md")));
    assert!(listing.contains(&format!("{name}/lib/systemd/system/netplug-apply.service")));
    for file in [
        "share/man/man8/netplug.8.gz",
        "share/man/man8/netplug-apply.8.gz",
        "share/man/man5/netplug.xml.5.gz",
        "share/bash-completion/completions/netplug",
        "share/zsh/site-functions/_netplug",
        "share/fish/vendor_completions.d/netplug.fish",
    ] {
        assert!(listing.contains(&format!("{name}/{file}")), "no {file} in\n{listing}");
    }

    // Unpacked anywhere, the binary finds exactly those plugins in ../lib/netplug/plugins.
    let unpacked = tempfile::tempdir().expect("temp dir");
    run(Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(unpacked.path()));
    let root = unpacked.path().join(&name);
    let mode = std::fs::metadata(root.join("lib/netplug/plugins")).unwrap().permissions().mode();
    assert_eq!(mode & 0o022, 0, "the plugin directory is not writable by group or others");
    // The unpacked netplug keeps its plugin index in a run directory of the test's own, never
    // the machine's /run/netplug.
    let run_dir = unpacked.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    let json = run(Command::new(root.join("bin/netplug"))
        .args(["--json", "plugins"])
        .env("NETPLUG_RUN_DIR", &run_dir)
        .env_remove("NETPLUG_PLUGIN_PATH"));
    let mut json: Value = serde_json::from_str(&json).expect("plugins --json");
    let reports: Vec<Value> = serde_json::from_value(json["plugins"].take()).expect("a list of plugins");
    let mut found: Vec<(&str, &str, &str)> = reports
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["status"].as_str().unwrap(), r["source"].as_str().unwrap()))
        .collect();
    found.sort();
    let mut want: Vec<(&str, &str, &str)> = CHOSEN.iter().map(|p| (*p, "loaded", "installed")).collect();
    want.sort();
    assert_eq!(found, want, "{json}");

    // A document needing a plugin the tarball lacks is refused, naming the plugin to install.
    let doc = unpacked.path().join("bond.xml");
    std::fs::write(&doc, "<interfaces>\n  <bond name=\"bond0\"/>\n</interfaces>\n").unwrap();
    let output = Command::new(root.join("bin/netplug"))
        .arg("validate")
        .arg(&doc)
        .env("NETPLUG_RUN_DIR", &run_dir)
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

/// The README's set-up command, as a new user runs it: `cargo xtask install --prefix ~/.local`,
/// then the installed netplug applies `docs/examples/demo.xml` in a namespace and shows it.
/// Here `~` is a directory of the test's own (cargo and rustup keep theirs), the namespace is
/// one the test made in place of `netplug-demo`, and netplug's directories are temporary.
#[test]
fn slow_readme_setup_command_installs_and_applies_the_demo() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let setup = &readme[readme.find("## Set up").expect("README has a Set up section")..];
    let block = setup.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    let command = block.trim();
    assert!(
        command.starts_with("cargo xtask install --prefix ~/.local &&") && command.contains("netplug-demo"),
        "the README's set-up command changed; this test runs it: {command}"
    );
    let ns = netplug_tests::Netns::new("demo");
    let home = tempfile::tempdir().expect("temp dir");
    let real_home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
    let keep =
        |var: &str, default: &str| std::env::var_os(var).unwrap_or_else(|| real_home.join(default).into());
    let output = Command::new("bash")
        // As a user types it: no `-e`, since the command tolerates an existing namespace.
        .args(["-c", &command.replace("netplug-demo", &ns.name)])
        .current_dir(workspace())
        .env("HOME", home.path())
        .env("CARGO_HOME", keep("CARGO_HOME", ".cargo"))
        .env("RUSTUP_HOME", keep("RUSTUP_HOME", ".rustup"))
        .env("NETPLUG_CONFIG_DIR", ns.dir.path().join("config"))
        .env("NETPLUG_RUN_DIR", ns.dir.path().join("run"))
        .env("NETPLUG_STATE_DIR", ns.dir.path().join("state"))
        .env_remove("NETPLUG_PLUGIN_PATH")
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{command}: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(home.path().join(".local/bin/netplug").is_file());
    for bridge in ["<bridge name=\"br0\"", "<bridge name=\"br1\""] {
        assert!(stdout.contains(bridge), "show prints {bridge}:\n{stdout}");
    }
    // As the demo's comment says: a second apply changes nothing.
    assert_eq!(ns.plan_len(&workspace().join("docs/examples/demo.xml")), 0);
}
