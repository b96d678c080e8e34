//! The output contracts of docs/json.md: every verb's `--json` document validates against its
//! definition in docs/json/netplug-v1.schema.json, and the exit statuses follow the one table.

use std::process::{Command, Stdio};

use netplug_tests::{document, netplug, workspace, Netns};
use serde_json::{json, Value};

const BRIDGE: &str = r#"<bridge name="br0" startmode="onboot"><static ipaddr="192.0.2.1/24"/></bridge>"#;
const BAD: &str = r#"<bridge name="br0"><nonsense/></bridge>"#;

fn schema() -> Value {
    let path = workspace().join("docs/json/netplug-v1.schema.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("the schema is JSON")
}

/// Check `stdout` (one JSON document) against `$defs/<definition>`.
#[track_caller]
fn conforms(definition: &str, stdout: &str) -> Value {
    let mut root = schema();
    assert!(root["$defs"].get(definition).is_some(), "no $defs/{definition} in the schema");
    root["$ref"] = json!(format!("#/$defs/{definition}"));
    let validator = jsonschema::validator_for(&root).expect("the schema compiles");
    let doc: Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{stdout}"));
    let errors: Vec<String> =
        validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{definition}: {errors:#?}\n{doc:#}");
    doc
}

#[test]
fn the_schema_is_a_valid_json_schema_and_docs_name_every_document() {
    let root = schema();
    jsonschema::meta::validate(&root).expect("a valid JSON Schema");
    let docs = std::fs::read_to_string(workspace().join("docs/json.md")).unwrap();
    let documents = [
        "diagnostics",
        "convert",
        "import",
        "order",
        "plan",
        "apply",
        "check",
        "show",
        "dumpxml",
        "mac",
        "name",
        "list",
        "status",
        "plugins",
        "schema",
        "definitions",
        "transaction",
        "rollback",
        "confirm",
        "wait_online",
    ];
    for d in documents {
        assert!(root["$defs"][d].is_object(), "$defs/{d} missing");
        assert!(docs.contains(&format!("**`{d}`**")), "docs/json.md does not describe `{d}`");
    }
    for (status, _) in [(0, ""), (1, ""), (2, ""), (3, ""), (4, ""), (77, "")] {
        assert!(
            docs.contains(&format!("\n| {status} | ")),
            "docs/json.md's table lacks exit status {status}"
        );
    }
}

#[test]
fn every_verb_prints_a_document_of_its_schema() {
    let ns = Netns::new("json");
    let dir = ns.dir.path();
    let doc = document(dir, "br0.xml", BRIDGE);
    let doc = doc.to_str().unwrap();
    let bad = document(dir, "bad.xml", BAD);
    let bad = bad.to_str().unwrap();
    let run = |args: &[&str]| ns.netplug(&[&["--json"], args].concat());

    let v = conforms("diagnostics", &run(&["validate", doc]).ok());
    assert_eq!(v["valid"], true);
    let r = run(&["validate", bad]);
    assert_eq!(r.code(), 1);
    let v = conforms("diagnostics", &r.stdout());
    assert_eq!((v["valid"].clone(), v["diagnostics"][0]["line"].clone()), (json!(false), json!(1)));
    // Any verb that reads invalid documents prints the diagnostics document.
    let r = run(&["apply", bad]);
    assert_eq!(r.code(), 1);
    conforms("diagnostics", &r.stdout());

    let v = conforms("convert", &run(&["convert", "--to", "libvirt", doc]).ok());
    assert!(v["document"].as_str().unwrap().contains("type=\"bridge\""));
    let r = run(&["convert", "--strict", "--to", "libvirt", doc]);
    let v = conforms("convert", &r.stdout());
    if !v["dropped"].as_array().unwrap().is_empty() {
        assert_eq!((r.code(), &v["document"]), (1, &Value::Null));
    }
    let interfaces =
        document(dir, "interfaces", "auto br9\niface br9 inet manual\n\tbridge-ports none\n\tdns-search x\n");
    let v = conforms("import", &run(&["import", "--from", "ifupdown", interfaces.to_str().unwrap()]).ok());
    assert!(v["document"].as_str().unwrap().contains("<bridge name=\"br9\""));
    assert_eq!(v["unsupported"][0]["line"], 4);
    conforms("order", &run(&["order", doc]).ok());
    let v = conforms("plan", &run(&["plan", doc]).ok());
    assert_eq!(v["steps"][0]["interface"], "br0");
    conforms("plan", &run(&["apply", "--dry-run", doc]).ok());
    let r = run(&["check", doc]);
    assert_eq!(r.code(), 1, "drift before the apply");
    assert_eq!(conforms("check", &r.stdout())["in_sync"], false);

    // A failed apply, rolled back.
    let r = run(&["apply", "--inject-failure-at", "2", doc]);
    assert_eq!(r.code(), 1);
    let v = conforms("apply", &r.stdout());
    assert_eq!((v["applied"].clone(), v["rollback"]["verified"].clone()), (json!(false), json!(true)));

    let v = conforms("apply", &run(&["apply", doc]).ok());
    assert_eq!((v["applied"].clone(), v["changed"].clone()), (json!(true), json!(true)));
    assert_eq!(conforms("check", &run(&["check", doc]).ok())["in_sync"], true);

    let v = conforms("show", &run(&["show", "br0"]).ok());
    assert_eq!(
        (v["interfaces"][0]["name"].clone(), v["interfaces"][0]["state"].clone()),
        (json!("br0"), json!("up"))
    );
    let v = conforms("dumpxml", &run(&["dumpxml", "br0"]).ok());
    assert_eq!(v["source"], "live");
    let v = conforms("mac", &run(&["mac", "br0"]).ok());
    let mac = v["mac"].as_str().unwrap().to_string();
    let v = conforms("name", &run(&["name", &mac.to_uppercase()]).ok());
    assert_eq!(v["interfaces"][0], json!({"name": "br0", "source": "live"}));

    let v = conforms("definitions", &run(&["define", doc]).ok());
    assert_eq!(v["defined"][0]["name"], "br0");
    let v = conforms("wait_online", &run(&["wait-online", "--timeout", "5"]).ok());
    assert_eq!(v["interfaces"][0], json!({"name": "br0", "online": true, "waiting_for": []}));
    let v = conforms("dumpxml", &run(&["dumpxml", "--inactive", "br0"]).ok());
    assert_eq!(
        (v["source"].clone(), v["interface"]["startmode"].clone()),
        (json!("definition"), json!("onboot"))
    );
    conforms("list", &run(&["list", "--all"]).ok());
    conforms("status", &run(&["status"]).ok());
    conforms("plugins", &run(&["plugins"]).ok());
    let v = conforms("schema", &run(&["schema"]).ok());
    assert!(v["schema"].as_str().unwrap().contains("<element name=\"bridge\">"));

    assert_eq!(conforms("transaction", &run(&["begin"]).ok())["transaction"], "open");
    conforms("apply", &run(&["stop", "br0"]).ok());
    let v = conforms("rollback", &run(&["rollback"]).ok());
    assert_eq!(v["verified"], true);
    assert_eq!(conforms("transaction", &run(&["begin"]).ok())["transaction"], "open");
    assert_eq!(conforms("transaction", &run(&["commit"]).ok())["transaction"], "committed");
    conforms("apply", &run(&["start", "br0"]).ok());

    // apply --confirm: the apply's document, then (from another netplug) confirm's.
    let two = document(dir, "br1.xml", r#"<bridge name="br1"/>"#);
    let waiting = ns
        .command()
        .args(["--json", "apply", "--confirm", "30"])
        .arg(&two)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !ns.ip(&["link", "show"]).contains("br1") {
        assert!(std::time::Instant::now() < deadline, "the confirmed apply never applied");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The journal is written before the first change; retry while the apply is still verifying.
    let confirmed = loop {
        let r = run(&["confirm"]);
        if r.code() == 0 || std::time::Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    conforms("confirm", &confirmed.ok());
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success());
    conforms("apply", &String::from_utf8_lossy(&out.stdout));

    let v = conforms("definitions", &run(&["undefine", "br0"]).ok());
    assert_eq!(v["undefined"], json!(["br0"]));
}

#[test]
fn exit_statuses_follow_the_table() {
    let ns = Netns::new("exit");
    let doc = document(ns.dir.path(), "br0.xml", BRIDGE);
    let bad = document(ns.dir.path(), "bad.xml", BAD);

    // 2: unknown names, a verb that does not fit the state, a namespace that does not exist.
    for args in [
        &["mac", "nope0"][..],
        &["show", "nope0"],
        &["start", "nope0"],
        &["dumpxml", "--inactive", "nope0"],
        &["commit"],
    ] {
        let r = ns.netplug(args);
        assert_eq!(r.code(), 2, "{args:?}: {}", r.stderr());
        assert_eq!(r.stderr().lines().count(), 1, "{args:?}: one line: {}", r.stderr());
    }
    let r = Command::new(netplug()).args(["--netns", "np-no-such-namespace", "show"]).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    // 1: invalid input, drift.
    assert_eq!(ns.netplug(&["validate", bad.to_str().unwrap()]).code(), 1);
    assert_eq!(ns.netplug(&["check", doc.to_str().unwrap()]).code(), 1);

    // 4: the lock held by someone else for longer than --wait.
    std::fs::create_dir_all(ns.dir.path().join("run")).unwrap();
    let lock = ns.dir.path().join("run/lock");
    let mut holder = Command::new("flock").arg(&lock).args(["sleep", "30"]).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while Command::new("flock").args(["-n"]).arg(&lock).arg("true").status().unwrap().success() {
        assert!(std::time::Instant::now() < deadline, "flock never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let busy = ns.netplug(&["--wait", "0.2", "apply", doc.to_str().unwrap()]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(busy.code(), 4, "{}", busy.stderr());

    // 77: a verb that changes interfaces, without CAP_NET_ADMIN (root without it here), fails
    // before touching anything, in one line that says it needs root.
    let run_dir = ns.dir.path().join("run-unprivileged");
    let r = Command::new("setpriv")
        .args(["--bounding-set=-net_admin", "--inh-caps=-net_admin"])
        .arg(netplug())
        .arg("--run-dir")
        .arg(&run_dir)
        .arg("apply")
        .arg(&doc)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(77), "{stderr}");
    assert_eq!(
        stderr,
        "netplug: error: `netplug apply` changes network interfaces and needs root (CAP_NET_ADMIN)\n"
    );
    assert!(!run_dir.exists(), "nothing was touched, not even the lock");
}

#[test]
fn a_dash_reads_standard_input() {
    let read = |args: &[&str], input: &str| {
        let mut child = Command::new(netplug())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = read(&["validate", "-"], BRIDGE);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = read(&["validate", "-"], BAD);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("<stdin>:1:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = read(&["convert", "--to", "libvirt", "-"], BRIDGE);
    assert!(String::from_utf8_lossy(&out.stdout).contains("<interface type=\"bridge\" name=\"br0\">"));
    let out = read(&["validate", "-", "-"], BRIDGE);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard input was already read"));
}

#[test]
fn no_color_turns_colours_off_on_a_terminal() {
    // `script` gives netplug a terminal for stderr; -vvv makes it log.
    let log = |no_color: bool| {
        let cmd = format!(
            "{}{} -vvv --run-dir /nonexistent-np-colour validate /nonexistent-np-colour.xml",
            if no_color { "NO_COLOR=1 " } else { "" },
            netplug().display()
        );
        let out = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env_remove("NETPLUG_LOG")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = log(false);
    assert!(coloured.contains('\u{1b}'), "a terminal gets colours: {coloured}");
    let plain = log(true);
    assert!(plain.contains("TRACE") || plain.contains("DEBUG"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain}");
}
