//! What netplug owns (`docs/ownership.md`), end to end with the real binary in namespaces of
//! their own: pruning what it created and no longer describes (issue #14, reproduction 4),
//! `undefine` taking the port definitions defined with a master (3), a boot that configures
//! everything but the interface whose device is missing (2), and `stop` leaving an `nfsroot`
//! interface alone (7). Bonds and VLANs (reproduction 1) are in `vm_ownership.rs`.

use netplug_tests::{document, Netns};

fn links(ns: &Netns) -> String {
    ns.ip(&["-br", "link", "show"])
}

fn has_link(ns: &Netns, name: &str) -> bool {
    links(ns).lines().any(|l| l.split_whitespace().next().is_some_and(|n| n.split('@').next() == Some(name)))
}

fn veth(ns: &Netns, a: &str, b: &str) {
    ns.ip(&["link", "add", a, "type", "veth", "peer", "name", b]);
}

#[test]
fn apply_all_prunes_what_netplug_created_and_no_longer_defines() {
    let ns = Netns::new("prune");
    let doc = document(
        ns.dir.path(),
        "two.xml",
        r#"<interfaces>
  <bridge name="brkeep" stp="off"/>
  <bridge name="brgone" stp="off"/>
</interfaces>"#,
    );
    // A bridge netplug did not create: never pruned, even though nothing defines it.
    ns.ip(&["link", "add", "brhand", "type", "bridge"]);
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    ns.netplug(&["apply", "--all"]).ok();
    assert!(has_link(&ns, "brkeep") && has_link(&ns, "brgone"), "{}", links(&ns));

    ns.netplug(&["undefine", "brgone"]).ok();
    // --no-prune leaves it.
    ns.netplug(&["apply", "--all", "--no-prune"]).ok();
    assert!(has_link(&ns, "brgone"), "{}", links(&ns));
    let out = ns.netplug(&["apply", "--all"]).ok();
    assert!(out.contains("pruning brgone"), "{out}");
    assert!(!has_link(&ns, "brgone"), "{}", links(&ns));
    assert!(has_link(&ns, "brkeep") && has_link(&ns, "brhand"), "{}", links(&ns));
    let again = ns.netplug(&["apply", "--all"]).ok();
    assert!(again.contains("already matches"), "a pruned interface is pruned once: {again}");
}

#[test]
fn apply_prune_removes_what_the_document_dropped() {
    let ns = Netns::new("pruned");
    let both = r#"<interfaces><bridge name="bra" stp="off"/><bridge name="brb" stp="off"/></interfaces>"#;
    let doc = document(ns.dir.path(), "doc.xml", both);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    std::fs::write(&doc, r#"<interfaces><bridge name="bra" stp="off"/></interfaces>"#).unwrap();
    // Without --prune an apply governs only what the document names.
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    assert!(has_link(&ns, "brb"), "{}", links(&ns));
    // A failure while pruning rolls the whole run back, as any change.
    let before = ns.state();
    let failed = ns.netplug(&["apply", "--prune", "--inject-failure-at", "1", doc.to_str().unwrap()]);
    assert_eq!(failed.code(), 1, "{}", failed.stderr());
    netplug_tests::assert_same_state(&before, &ns.state(), "failed prune");
    let out = ns.netplug(&["apply", "--prune", doc.to_str().unwrap()]).ok();
    assert!(out.contains("pruning brb") && out.contains("delete bridge"), "{out}");
    assert!(has_link(&ns, "bra") && !has_link(&ns, "brb"), "{}", links(&ns));
}

/// What `apply FILE --prune` prunes: what netplug created that neither FILE nor a stored
/// definition describes. A bridge defined and started elsewhere stays with its port; what only
/// an earlier document made goes.
#[test]
fn apply_file_prune_keeps_what_the_definitions_describe() {
    let ns = Netns::new("prunedef");
    veth(&ns, "brport", "brpeer");
    let defined = document(
        ns.dir.path(),
        "defined.xml",
        r#"<interfaces><bridge name="brdef" stp="off"><member device="brport"/></bridge>
           <bridge name="brdef2" stp="off"/></interfaces>"#,
    );
    ns.netplug(&["define", defined.to_str().unwrap()]).ok();
    ns.netplug(&["start", "brdef"]).ok();
    ns.netplug(&["start", "brdef2"]).ok();
    let doc = document(
        ns.dir.path(),
        "doc.xml",
        r#"<interfaces><bridge name="bra" stp="off"/><bridge name="brb" stp="off"/></interfaces>"#,
    );
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    let only_a = document(ns.dir.path(), "a.xml", r#"<bridge name="bra" stp="off"/>"#);
    let out = ns.netplug(&["apply", "--prune", only_a.to_str().unwrap()]).ok();
    assert!(out.contains("pruning brb"), "{out}");
    assert!(!out.contains("pruning brdef"), "{out}");
    assert!(!has_link(&ns, "brb"), "{}", links(&ns));
    for kept in ["bra", "brdef", "brdef2", "brport"] {
        assert!(has_link(&ns, kept), "{kept}: {}", links(&ns));
    }
    assert!(ns.ip(&["-br", "link", "show", "master", "brdef"]).contains("brport"), "{}", links(&ns));
    // Undefined, brdef2 is described by nothing: the next --prune takes it.
    ns.netplug(&["undefine", "brdef2"]).ok();
    let out = ns.netplug(&["apply", "--prune", only_a.to_str().unwrap()]).ok();
    assert!(out.contains("pruning brdef2"), "{out}");
    assert!(has_link(&ns, "bra") && has_link(&ns, "brdef") && !has_link(&ns, "brdef2"), "{}", links(&ns));
}

#[test]
fn prune_keeps_what_a_foreign_interface_still_uses() {
    let ns = Netns::new("prunek");
    let doc = document(ns.dir.path(), "br.xml", r#"<bridge name="brp" stp="off"/>"#);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    // Something netplug does not manage is enslaved to it by hand.
    veth(&ns, "vh0", "vh1");
    ns.ip(&["link", "set", "vh0", "master", "brp"]);
    let other = document(ns.dir.path(), "other.xml", r#"<bridge name="bro" stp="off"/>"#);
    let out = ns.netplug(&["apply", "--prune", other.to_str().unwrap()]).ok();
    assert!(out.contains("keeping brp") && out.contains("vh0"), "{out}");
    assert!(has_link(&ns, "brp"), "{}", links(&ns));
}

/// A device netplug enslaved does not keep its bridge once nothing defines the bridge: netplug
/// recorded the enslavement, pruning deletes the bridge, and the device is set free — never
/// deleted. A device someone else put into a bridge netplug created still keeps it (see
/// `prune_keeps_what_a_foreign_interface_still_uses`).
#[test]
fn pruning_a_bridge_sets_free_the_devices_netplug_enslaved() {
    let ns = Netns::new("enslaved");
    veth(&ns, "p0", "p0peer");
    veth(&ns, "p1", "p1peer");
    let doc = document(
        ns.dir.path(),
        "brp.xml",
        r#"<interfaces>
  <interface device="p0"/>
  <interface device="p1"/>
  <bridge name="brp" stp="off"><member device="p0"/><member device="p1"/></bridge>
</interfaces>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    ns.netplug(&["apply", "--all"]).ok();
    for port in ["p0", "p1"] {
        assert!(ns.ip(&["link", "show", port]).contains("master brp"), "{}", links(&ns));
    }
    let records: String = std::fs::read_dir(ns.dir.path().join("state/ownership"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("enslaved-"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(records.contains(r#""p0": "brp""#) && records.contains(r#""p1": "brp""#), "{records}");

    ns.netplug(&["undefine", "brp"]).ok();
    let out = ns.netplug(&["apply", "--all"]).ok();
    assert!(out.contains("pruning brp"), "{out}");
    assert!(!has_link(&ns, "brp"), "{}", links(&ns));
    for port in ["p0", "p1"] {
        let link = ns.ip(&["link", "show", port]);
        assert!(!link.contains("master"), "set free, and still there: {link}");
    }
    let again = ns.netplug(&["apply", "--all"]).ok();
    assert!(again.contains("already matches") || again.trim().is_empty(), "{again}");
}

#[test]
fn undefine_takes_the_ports_defined_with_the_master() {
    let ns = Netns::new("undef");
    veth(&ns, "p0", "p0peer");
    veth(&ns, "p1", "p1peer");
    let doc = document(
        ns.dir.path(),
        "br1.xml",
        r#"<interfaces>
  <interface device="p0"/>
  <interface device="p1"/>
  <bridge name="br1" stp="off"><member device="p0"/><member device="p1"/></bridge>
</interfaces>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    let out = ns.netplug(&["undefine", "br1"]).ok();
    assert!(out.contains("undefined p0") && out.contains("undefined p1"), "{out}");
    let list = ns.netplug(&["list", "--all"]).ok();
    assert!(!list.contains("p0") && !list.contains("br1"), "nothing is left defined: {list}");

    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    let out = ns.netplug(&["undefine", "--keep-ports", "br1"]).ok();
    assert!(!out.contains("undefined p0"), "{out}");
    let list = ns.netplug(&["list", "--all"]).ok();
    assert!(list.contains("p0") && list.contains("p1") && !list.contains("br1"), "{list}");
}

#[test]
fn boot_configures_everything_but_a_missing_device_and_exits_3() {
    let ns = Netns::new("partial");
    veth(&ns, "n0", "n0peer");
    let doc = document(
        ns.dir.path(),
        "boot.xml",
        r#"<interfaces>
  <interface device="n0"/>
  <bridge name="br0" stp="off"><member device="n0"/><static ipaddr="192.0.2.1/24"/></bridge>
  <interface device="f0"/>
  <bridge name="brf" stp="off"><member device="f0"/></bridge>
  <bridge name="brlone" stp="off"/>
</interfaces>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    let run = ns.netplug(&["apply", "--all"]);
    assert_eq!(run.code(), 3, "stdout:\n{}\nstderr:\n{}", run.stdout(), run.stderr());
    let err = run.stderr();
    assert!(err.contains("f0 cannot be configured (and brf, which depend on it)"), "{err}");
    assert!(err.contains("not configured: f0"), "{err}");
    assert!(has_link(&ns, "br0") && has_link(&ns, "brlone") && !has_link(&ns, "brf"), "{}", links(&ns));
    assert!(ns.ip(&["addr", "show", "dev", "br0"]).contains("192.0.2.1/24"));
    assert!(ns.ip(&["link", "show", "n0"]).contains("master br0"));

    // The device appears (a USB NIC plugged in): the next boot run configures it all.
    veth(&ns, "f0", "f0peer");
    ns.netplug(&["apply", "--all"]).ok();
    assert!(ns.ip(&["link", "show", "f0"]).contains("master brf"), "{}", links(&ns));
}

#[test]
fn stop_leaves_an_nfsroot_interface_alone() {
    let ns = Netns::new("nfsroot");
    veth(&ns, "r0", "r0peer");
    let doc = document(
        ns.dir.path(),
        "root.xml",
        r#"<interfaces>
  <interface device="r0" startmode="nfsroot"><static ipaddr="198.51.100.2/24"/></interface>
  <bridge name="brr" stp="off" startmode="manual"><member device="r0"/></bridge>
</interfaces>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    ns.netplug(&["start", "brr"]).ok();
    let refused = ns.netplug(&["stop", "r0"]);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(refused.stderr().contains("nfsroot"), "{}", refused.stderr());
    // Stopping its master keeps the nfsroot port up and addressed.
    let out = ns.netplug(&["stop", "brr"]).ok();
    assert!(out.contains("keeping r0: its start mode is nfsroot"), "{out}");
    assert!(!has_link(&ns, "brr"));
    let r0 = ns.ip(&["addr", "show", "dev", "r0"]);
    assert!(r0.contains("198.51.100.2/24") && r0.contains("UP"), "{r0}");
}

/// `show` prints what a user configures, so it applies back as a no-op for every kind this
/// kernel has (bonds and VLANs: `vm_ownership.rs`); the device's facts — MAC addresses and
/// `<ethtool>` (speed and duplex of a virtual link, offload defaults, channels) — only with
/// `--observed` (issue #14, reproduction 5; 11: veths are shown).
#[test]
fn show_applies_back_as_a_no_op() {
    let ns = Netns::new("showback");
    veth(&ns, "e0", "e0peer");
    veth(&ns, "e1", "e1peer");
    let doc = document(
        ns.dir.path(),
        "stack.xml",
        r#"<interfaces>
  <interface device="e0" mtu="1400"><static ipaddr="10.9.0.2/24"/></interface>
  <interface device="e1"/>
  <bridge name="brs" stp="on" forwarddelay="4">
    <member device="e1"/>
    <static ipaddr="192.0.2.5/24" gateway="192.0.2.1"/>
    <static ip6addr="2001:db8:c::5/64"/>
    <route destination="198.51.100.0/24" gateway="192.0.2.9"/>
  </bridge>
</interfaces>"#,
    );
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    // An address added by hand is shown, and applying it adopts it.
    ns.ip(&["addr", "add", "10.9.9.9/24", "dev", "e0"]);

    let shown = ns.netplug(&["show"]).ok();
    for fact in ["<ethtool", "speed=", "<hwaddr", "<channels", "foreign="] {
        assert!(!shown.contains(fact), "show prints an observed fact ({fact}):\n{shown}");
    }
    // The veths standing in for NICs are shown as what they are, by the veth plugin.
    let veths = [r#"<veth name="e0" peer="e0peer" mtu="1400">"#, r#"<veth name="e0peer" peer="e0""#];
    for configured in veths.into_iter().chain(["10.9.9.9/24", r#"forwarddelay="4""#]) {
        assert!(shown.contains(configured), "show lacks {configured}:\n{shown}");
    }
    let observed = ns.netplug(&["show", "--observed", "e0"]).ok();
    assert!(observed.contains("<ethtool") && observed.contains("<hwaddr"), "{observed}");
    // dumpxml (virsh iface-dumpxml) of a live interface follows the same rule, in both dialects.
    for name in ["e0", "brs"] {
        for dialect in [&[][..], &["--libvirt"][..]] {
            let args: Vec<&str> = ["dumpxml"].iter().chain(dialect).chain(&[name]).copied().collect();
            let dumped = ns.netplug(&args).ok();
            for fact in ["<ethtool", "speed=", "<hwaddr", "<mac ", "<channels", "foreign="] {
                assert!(!dumped.contains(fact), "{args:?} prints an observed fact ({fact}):\n{dumped}");
            }
        }
    }
    assert!(ns.netplug(&["dumpxml", "brs"]).ok().contains(r#"forwarddelay="4""#));
    let dumped = ns.netplug(&["dumpxml", "--observed", "e0"]).ok();
    assert!(dumped.contains("<ethtool") && dumped.contains("<hwaddr"), "{dumped}");

    let before = ns.state();
    let back = document(ns.dir.path(), "shown.xml", &shown);
    let plan = ns.netplug(&["plan", back.to_str().unwrap()]).ok();
    // Adopting the hand-added address marks it netplug's: that is the only change.
    assert!(plan.lines().filter(|l| l.contains(". ")).all(|l| l.contains("10.9.9.9")), "{plan}");
    ns.netplug(&["apply", back.to_str().unwrap()]).ok();
    let again = ns.netplug(&["apply", back.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");
    netplug_tests::assert_same_state(&before, &ns.state(), "show fed back to apply");
}

/// `show` prints a bridge's options only where they differ from what the kernel gives a new
/// bridge, or where a definition sets them (issue #14): not the kernel's timers. `--observed`
/// prints them all, and `show` fed back to `apply` stays a no-op.
#[test]
fn show_leaves_out_the_kernels_defaults_unless_a_definition_sets_them() {
    let ns = Netns::new("showdef");
    let defined = document(ns.dir.path(), "brd.xml", r#"<bridge name="brd" stp="off" hellotime="2"/>"#);
    ns.netplug(&["define", defined.to_str().unwrap()]).ok();
    ns.netplug(&["start", "brd"]).ok();
    let doc = document(ns.dir.path(), "brn.xml", r#"<bridge name="brn" maxage="12"/>"#);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();

    let shown = ns.netplug(&["show"]).ok();
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.contains(&format!(r#"<bridge name="{name}""#)))
            .unwrap_or_default()
            .to_string()
    };
    let brn = line("brn");
    assert!(brn.contains(r#"maxage="12""#), "{shown}");
    for default in
        ["stp=", "hellotime=", "forwarddelay=", "priority=", "ageing=", "vlan_filtering=", "mcast_snooping="]
    {
        assert!(!brn.contains(default), "brn shows the kernel's default {default}:\n{shown}");
    }
    let brd = line("brd");
    assert!(brd.contains(r#"stp="off""#) && brd.contains(r#"hellotime="2""#), "defined, so shown: {shown}");
    assert!(!brd.contains("maxage=") && !brd.contains("ageing="), "{shown}");
    let observed = ns.netplug(&["show", "--observed", "brn"]).ok();
    assert!(observed.contains(r#"hellotime="2""#) && observed.contains(r#"ageing="300""#), "{observed}");

    let back = document(ns.dir.path(), "shown.xml", &shown);
    let again = ns.netplug(&["apply", back.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");
}

/// For every kind this kernel has — bridge, veth, VXLAN, macvlan — `show` prints exactly what
/// a document configured: no option at the kernel's default, no MTU the kind gets by itself
/// (1500, a parent's, a device's less the encapsulation, the ports'), and what it prints
/// applies back as a no-op (issue #14, "for every kind"). The guest kinds are in
/// `vm_ownership.rs`.
#[test]
fn show_prints_only_what_was_configured_for_every_kind() {
    let ns = Netns::new("showkinds");
    veth(&ns, "k0", "k0peer");
    ns.ip(&["link", "set", "k0peer", "mtu", "9000"]);
    let doc = document(
        ns.dir.path(),
        "kinds.xml",
        r#"<interfaces>
  <veth name="kv0" peer="kv1"/>
  <veth name="kw0" peer="kw1" mtu="1400"/>
  <bridge name="kbr0"><member device="kv0"/></bridge>
  <bridge name="kbr1" mtu="1300"/>
  <vxlan name="kx0" id="42" device="k0peer"/>
  <vxlan name="kx1" id="43" remote="192.0.2.7" learning="no"/>
  <vxlan name="kx2" id="44" device="k0peer" mtu="1400"/>
  <macvlan name="km0" device="k0peer"/>
  <macvlan name="km1" device="k0peer" mode="bridge" mtu="1500"/>
</interfaces>"#,
    );
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    let shown = ns.netplug(&["show"]).ok();
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.contains(&format!(r#" name="{name}""#)))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let expected = [
        ("kv0", r#"<veth name="kv0" peer="kv1"/>"#),
        ("kw0", r#"<veth name="kw0" peer="kw1" mtu="1400"/>"#),
        ("kbr0", r#"<bridge name="kbr0">"#),
        ("kbr1", r#"<bridge name="kbr1" mtu="1300"/>"#),
        ("kx0", r#"<vxlan name="kx0" id="42" device="k0peer"/>"#),
        ("kx1", r#"<vxlan name="kx1" id="43" remote="192.0.2.7" learning="no"/>"#),
        ("kx2", r#"<vxlan name="kx2" id="44" device="k0peer" mtu="1400"/>"#),
        ("km0", r#"<macvlan name="km0" device="k0peer"/>"#),
        ("km1", r#"<macvlan name="km1" device="k0peer" mode="bridge" mtu="1500"/>"#),
    ];
    for (name, want) in expected {
        assert_eq!(line(name), want, "show of {name}:\n{shown}");
    }
    // The hand-made veth's peer keeps the MTU it was given; its own default is not printed.
    assert!(line("k0peer").contains(r#"mtu="9000""#) && !line("k0").contains("mtu="), "{shown}");
    let observed = ns.netplug(&["show", "--observed", "kx0"]).ok();
    assert!(observed.contains(r#"mtu="8950""#) && observed.contains(r#"dstport="4789""#), "{observed}");

    let before = ns.state();
    let back = document(ns.dir.path(), "shown.xml", &shown);
    let again = ns.netplug(&["apply", back.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");
    netplug_tests::assert_same_state(&before, &ns.state(), "show fed back to apply");
}

#[test]
fn name_finds_a_veth_by_its_mac_written_either_way() {
    let ns = Netns::new("name");
    veth(&ns, "m0", "m0peer");
    ns.ip(&["link", "set", "m0", "address", "02:10:00:00:00:01"]);
    for mac in ["02:10:00:00:00:01", "02-10-00-00-00-01", "02-10-00-00-00-01".to_uppercase().as_str()] {
        assert_eq!(ns.netplug(&["name", mac]).ok().trim(), "m0", "{mac}");
    }
}

/// `state="absent"` on a device (issue #14, reproduction 8): never deleted, deconfigured (down,
/// netplug's addresses and gateway gone, a hand-added address kept), and said so at the element
/// even when nothing is left to undo.
#[test]
fn an_absent_device_is_deconfigured_never_deleted_and_said_so() {
    let ns = Netns::new("absentdev");
    veth(&ns, "d0", "d0peer");
    ns.ip(&["link", "set", "d0peer", "up"]);
    let doc = document(
        ns.dir.path(),
        "d0.xml",
        r#"<interface device="d0"><static ipaddr="10.8.0.2/24" gateway="10.8.0.1"/></interface>"#,
    );
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    ns.ip(&["addr", "add", "10.8.9.9/24", "dev", "d0"]);
    let absent = document(ns.dir.path(), "absent.xml", r#"<interface device="d0" state="absent"/>"#);
    let run = ns.netplug(&["apply", absent.to_str().unwrap()]);
    let out = run.ok();
    assert!(out.contains("remove address 10.8.0.2/24") && out.contains("set down"), "{out}");
    let note = format!("{}:1:1: note: d0 is a device, which netplug never deletes", absent.display());
    assert!(run.stderr().contains(&note), "{}", run.stderr());
    let addrs = ns.ip(&["-br", "addr", "show", "dev", "d0"]);
    assert!(has_link(&ns, "d0") && addrs.contains("DOWN"), "{addrs}");
    assert!(addrs.contains("10.8.9.9/24") && !addrs.contains("10.8.0.2"), "{addrs}");
    assert!(ns.ip(&["route", "show", "default"]).is_empty());
    // Nothing left to undo: it says what absent means for a device, not just "matches".
    let again = ns.netplug(&["apply", absent.to_str().unwrap()]);
    assert!(again.ok().contains("already matches") && again.stderr().contains(&note), "{}", again.stderr());
}

/// Links of kinds no plugin knows (issue #14, reproduction 11): an `ifb` and a `vxlan` made by
/// hand are listed by `show` as plain interfaces with their addresses, MTU, state and master,
/// found by `name`, and a hand-added one of them keeps the bridge netplug made from pruning.
#[test]
fn links_of_kinds_without_a_plugin_are_visible() {
    let ns = Netns::new("unknown");
    ns.ip(&["link", "add", "ifb7", "address", "02:10:00:00:00:07", "mtu", "1400", "type", "ifb"]);
    ns.ip(&["link", "set", "ifb7", "up"]);
    ns.ip(&["addr", "add", "10.7.0.1/24", "dev", "ifb7"]);
    let doc = document(ns.dir.path(), "br.xml", r#"<bridge name="brx" stp="off"/>"#);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    ns.ip(&["link", "add", "ifb8", "type", "ifb"]);
    ns.ip(&["link", "set", "ifb8", "master", "brx"]);

    let shown = ns.netplug(&["show"]).ok();
    assert!(shown.contains(r#"<interface device="ifb7" mtu="1400">"#), "{shown}");
    assert!(shown.contains(r#"<static ipaddr="10.7.0.1/24"/>"#), "{shown}");
    assert!(shown.contains(r#"<interface device="ifb8" state="down""#), "{shown}");
    assert!(shown.contains(r#"<member device="ifb8"/>"#), "the master is shown: {shown}");
    let observed = ns.netplug(&["show", "--observed"]).ok();
    assert!(observed.contains("<hwaddr>02:10:00:00:00:07</hwaddr>"), "{observed}");
    for mac in ["02:10:00:00:00:07", "02-10-00-00-00-07"] {
        assert_eq!(ns.netplug(&["name", mac]).ok().trim(), "ifb7", "{mac}");
    }
    // The bridge netplug made, dropped from the document, keeps its hand-added ifb port.
    let other = document(ns.dir.path(), "other.xml", r#"<bridge name="bro" stp="off"/>"#);
    let out = ns.netplug(&["apply", "--prune", other.to_str().unwrap()]).ok();
    assert!(out.contains("keeping brx") && out.contains("ifb8"), "{out}");
    assert!(has_link(&ns, "brx"), "{}", links(&ns));
}

/// `<ethtool>` by kind (issue #14, reproduction 6): a bridge's offloads follow its ports and it
/// has no link to negotiate, so the bridge plugin says it takes no `<ethtool>`; a VLAN takes
/// offloads only. The rest is refused at its place, before anything changes (it used to fail
/// verification and then fail to roll back speed and autoneg).
#[test]
fn ethtool_settings_a_kind_does_not_take_are_refused_at_their_place() {
    let ns = Netns::new("ethtool");
    veth(&ns, "m1", "m1peer");
    let doc = document(
        ns.dir.path(),
        "br.xml",
        r#"<interfaces>
  <interface device="m1"/>
  <bridge name="br0"><member device="m1"/>
    <ethtool><feature name="rx-gro" state="off"/></ethtool>
  </bridge>
  <vlan name="m1.7" device="m1" tag="7">
    <ethtool speed="1000"><feature name="rx-gro" state="off"/><channels combined="2"/></ethtool>
  </vlan>
</interfaces>"#,
    );
    let before = ns.state();
    let run = ns.netplug(&["apply", doc.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    assert!(err.contains("br.xml:4:5") && err.contains("a bridge takes no <ethtool> settings"), "{err}");
    assert!(err.contains("br.xml:7:14") && err.contains("a vlan does not take <ethtool> speed"), "{err}");
    assert!(err.contains("a vlan does not take <ethtool> <channels>"), "{err}");
    assert!(!err.contains("<feature>"), "a VLAN takes offloads: {err}");
    netplug_tests::assert_same_state(&before, &ns.state(), "refused document");
}

/// The created-interfaces record of the test's one namespace (empty before the first write).
fn record(ns: &Netns) -> std::collections::BTreeMap<String, String> {
    let dir = ns.dir.path().join("state/ownership");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Default::default() };
    let files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("created-"))
        .collect();
    assert!(files.len() <= 1, "one namespace, one record: {files:?}");
    files.first().map_or_else(Default::default, |f| {
        serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap()
    })
}

fn link_count(ns: &Netns) -> usize {
    ns.ip(&["-o", "link", "show"]).lines().count()
}

/// The record is written journal-style (issue #14): what a run will create is recorded before
/// its first change, and a verified rollback — of a killed apply by the next netplug, of a
/// transaction — puts the record back. So a kill at any point neither loses what netplug made
/// (a journal discarded, the interfaces left: they are still pruned) nor leaves behind names
/// of interfaces it no longer has (a same-named one made by hand later is never pruned).
#[test]
fn the_record_is_right_after_a_kill_or_a_rollback_at_any_point() {
    let ns = Netns::new("recordkill");
    let own = document(ns.dir.path(), "own.xml", r#"<bridge name="brown" stp="off"/>"#);
    ns.netplug(&["apply", own.to_str().unwrap()]).ok();
    let mut xml = String::from("<interfaces>\n");
    for i in 0..300 {
        xml.push_str(&format!("  <bridge name=\"k{i}\" stp=\"off\"/>\n"));
    }
    xml.push_str("</interfaces>\n");
    let big = document(ns.dir.path(), "big.xml", &xml);
    let before = link_count(&ns);
    let state = ns.dir.path().join("state");
    let journal_written = move |_: &Netns| {
        std::fs::read_dir(&state)
            .is_ok_and(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("run-")))
    };
    type Point = Box<dyn Fn(&Netns) -> bool>;
    let points: Vec<(&str, Point, bool)> = vec![
        ("the journal is written", Box::new(journal_written), false),
        ("the first links exist", Box::new(move |ns| link_count(ns) > before), false),
        ("half the links exist", Box::new(move |ns| link_count(ns) > before + 150), false),
        ("half the links exist (journal discarded)", Box::new(move |ns| link_count(ns) > before + 150), true),
    ];
    for (at, reached, discard) in points {
        let mut child = ns.command().args(["apply", big.to_str().unwrap()]).spawn().unwrap();
        let start = std::time::Instant::now();
        while !reached(&ns) {
            assert!(start.elapsed() < std::time::Duration::from_secs(120), "never reached: {at}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(child.try_wait().unwrap().is_none(), "the apply finished before {at}");
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if discard {
            // The way out of a journal that cannot be rolled back: the interfaces stay, and
            // netplug still knows it made them.
            ns.netplug(&["rollback", "--discard"]).ok();
            let made: Vec<String> = links(&ns)
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter(|n| n.starts_with('k'))
                .map(String::from)
                .collect();
            assert!(made.len() > 150, "{at}: {made:?}");
            let rec = record(&ns);
            let lost: Vec<&String> = made.iter().filter(|n| !rec.contains_key(*n)).collect();
            assert!(lost.is_empty(), "{at}: made but not recorded: {lost:?}");
            let out = ns.netplug(&["apply", "--prune", own.to_str().unwrap()]).ok();
            assert!(out.contains("pruning k0 "), "{out}");
            assert!(!links(&ns).lines().any(|l| l.starts_with('k')), "{at}: {}", links(&ns));
        } else {
            let run = ns.netplug(&["rollback"]);
            assert!(run.stderr().contains("ended before it finished"), "{at}: {}", run.stderr());
            assert!(!links(&ns).lines().any(|l| l.starts_with('k')), "{at}: {}", links(&ns));
        }
        let rec = record(&ns);
        assert_eq!(rec.keys().collect::<Vec<_>>(), ["brown"], "killed when {at}");
    }

    // A transaction rolled back takes back what it created from the record too: a bridge of
    // the same name made by hand afterwards is not netplug's, and no prune touches it.
    ns.netplug(&["begin"]).ok();
    let doc = document(ns.dir.path(), "t.xml", r#"<bridge name="brtxn" stp="off"/>"#);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    assert!(record(&ns).contains_key("brtxn"));
    ns.netplug(&["rollback"]).ok();
    assert!(!has_link(&ns, "brtxn") && !record(&ns).contains_key("brtxn"), "{:?}", record(&ns));
    ns.ip(&["link", "add", "brtxn", "type", "bridge"]);
    let out = ns.netplug(&["apply", "--prune", own.to_str().unwrap()]).ok();
    assert!(!out.contains("pruning brtxn") && has_link(&ns, "brtxn"), "{out}");
}
