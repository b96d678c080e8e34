//! The shell completions `cargo xtask man` writes (the ones `install`, `dist` and `deb`
//! install), run by the real shells: verbs and options complete, and where a verb takes an
//! interface name, the names of the stored definitions in the configuration directory do, with
//! the live devices for the verbs that read the kernel: the shell's own, or with `--netns NAME`
//! on the line that namespace's (listed by the built netplug inside it). Needs bash, zsh and
//! fish (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// The generated scripts, once per test binary: (directory holding them, its guard).
fn scripts() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(workspace())
            .args(["xtask", "man", "--out"])
            .arg(dir.path())
            .output()
            .expect("cargo xtask man");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dir
    })
    .path()
}

/// PATH with the built netplug first, as an installed one would be found.
fn with_netplug_on_path() -> std::ffi::OsString {
    let bin = netplug_tests::netplug();
    let mut paths = vec![bin.parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).unwrap()
}

/// The devices of the machine's namespace but lo, as /sys/class/net lists them.
fn own_devices() -> Vec<String> {
    std::fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lo")
        .collect()
}

/// `names` and `more`, sorted, once each.
fn union(names: &[&str], more: &[String]) -> Vec<String> {
    let mut all: Vec<String> = names.iter().map(|n| n.to_string()).chain(more.iter().cloned()).collect();
    all.sort();
    all.dedup();
    all
}

/// A namespace of the test's own with the veth pair cmpl0 – cmpl1.
fn netns_with_devices() -> netplug_tests::Netns {
    let ns = netplug_tests::Netns::new("cmpl");
    ns.ip(&["link", "add", "cmpl0", "type", "veth", "peer", "name", "cmpl1"]);
    ns
}

/// A configuration directory holding definitions of these names (and a file that is not one).
fn config(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for n in names {
        std::fs::write(dir.path().join(format!("{n}.xml")), "").unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    dir
}

fn shell(program: &str, script: &str) -> Vec<String> {
    let run = tempfile::tempdir().unwrap();
    let out = Command::new(program)
        .args(["-c", script])
        .env_remove("NETPLUG_CONFIG_DIR")
        .env("PATH", with_netplug_on_path())
        // The netplug a completion runs keeps its files here, never in the machine's /run.
        .env("NETPLUG_RUN_DIR", run.path().join("run"))
        .env("NETPLUG_STATE_DIR", run.path().join("state"))
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (apt-get install {program}): {e}"));
    assert!(
        out.status.success(),
        "{program}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut words: Vec<String> =
        String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect();
    words.sort();
    words
}

/// bash: what `_netplug` offers for the last of `words`.
fn bash(words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    shell(
        "bash",
        &format!(
            "source {}/completions/netplug.bash\n\
             COMP_WORDS=({}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             _netplug \"${{COMP_WORDS[0]}}\" \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            scripts().display(),
            quoted.join(" ")
        ),
    )
}

#[test]
fn bash_completes_verbs_options_and_defined_names() {
    let cfg = config(&["eth0", "br0"]);
    let dir = cfg.path().to_str().unwrap();
    assert_eq!(bash(&["netplug", "sta"]), ["start", "status"]);
    assert_eq!(bash(&["netplug", "--config-dir", dir, "start", ""]), ["br0", "eth0"]);
    assert_eq!(bash(&["netplug", "--config-dir", dir, "stop", "br0", "e"]), ["eth0"]);
    assert_eq!(bash(&["netplug", &format!("--config-dir={dir}"), "dumpxml", "b"]), ["br0"]);
    assert!(bash(&["netplug", "--config-dir", dir, "dumpxml", "--in"]).contains(&"--inactive".to_string()));
    // An option's value is not a name; a FILE is not one either.
    assert!(!bash(&["netplug", "--config-dir", dir, "bridge", "--delay", ""]).contains(&"eth0".to_string()));
    assert!(!bash(&["netplug", "--config-dir", dir, "apply", ""]).contains(&"eth0".to_string()));
    // `bridge IFACE BRIDGE`: a device or a definition first, then a new name: nothing offered.
    let first = bash(&["netplug", "--config-dir", dir, "bridge", ""]);
    assert!(first.contains(&"eth0".to_string()) && first.contains(&"br0".to_string()), "{first:?}");
    assert!(!first.contains(&"lo".to_string()), "{first:?}");
    let first = bash(&["netplug", "--config-dir", dir, "bridge", "--no-stp", "--delay", "2", "e"]);
    assert!(first.contains(&"eth0".to_string()), "{first:?}");
    assert_eq!(bash(&["netplug", "--config-dir", dir, "bridge", "eth0", ""]), Vec::<String>::new());
    assert_eq!(
        bash(&["netplug", "--config-dir", dir, "bridge", "--delay", "2", "eth0", "b"]),
        Vec::<String>::new()
    );
}

/// The verbs that act on definitions complete only their names; those that read the kernel
/// complete the live devices too.
#[test]
fn bash_completes_every_verb_taking_an_interface() {
    let cfg = config(&["eth0", "br0"]);
    let dir = cfg.path().to_str().unwrap();
    for verb in ["start", "stop", "undefine", "edit", "status", "wait-online"] {
        assert_eq!(bash(&["netplug", "--config-dir", dir, verb, ""]), ["br0", "eth0"], "{verb}");
    }
    let live = union(&["br0", "eth0"], &own_devices());
    for verb in ["show", "dumpxml", "mac", "unbridge", "bridge"] {
        assert_eq!(bash(&["netplug", "--config-dir", dir, verb, ""]), live, "{verb}");
    }
    // `show NAME...`: every word.
    assert_eq!(bash(&["netplug", "--config-dir", dir, "show", "br0", ""]), live);
}

#[test]
fn bash_completes_the_devices_of_the_namespace_on_the_line() {
    let ns = netns_with_devices();
    let cfg = config(&["eth0"]);
    let dir = cfg.path().to_str().unwrap();
    let want = ["cmpl0", "cmpl1", "eth0"];
    assert_eq!(bash(&["netplug", "--config-dir", dir, "--netns", &ns.name, "show", ""]), want);
    assert_eq!(bash(&["netplug", "--config-dir", dir, &format!("--netns={}", ns.name), "mac", ""]), want);
    // --netns is global: after the verb too.
    assert_eq!(
        bash(&["netplug", "--config-dir", dir, "bridge", "--netns", &ns.name, "c"]),
        ["cmpl0", "cmpl1"]
    );
    assert_eq!(
        bash(&["netplug", "--config-dir", dir, "--netns", &ns.name, "dumpxml", "cmpl1", ""]),
        Vec::<String>::new()
    );
    // A namespace that does not exist: the definitions alone, no error on the terminal.
    assert_eq!(bash(&["netplug", "--config-dir", dir, "--netns", "np-no-such-ns", "show", ""]), ["eth0"]);
    // Definitions only, whatever the namespace.
    assert_eq!(bash(&["netplug", "--config-dir", dir, "--netns", &ns.name, "start", ""]), ["eth0"]);
}

#[test]
fn bash_takes_the_directory_from_the_environment() {
    let cfg = config(&["bond0"]);
    let script = format!(
        "source {}/completions/netplug.bash\nexport NETPLUG_CONFIG_DIR={}\n\
         COMP_WORDS=(netplug start ''); COMP_CWORD=2; _netplug netplug '' start\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        scripts().display(),
        cfg.path().display()
    );
    assert_eq!(shell("bash", &script), ["bond0"]);
}

#[test]
fn fish_completes_verbs_and_defined_names() {
    let cfg = config(&["eth0", "br0"]);
    let complete = |line: &str| {
        let script = format!("source {}/completions/netplug.fish\ncomplete -C '{line}'", scripts().display());
        // `complete -C` prints `candidate<TAB>description`: keep the candidates.
        let run = tempfile::tempdir().unwrap();
        let out = Command::new("fish")
            .args(["--no-config", "-c", &script])
            .env_remove("NETPLUG_CONFIG_DIR")
            .env("PATH", with_netplug_on_path())
            .env("NETPLUG_RUN_DIR", run.path().join("run"))
            .env("NETPLUG_STATE_DIR", run.path().join("state"))
            .output()
            .expect("fish is needed for this test (apt-get install fish)");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut words: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect();
        words.sort();
        words
    };
    let dir = cfg.path().display();
    assert_eq!(complete(&format!("netplug --config-dir {dir} start ")), ["br0", "eth0"]);
    assert_eq!(complete(&format!("netplug --config-dir {dir} undefine e")), ["eth0"]);
    assert!(complete("netplug sta").contains(&"status".to_string()));
    let first = complete(&format!("netplug --config-dir {dir} bridge "));
    assert!(first.contains(&"eth0".to_string()) && first.contains(&"br0".to_string()), "{first:?}");
    let first = complete(&format!("netplug --config-dir {dir} bridge --delay 2 e"));
    assert!(first.contains(&"eth0".to_string()), "{first:?}");
    assert_eq!(complete(&format!("netplug --config-dir {dir} bridge eth0 ")), Vec::<String>::new());
    assert_eq!(complete(&format!("netplug --config-dir {dir} stop ")), ["br0", "eth0"]);
    assert_eq!(
        complete(&format!("netplug --config-dir {dir} show ")),
        union(&["br0", "eth0"], &own_devices())
    );
    let ns = netns_with_devices();
    assert_eq!(
        complete(&format!("netplug --config-dir {dir} --netns {} show ", ns.name)),
        ["br0", "cmpl0", "cmpl1", "eth0"]
    );
    assert_eq!(
        complete(&format!("netplug --config-dir {dir} mac --netns={} c", ns.name)),
        ["cmpl0", "cmpl1"]
    );
}

#[test]
fn zsh_reads_the_names_from_the_configuration_directory() {
    let cfg = config(&["eth0", "vlan10"]);
    // Outside a completion widget `_wanted` cannot add matches: stand one in that prints them.
    let script = format!(
        "autoload -U compinit && compinit -u -D\n\
         source {}/completions/_netplug\n\
         _wanted() {{ print -l -- ${{(P)argv[-1]}} }}\n\
         BUFFER='netplug --config-dir {} start e'\n\
         _netplug_names",
        scripts().display(),
        cfg.path().display()
    );
    assert_eq!(shell("zsh", &script), ["eth0", "vlan10"]);
    // The devices of the namespace on the line (`_alternative` stood in for as `_wanted`).
    let ns = netns_with_devices();
    let script = format!(
        "autoload -U compinit && compinit -u -D\n\
         source {}/completions/_netplug\n\
         _alternative() {{ print -l -- $devices }}\n\
         BUFFER='netplug --netns {} show c'\n\
         _netplug_devices",
        scripts().display(),
        ns.name
    );
    assert_eq!(shell("zsh", &script), ["cmpl0", "cmpl1"]);
    let syntax = Command::new("zsh").arg("-n").arg(scripts().join("completions/_netplug")).status().unwrap();
    assert!(syntax.success());
}
