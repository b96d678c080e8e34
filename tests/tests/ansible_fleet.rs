//! The Ansible collection (`ansible/`, netplug.host) driving netplug on a small fleet: real
//! playbooks run by ansible-core against "hosts" that are network namespaces made here.
//!
//! - `lan`: two hosts reached with the local connection and the modules' `netns` option, each
//!   with a veth `eth0` whose gateway lives in a shared "router" namespace. Rolling apply
//!   (changed, with diff), re-apply (not changed), check mode (nothing changes), a broken
//!   document (failed with file:line:col).
//! - `remote`: one host reached over ssh from a controller namespace, sshd running inside the
//!   host's namespace, so the connection really goes through the interface being changed. A
//!   change with `confirm:` is confirmed over a new connection; a change that cuts the
//!   controller off is rolled back by netplug on the host, reported failed, host unchanged.
//!
//! Needs ansible-core and openssh-server (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use netplug_tests::{assert_same_state, netplug, workspace, Netns};
use serde_json::Value;

/// A temporary Ansible setup: the collection where ansible looks for it, an inventory, and an
/// environment that keeps ansible's files out of the home directory.
struct Controller {
    dir: tempfile::TempDir,
}

impl Controller {
    fn new(inventory: &str) -> Controller {
        let dir = tempfile::tempdir().expect("temporary directory");
        let collections = dir.path().join("collections/ansible_collections/netplug");
        std::fs::create_dir_all(&collections).unwrap();
        std::os::unix::fs::symlink(workspace().join("ansible"), collections.join("host")).unwrap();
        std::fs::write(dir.path().join("inventory.yml"), inventory).unwrap();
        // An empty configuration, so no ansible.cfg of the machine's applies.
        std::fs::write(dir.path().join("none.cfg"), "").unwrap();
        Controller { dir }
    }

    /// `ansible-playbook PLAYBOOK ARGS...` (playbooks from tests/ansible), inside the network
    /// namespace `netns` if given; the JSON callback's report.
    fn play(&self, netns: Option<&str>, playbook: &str, args: &[&str]) -> Play {
        let which = Command::new("sh").args(["-c", "command -v ansible-playbook"]).output().unwrap();
        assert!(which.status.success(), "ansible-playbook not found: install ansible-core (.ci/run does)");
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "ansible-playbook"]);
                c
            }
            None => Command::new("ansible-playbook"),
        };
        let d = self.dir.path();
        cmd.current_dir(d)
            .arg("-i")
            .arg(d.join("inventory.yml"))
            .arg(workspace().join("tests/ansible").join(playbook))
            .args(args)
            .env("ANSIBLE_CONFIG", d.join("none.cfg"))
            .env("ANSIBLE_COLLECTIONS_PATH", d.join("collections"))
            .env("ANSIBLE_HOME", d.join("home"))
            .env("ANSIBLE_LOCAL_TEMP", d.join("tmp-local"))
            .env("ANSIBLE_REMOTE_TEMP", d.join("tmp-remote"))
            .env("ANSIBLE_SSH_CONTROL_PATH_DIR", d.join("cp"))
            .env("ANSIBLE_PIPELINING", "1")
            .env("ANSIBLE_HOST_KEY_CHECKING", "0")
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("ANSIBLE_CALLBACK_PLUGINS", workspace().join("tests/ansible/callback_plugins"))
            .env("ANSIBLE_STDOUT_CALLBACK", "results_json")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("NETPLUG_LOG", "warn");
        let out = cmd.output().expect("run ansible-playbook");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("{playbook}: no JSON report ({e}):\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr))
        });
        Play { report, code: out.status.code().unwrap_or(-1) }
    }
}

/// What one ansible-playbook run reported.
struct Play {
    report: Value,
    code: i32,
}

impl Play {
    /// Every result of `host`, in task order.
    fn results(&self, host: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for play in self.report["plays"].as_array().into_iter().flatten() {
            for task in play["tasks"].as_array().into_iter().flatten() {
                if let Some(r) = task["hosts"].get(host) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// The result of the netplug.host.apply task on `host`.
    fn apply(&self, host: &str) -> Value {
        self.results(host)
            .into_iter()
            .find(|r| r.get("steps").is_some() || r.get("diagnostics").is_some())
            .unwrap_or_else(|| panic!("no apply result for {host}: {:#}", self.report))
    }

    fn stats(&self, host: &str) -> &Value {
        &self.report["stats"][host]
    }
}

/// One `lan` host: its namespace, with a veth `eth0` whose peer is in the router namespace.
fn lan_host(router: &Netns, n: u8) -> Netns {
    let host = Netns::new(&format!("ans{n}"));
    let peer = format!("gw{n}");
    router.ip(&["link", "add", &peer, "type", "veth", "peer", "name", "eth0", "netns", &host.name]);
    router.ip(&["addr", "add", &format!("10.80.{n}.1/24"), "dev", &peer]);
    router.ip(&["link", "set", &peer, "up"]);
    host
}

fn host_vars(ns: &Netns, n: u8) -> String {
    let d = ns.dir.path();
    format!(
        "        h{n}:\n          n: {n}\n          netplug_netns: {}\n          netplug_config_dir: {}\n          netplug_run_dir: {}\n          netplug_state_dir: {}\n",
        ns.name,
        d.join("config").display(),
        d.join("run").display(),
        d.join("state").display()
    )
}

#[test]
fn rolling_apply_reapply_check_diff_and_a_broken_document() {
    let router = Netns::new("ansgw");
    let hosts = [lan_host(&router, 1), lan_host(&router, 2)];
    let inventory = format!(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: {python}\n    netplug_executable: {exe}\n  children:\n    lan:\n      vars:\n        host_octet: 2\n        netplug_confirm: 30\n        netplug_document: |\n          <interfaces>\n            <interface device=\"eth0\">\n              <static ipaddr=\"10.80.{{{{ n }}}}.{{{{ host_octet }}}}/24\" gateway=\"10.80.{{{{ n }}}}.1\"/>\n            </interface>\n          </interfaces>\n      hosts:\n{h1}{h2}",
        python = python().display(),
        exe = netplug().display(),
        h1 = host_vars(&hosts[0], 1),
        h2 = host_vars(&hosts[1], 2),
    );
    let ctl = Controller::new(&inventory);
    let pristine: Vec<_> = hosts.iter().map(|h| h.state()).collect();

    // Check mode first: netplug plans, nothing changes.
    let play = ctl.play(None, "network.yml", &["--check"]);
    assert_eq!(play.code, 0, "{:#}", play.report);
    for (i, h) in hosts.iter().enumerate() {
        let r = play.apply(&format!("h{}", i + 1));
        assert_eq!(r["changed"], true, "{r:#}");
        assert_eq!(r["interfaces"], serde_json::json!(["eth0"]), "{r:#}");
        assert_same_state(&pristine[i], &h.state(), "check mode changed the host");
    }

    // Apply, one host at a time, with diff: changed, the address is there, the diff shows it.
    let play = ctl.play(None, "network.yml", &["--diff"]);
    assert_eq!(play.code, 0, "{:#}", play.report);
    for (i, h) in hosts.iter().enumerate() {
        let name = format!("h{}", i + 1);
        let r = play.apply(&name);
        assert_eq!(r["changed"], true, "{r:#}");
        assert_eq!(play.stats(&name)["changed"], 1, "{:#}", play.report);
        let addr = format!("10.80.{}.2/24", i + 1);
        assert!(h.ip(&["-br", "addr", "show", "eth0"]).contains(&addr), "{name}: no {addr}");
        let diff = first(&r["diff"]);
        assert!(!diff["before"].as_str().unwrap().contains("10.80."), "{diff:#}");
        assert!(diff["after"].as_str().unwrap().contains(&format!("ipaddr=\"{addr}\"")), "{diff:#}");
    }
    let applied: Vec<_> = hosts.iter().map(|h| h.state()).collect();

    // Again: nothing to do, nothing changed.
    let play = ctl.play(None, "network.yml", &[]);
    assert_eq!(play.code, 0, "{:#}", play.report);
    for (i, h) in hosts.iter().enumerate() {
        let name = format!("h{}", i + 1);
        assert_eq!(play.apply(&name)["changed"], false, "{:#}", play.report);
        assert_eq!(play.stats(&name)["changed"], 0, "{:#}", play.report);
        assert_same_state(&applied[i], &h.state(), "re-apply changed the host");
    }

    // Check mode with another address: reported as a change, none made.
    let play = ctl.play(None, "network.yml", &["--check", "--diff", "-e", "host_octet=7"]);
    assert_eq!(play.code, 0, "{:#}", play.report);
    let r = play.apply("h1");
    assert_eq!(r["changed"], true, "{r:#}");
    assert!(first(&r["diff"])["prepared"].as_str().unwrap().contains("10.80.1.7/24"), "{r:#}");
    for (i, h) in hosts.iter().enumerate() {
        assert_same_state(&applied[i], &h.state(), "check mode changed the host");
    }

    // A document netplug refuses: failed, naming the file, line and column; nothing changed.
    let play = ctl.play(None, "broken.yml", &[]);
    assert_ne!(play.code, 0);
    let r = play.apply("h1");
    assert_eq!(r["failed"], true, "{r:#}");
    let msg = r["msg"].as_str().unwrap();
    assert!(msg.contains("broken.xml:3:") && msg.contains("10.80.1.299"), "{msg}");
    assert_eq!(r["diagnostics"][0]["line"], 3, "{r:#}");
    assert!(r["diagnostics"][0]["column"].as_u64().unwrap() > 0, "{r:#}");
    assert_same_state(&applied[0], &hosts[0].state(), "a refused document changed the host");
}

/// sshd inside a host's namespace, stopped when dropped.
struct Sshd {
    child: Child,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sshd(host: &Netns, dir: &Path) -> Sshd {
    let sshd = Path::new("/usr/sbin/sshd");
    assert!(sshd.exists(), "/usr/sbin/sshd not found: install openssh-server (.ci/run does)");
    for key in ["host_key", "client_key"] {
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join(key))
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("sshd_config"),
        format!(
            "ListenAddress 0.0.0.0:22\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPidFile none\nSubsystem sftp internal-sftp\n"
        ),
    )
    .unwrap();
    // sshd wants its privilege-separation directory /run/sshd: give it one on a tmpfs in the
    // mount namespace `ip netns exec` makes, so the machine's /run is not touched.
    let script = format!(
        "mount -t tmpfs tmpfs /run && mkdir /run/sshd && exec {} -D -e -f {d}/sshd_config",
        sshd.display()
    );
    let child = Command::new("ip")
        .args(["netns", "exec", &host.name, "sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
        .spawn()
        .expect("start sshd");
    Sshd { child }
}

#[test]
fn confirmed_apply_over_ssh_keeps_a_good_change_and_a_cut_off_host_rolls_back() {
    let ctl_ns = Netns::new("ansctl");
    let host = Netns::new("ansremote");
    ctl_ns.ip(&["link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", &host.name]);
    ctl_ns.ip(&["addr", "add", "10.81.1.1/24", "dev", "lan0"]);
    ctl_ns.ip(&["link", "set", "lan0", "up"]);
    // The host's management address, configured by netplug as at provisioning.
    let doc = netplug_tests::document(
        host.dir.path(),
        "mgmt.xml",
        r#"<interfaces><interface device="eth0"><static ipaddr="10.81.1.2/24" gateway="10.81.1.1"/></interface></interfaces>"#,
    );
    host.netplug(&["apply", doc.to_str().unwrap()]).ok();
    let keys = tempfile::tempdir().unwrap();
    let _sshd = sshd(&host, keys.path());

    let d = host.dir.path();
    let inventory = format!(
        "all:\n  children:\n    remote:\n      hosts:\n        h3:\n          ansible_host: 10.81.1.2\n          ansible_user: root\n          ansible_python_interpreter: {python}\n          ansible_ssh_private_key_file: {key}\n          ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3\n          netplug_executable: {exe}\n          netplug_config_dir: {c}\n          netplug_run_dir: {r}\n          netplug_state_dir: {s}\n",
        python = python().display(),
        key = keys.path().join("client_key").display(),
        exe = netplug().display(),
        c = d.join("config").display(),
        r = d.join("run").display(),
        s = d.join("state").display(),
    );
    let ctl = Controller::new(&inventory);
    wait_for_ssh(&ctl_ns);

    // A change that keeps the host reachable: applied, confirmed over a new connection, kept.
    let good = ["-e", "address=10.81.1.2 gateway=10.81.1.1 mtu=1400 confirm_within=20"];
    let play = ctl.play(Some(&ctl_ns.name), "confirm.yml", &good);
    let r = play.apply("h3");
    assert_eq!(play.code, 0, "{r:#}\n{}", log(keys.path()));
    assert_eq!(r["changed"], true, "{r:#}");
    assert_eq!(r["confirmed"], true, "{r:#}");
    assert!(host.ip(&["link", "show", "eth0"]).contains("mtu 1400"));
    let kept = host.state();

    // A change that cuts the controller off (and the gateway): never confirmed, so netplug on
    // the host rolls it back at the deadline; the task fails and says the rollback was
    // verified; the host is exactly as before.
    let cut = ["-e", "address=10.99.1.2 gateway=10.99.1.1 mtu=1400 confirm_within=8"];
    let play = ctl.play(Some(&ctl_ns.name), "confirm.yml", &cut);
    let r = play.apply("h3");
    assert_ne!(play.code, 0, "{r:#}");
    assert_eq!(r["failed"], true, "{r:#}");
    assert_eq!(r["confirmed"], false, "{r:#}");
    assert_eq!(r["rolled_back"], true, "{r:#}");
    assert_eq!(r["rollback_verified"], true, "{r:#}");
    assert!(r["msg"].as_str().unwrap().contains("rolled it back"), "{r:#}");
    assert_same_state(&kept, &host.state(), "the cut-off change was not rolled back");
    // And the controller reaches the host again.
    let play = ctl.play(Some(&ctl_ns.name), "confirm.yml", &good);
    assert_eq!(play.code, 0, "{:#}", play.report);
    assert_eq!(play.apply("h3")["changed"], false, "{:#}", play.report);
}

/// Until sshd in the host answers on port 22 (it starts in the background).
fn wait_for_ssh(ctl: &Netns) {
    for _ in 0..100 {
        let ok = Command::new("ip")
            .args(["netns", "exec", &ctl.name, "ssh-keyscan", "-T", "1", "10.81.1.2"])
            .output()
            .map(|o| o.status.success() && !o.stdout.is_empty())
            .unwrap_or(false);
        if ok {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("sshd in the host namespace never answered");
}

/// A module's diff: one object, or a list of them.
fn first(v: &Value) -> &Value {
    v.get(0).unwrap_or(v)
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
}

/// The Python that runs modules on the "hosts": the one ansible-core itself runs with.
fn python() -> PathBuf {
    let which = |p: &str| Path::new(p).exists().then(|| PathBuf::from(p));
    which("/usr/bin/python3").unwrap_or_else(|| PathBuf::from("python3"))
}
