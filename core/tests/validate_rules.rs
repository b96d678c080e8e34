//! Core's validation rules, each with the exact position it reports, using in-test plugins and
//! element trees built with the positions a parser would give (the XML is in the comments).

use std::sync::Arc;

use netplug_core::items::desired_by_plugin;
use netplug_core::model::{Config, Interface, StartMode, DEVICE_ELEMENT};
use netplug_core::registry::Registry;
use netplug_core::source::SourceMap;
use netplug_core::validate::{check, validate, validate_for_run, ValidateOptions};
use netplug_plugin_sdk::schema::check_children;
use netplug_plugin_sdk::{
    Attribute, Dependency, Diagnostic, Element, Item, LinkState, Nexthop, Phase, Plugin, PluginInfo,
    Relation, Severity, Span, Subnet, Validation,
};

// ---- element trees with parser-like positions ------------------------------------------------

/// An element being built along one line: each attribute starts one space after the last.
struct B(Element, u32, u32);

fn span(line: u32, col: u32, len: usize) -> Span {
    let start = (line - 1) * 200 + col - 1;
    Span { file: 0, start, end: start + len as u32, line, col }
}

/// `<name` starting at `line:col`.
fn el(name: &str, line: u32, col: u32) -> B {
    B(
        Element { span: span(line, col, name.len() + 1), ..Element::new(name) },
        line,
        col + name.len() as u32 + 2,
    )
}

impl B {
    fn attr(mut self, name: &str, value: &str) -> Self {
        let (line, col) = (self.1, self.2);
        let value_col = col + name.len() as u32 + 2;
        self.0.attributes.push(Attribute {
            name: name.into(),
            value: value.into(),
            span: span(line, col, name.len()),
            value_span: span(line, value_col, value.len()),
        });
        self.2 = value_col + value.len() as u32 + 2;
        self
    }

    fn child(mut self, child: B) -> Self {
        self.0.children.push(child.0);
        self
    }
}

/// The model of a top-level element, as the native dialect would read its envelope.
fn iface(b: B) -> Interface {
    let element = b.0;
    // netplug's plugin of physical devices calls their kind `ethernet`.
    let kind = if element.name == DEVICE_ELEMENT { "ethernet".to_string() } else { element.name.clone() };
    let name = element.attr(Interface::name_attribute_of(&element.name)).cloned();
    let state = match element.value("state") {
        Some("absent") => LinkState::Absent,
        Some("down") => LinkState::Down,
        _ => LinkState::Up,
    };
    Interface {
        name: name.as_ref().map(|a| a.value.clone()).unwrap_or_default(),
        name_span: name.map_or(element.span, |a| a.value_span),
        kind,
        start_mode: StartMode::Onboot,
        state,
        mac: None,
        mtu: None,
        master: None,
        parent: None,
        requires: Vec::new(),
        element,
    }
}

fn config(elements: Vec<B>) -> Config {
    Config { interfaces: elements.into_iter().map(iface).collect() }
}

// ---- stand-in plugins --------------------------------------------------------------------------

/// A plugin that reports what the real ones would: `<slave>`/`<member device=>` as membership,
/// a `<vlan device=>` as its parent, `<static address= gateway=>` as a subnet and next hop,
/// `<dhcp>` as a subnet learnt at run time, `<route gateway=>` as a next hop. The ethernet
/// stand-in reports every child it is given, to show core kept others' children from it.
struct Fake {
    name: &'static str,
    kinds: &'static [&'static str],
    elements: &'static [&'static str],
    phase: Option<Phase>,
}

impl Plugin for Fake {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: self.name.into(),
            version: "0".into(),
            kinds: self.kinds.iter().map(|s| s.to_string()).collect(),
            elements: self.elements.iter().map(|s| s.to_string()).collect(),
            phase: self.phase,
            // As netplug's own: the kind of `<interface device=..>`.
            physical: self.name == "ethernet",
            ..Default::default()
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        let mut v = Validation::default();
        for item in items {
            let (el, me) = (&item.element, &item.interface);
            let dep = |a: &Attribute, from: &str, to: &str, relation| Dependency {
                from: from.into(),
                to: to.into(),
                relation,
                span: a.value_span,
            };
            match el.name.as_str() {
                "interface" => v.diagnostics.extend(check_children(el, &[], me)),
                "bond" | "bridge" => {
                    for c in el.children.iter().filter(|c| c.name == "slave" || c.name == "member") {
                        if let Some(a) = c.attr("device") {
                            v.dependencies.push(dep(a, &a.value, me, Relation::Member));
                        }
                    }
                    if let Some(a) = el.attr("mode").filter(|a| a.value != "active-backup") {
                        v.diagnostics.push(Diagnostic::error(a.value_span, "bad mode").on_interface(me));
                    }
                }
                "vlan" => {
                    if let Some(a) = el.attr("device") {
                        v.dependencies.push(dep(a, me, &a.value, Relation::Parent));
                    }
                }
                "static" => {
                    let prefix = el.value("address").map(String::from);
                    v.subnets.push(Subnet { interface: me.clone(), prefix });
                }
                "dhcp" => v.subnets.push(Subnet { interface: me.clone(), prefix: None }),
                // A table named by its VRF, as the routes plugin reports it.
                "route" => {
                    if let Some(a) = el.attr("table").filter(|a| a.value.parse::<u32>().is_err()) {
                        v.dependencies.push(dep(a, me, &a.value, Relation::Requires));
                    }
                }
                _ => {}
            }
            if let Some(a) = el.attr("gateway") {
                v.nexthops.push(Nexthop {
                    interface: me.clone(),
                    address: a.value.clone(),
                    span: a.value_span,
                });
            }
        }
        v
    }
}

const ALL: &[&str] = &["ethernet", "bond", "bridge", "vlan", "static", "dhcp", "route"];

/// A registry with the stand-ins for the given names.
fn registry(names: &[&'static str]) -> Registry {
    let mut r = Registry::new();
    for &name in names {
        let fake = match name {
            "ethernet" => Fake { name, kinds: &["ethernet"], elements: &[], phase: None },
            "bond" => Fake { name, kinds: &["bond"], elements: &[], phase: None },
            "bridge" => Fake { name, kinds: &["bridge"], elements: &[], phase: None },
            "vlan" => Fake { name, kinds: &["vlan"], elements: &[], phase: None },
            "static" => Fake { name, kinds: &[], elements: &["static"], phase: Some(Phase::Address) },
            "dhcp" => Fake { name, kinds: &[], elements: &["dhcp"], phase: Some(Phase::Dynamic) },
            "route" => Fake { name, kinds: &[], elements: &["route"], phase: Some(Phase::Route) },
            _ => unreachable!(),
        };
        r.register(Arc::new(fake), "builtin").unwrap();
    }
    r
}

fn run(config: &mut Config, names: &[&'static str]) -> Vec<Diagnostic> {
    validate(config, &registry(names), &ValidateOptions::default())
}

/// `(severity, line, col, message)` of each diagnostic, for compact assertions.
fn brief(diags: &[Diagnostic]) -> Vec<(Severity, u32, u32, String)> {
    diags.iter().map(|d| (d.severity, d.span.line, d.span.col, d.message.clone())).collect()
}

use Severity::{Error, Warning};

fn e(line: u32, col: u32, m: &str) -> (Severity, u32, u32, String) {
    (Error, line, col, m.to_string())
}

fn w(line: u32, col: u32, m: &str) -> (Severity, u32, u32, String) {
    (Warning, line, col, m.to_string())
}

// ---- the rules -----------------------------------------------------------------------------

/// ```xml
/// <interface device="eth0"/>
/// <interface device="eth1"/>
/// <bond name="bond0"><slave device="eth0"/><slave device="eth1"/></bond>
/// <bridge name="br0"><member device="bond0"/></bridge>
/// <vlan name="br0.10" device="br0" tag="10"/>
/// ```
fn stack() -> Vec<B> {
    vec![
        el("interface", 1, 1).attr("device", "eth0"),
        el("interface", 2, 1).attr("device", "eth1"),
        el("bond", 3, 1)
            .attr("name", "bond0")
            .child(el("slave", 3, 20).attr("device", "eth0"))
            .child(el("slave", 3, 41).attr("device", "eth1")),
        el("bridge", 4, 1).attr("name", "br0").child(el("member", 4, 20).attr("device", "bond0")),
        el("vlan", 5, 1).attr("name", "br0.10").attr("device", "br0").attr("tag", "10"),
    ]
}

#[test]
fn a_clean_stack_fills_masters_and_parents() {
    let mut c = config(stack());
    assert_eq!(run(&mut c, ALL), []);
    let rel = |c: &Config, n: &str| {
        let i = c.get(n).unwrap();
        (i.master.clone(), i.parent.clone())
    };
    let s = |s: &str| Some(s.to_string());
    assert_eq!(rel(&c, "eth0"), (s("bond0"), None));
    assert_eq!(rel(&c, "eth1"), (s("bond0"), None));
    assert_eq!(rel(&c, "bond0"), (s("br0"), None));
    assert_eq!(rel(&c, "br0"), (None, None));
    assert_eq!(rel(&c, "br0.10"), (None, s("br0")));
    // A second run starts afresh and finds the same.
    assert_eq!(run(&mut c, ALL), []);
    assert_eq!(rel(&c, "bond0"), (s("br0"), None));
}

/// The items validation keeps for the run are what the run would build after it, masters and
/// parents (which validation fills in only after building them) included.
#[test]
fn the_items_validation_keeps_are_the_runs_desired_items() {
    let mut c = config(stack());
    let mut elements = stack();
    elements[3] = elements.remove(3).child(el("static", 4, 40).attr("ipaddr", "10.0.0.1/24"));
    c.interfaces[3] = iface(elements.remove(3));
    let registry = registry(ALL);
    let (diags, kept) = validate_for_run(&mut c, &registry, &ValidateOptions::default());
    assert_eq!(diags, []);
    let kept = kept.into_desired(&c, &registry);
    assert_eq!(kept, desired_by_plugin(&c, &registry));
    let bond = &kept["bond"][0];
    assert_eq!(bond.envelope.as_ref().unwrap().master.as_deref(), Some("br0"));
    assert_eq!(kept["static"].len(), 1);
}

#[test]
fn a_kind_without_its_plugin_names_the_plugin_to_install() {
    let mut c = config(stack());
    let d = run(&mut c, &["ethernet", "bridge", "vlan"]);
    assert_eq!(brief(&d), [e(3, 1, "no installed plugin handles <bond>")]);
    assert_eq!(d[0].help.as_deref(), Some("install the plugin for <bond>: package netplug-plugin-bond"));
    assert_eq!(d[0].interface.as_deref(), Some("bond0"));
}

#[test]
fn an_unknown_element_suggests_the_closest_kind() {
    // <brige name="br0"/> and <interfce device="eth0"/> and <zzz name="x"/>
    let mut c = config(vec![
        el("brige", 1, 1).attr("name", "br0"),
        el("interfce", 2, 1).attr("name", "eth0"),
        el("zzzzzz", 3, 1).attr("name", "x"),
        el("static", 4, 1).attr("name", "y"),
    ]);
    let d = run(&mut c, &["ethernet", "bridge"]);
    assert_eq!(
        brief(&d),
        [
            e(1, 1, "unknown element <brige>"),
            e(2, 1, "unknown element <interfce>"),
            e(3, 1, "no installed plugin handles <zzzzzz>"),
            e(4, 1, "unknown element <static>"),
        ]
    );
    let helps: Vec<_> = d.iter().map(|d| d.help.as_deref()).collect();
    assert_eq!(
        helps,
        [
            Some("did you mean <bridge>?"),
            Some("did you mean <interface>?"),
            // Core knows no kind: a word close to no installed kind may be one whose plugin
            // is missing.
            Some("install the plugin for <zzzzzz>: package netplug-plugin-zzzzzz"),
            Some("<static> belongs inside an interface"),
        ]
    );
}

#[test]
fn a_feature_without_its_plugin_is_core_s_error_and_other_children_the_kind_s() {
    // <interface device="eth0" mtu="9000"><hwaddr address=".."/><dhcp/><frob/><static .../></interface>
    let mut c = config(vec![el("interface", 1, 1)
        .attr("device", "eth0")
        .attr("mtu", "9000")
        .child(el("hwaddr", 2, 3).attr("address", "52:54:00:00:00:01"))
        .child(el("dhcp", 3, 3))
        .child(el("frob", 4, 3))
        .child(el("static", 5, 3).attr("address", "10.0.0.2/24"))]);
    let d = run(&mut c, &["ethernet", "static"]);
    assert_eq!(
        brief(&d),
        [
            e(3, 3, "no installed plugin handles element <dhcp>"),
            e(4, 3, "unknown element <frob> in <interface>")
        ]
    );
    assert_eq!(d[0].help.as_deref(), Some("install the plugin for <dhcp>: package netplug-plugin-dhcp"));
}

#[test]
fn a_duplicate_name_points_at_the_second_and_says_where_the_first_is() {
    // line 1: <interface device="eth0"/>   line 4: <bond name="eth0"/>
    let mut c = config(vec![
        el("interface", 1, 1).attr("device", "eth0"),
        el("interface", 2, 1).attr("device", "eth1"),
        el("bond", 4, 5).attr("name", "eth0"),
    ]);
    let d = run(&mut c, ALL);
    assert_eq!(brief(&d), [e(4, 17, "duplicate interface eth0, first defined at line 1, column 20")]);

    let mut sources = SourceMap::new();
    sources.add("host.xml", "");
    let opts = ValidateOptions { sources: Some(&sources), ..Default::default() };
    let d = validate(&mut c, &registry(ALL), &opts);
    assert_eq!(d[0].message, "duplicate interface eth0, first defined at host.xml:1:20");
}

/// `<bond name="bond0"><slave device="eth0"/><slave device="eth2"/></bond>`, eth2 undefined.
fn undefined_slave() -> Config {
    config(vec![
        el("interface", 1, 1).attr("device", "eth0"),
        el("bond", 2, 1)
            .attr("name", "bond0")
            .child(el("slave", 2, 20).attr("device", "eth0"))
            .child(el("slave", 2, 41).attr("device", "eth2")),
    ])
}

#[test]
fn an_undefined_slave_is_a_warning_without_a_kernel_to_ask() {
    let d = run(&mut undefined_slave(), ALL);
    assert_eq!(brief(&d), [w(2, 56, "bond0: port eth2 is not defined in these documents")]);
    assert_eq!(d[0].interface.as_deref(), Some("bond0"));
}

#[test]
fn an_undefined_slave_is_fine_if_the_kernel_has_it_and_an_error_if_not() {
    let r = registry(ALL);
    let exists = |name: &str| name == "eth2";
    let opts = ValidateOptions { exists_in_kernel: Some(&exists), ..Default::default() };
    let mut c = undefined_slave();
    assert_eq!(validate(&mut c, &r, &opts), []);
    assert_eq!(c.get("eth0").unwrap().master.as_deref(), Some("bond0"));

    let nothing = |_: &str| false;
    let opts = ValidateOptions { exists_in_kernel: Some(&nothing), ..Default::default() };
    let d = validate(&mut undefined_slave(), &r, &opts);
    assert_eq!(
        brief(&d),
        [e(2, 56, "bond0: port eth2 is not defined in these documents and no such device exists")]
    );
}

/// ```xml
/// <bridge name="br0"><member device="eth0"/></bridge>
/// <interface device="eth0"><route table="br0"/></interface>
/// <interface device="eth1"><route table="vrf9"/></interface>
/// ```
#[test]
fn a_port_may_require_its_master_and_an_unknown_requirement_is_refused_at_its_place() {
    let c = || {
        config(vec![
            el("bridge", 1, 1).attr("name", "br0").child(el("member", 1, 20).attr("device", "eth0")),
            el("interface", 2, 1).attr("device", "eth0").child(el("route", 2, 27).attr("table", "br0")),
            el("interface", 3, 1).attr("device", "eth1").child(el("route", 3, 27).attr("table", "vrf9")),
        ])
    };
    // No cycle: the membership already puts the master before its port's routes.
    let mut without_kernel = c();
    assert_eq!(
        brief(&run(&mut without_kernel, ALL)),
        [w(3, 41, "eth1: required device vrf9 is not defined in these documents")]
    );
    assert_eq!(without_kernel.get("eth0").unwrap().master.as_deref(), Some("br0"));
    let nothing = |_: &str| false;
    let opts = ValidateOptions { exists_in_kernel: Some(&nothing), ..Default::default() };
    assert_eq!(
        brief(&validate(&mut c(), &registry(ALL), &opts)),
        [e(3, 41, "eth1: required device vrf9 is not defined in these documents and no such device exists")]
    );
}

#[test]
fn an_undefined_parent_or_master_is_reported_from_the_defined_side() {
    // <vlan name="eth9.5" device="eth9"/>, and a bridge port of a bridge nobody defines is
    // impossible to write, so only the parent case is reachable from documents.
    let mut c = config(vec![el("vlan", 1, 1).attr("name", "eth9.5").attr("device", "eth9")]);
    assert_eq!(brief(&run(&mut c, ALL)), [w(1, 29, "eth9.5: parent eth9 is not defined in these documents")]);
    assert_eq!(c.interfaces[0].parent.as_deref(), Some("eth9"));
}

#[test]
fn two_masters_are_reported_at_the_second_reference() {
    // line 2: <bond name="bond0"><slave device="eth0"/></bond>
    // line 3: <bridge name="br0"><member device="eth0"/></bridge>
    let mut c = config(vec![
        el("interface", 1, 1).attr("device", "eth0"),
        el("bond", 2, 1).attr("name", "bond0").child(el("slave", 2, 20).attr("device", "eth0")),
        el("bridge", 3, 1).attr("name", "br0").child(el("member", 3, 20).attr("device", "eth0")),
    ]);
    let d = run(&mut c, ALL);
    assert_eq!(brief(&d), [e(3, 36, "eth0 is enslaved to two masters: bond0 and br0")]);
    assert_eq!(d[0].help.as_deref(), Some("bond0 claims it at line 2, column 35"));
    assert_eq!(c.get("eth0").unwrap().master.as_deref(), Some("bond0"));
}

#[test]
fn an_interface_enslaved_to_itself() {
    let mut c = config(vec![el("bond", 1, 1)
        .attr("name", "bond0")
        .child(el("slave", 1, 20).attr("device", "bond0"))]);
    assert_eq!(brief(&run(&mut c, ALL)), [e(1, 35, "bond0 cannot be a member of itself")]);
    assert_eq!(c.interfaces[0].master, None);
}

#[test]
fn removing_a_device_that_a_staying_one_needs_is_a_contradiction() {
    // <interface device="eth0" state="absent"/>  (slave of a bond that stays)
    // <interface device="eth1" state="absent"/>  (parent of a VLAN that stays)
    // <bond name="bond0"><slave device="eth0"/></bond>
    // <vlan name="eth1.7" device="eth1"/>
    // <bond name="bond1" state="absent"><slave device="eth3"/></bond> with eth3 present: fine
    let mut c = config(vec![
        el("interface", 1, 1).attr("device", "eth0").attr("state", "absent"),
        el("interface", 2, 1).attr("device", "eth1").attr("state", "absent"),
        el("bond", 3, 1).attr("name", "bond0").child(el("slave", 3, 20).attr("device", "eth0")),
        el("vlan", 4, 1).attr("name", "eth1.7").attr("device", "eth1"),
        el("interface", 5, 1).attr("device", "eth3"),
        el("bond", 6, 1)
            .attr("name", "bond1")
            .attr("state", "absent")
            .child(el("slave", 6, 35).attr("device", "eth3")),
    ]);
    let d = run(&mut c, ALL);
    assert_eq!(
        brief(&d),
        [
            e(3, 35, "bond0: port eth0 has state=\"absent\""),
            e(4, 29, "eth1.7: parent eth1 has state=\"absent\"")
        ]
    );
}

#[test]
fn gateways_must_be_reachable_from_some_subnet() {
    // eth0: <static address="192.168.1.10/24" gateway="192.168.2.1"/>   unreachable
    // eth1: <static address="10.0.0.5/8" gateway="10.200.0.1"/>         reachable
    // eth2: <static address="172.16.0.2/30" gateway="192.168.1.1"/>     eth0's subnet reaches it
    // eth3: <dhcp/><route gateway="203.0.113.1"/>                       DHCP makes it plausible
    // eth4: <static address="2001:db8::2/64" gateway="fe80::1"/>        link-local: always fine
    // eth5: <static address="2001:db8:1::2/64" gateway="2001:db8:2::1"/> unreachable
    let stat = |line, addr, gw| el("static", line, 30).attr("address", addr).attr("gateway", gw);
    let mut c = config(vec![
        el("interface", 1, 1).attr("device", "eth0").child(stat(1, "192.168.1.10/24", "192.168.2.1")),
        el("interface", 2, 1).attr("device", "eth1").child(stat(2, "10.0.0.5/8", "10.200.0.1")),
        el("interface", 3, 1).attr("device", "eth2").child(stat(3, "172.16.0.2/30", "192.168.1.1")),
        el("interface", 4, 1)
            .attr("device", "eth3")
            .child(el("dhcp", 4, 30))
            .child(el("route", 4, 40).attr("gateway", "203.0.113.1")),
        el("interface", 5, 1).attr("device", "eth4").child(stat(5, "2001:db8::2/64", "fe80::1")),
        el("interface", 6, 1).attr("device", "eth5").child(stat(6, "2001:db8:1::2/64", "2001:db8:2::1")),
    ]);
    let d = run(&mut c, ALL);
    assert_eq!(
        brief(&d),
        [
            w(1, 73, "eth0: gateway 192.168.2.1 is not inside any configured subnet"),
            w(6, 74, "eth5: gateway 2001:db8:2::1 is not inside any configured subnet"),
        ]
    );
}

/// ```xml
/// <bridge name="br0"><member device="bond0"/></bridge>
/// <bond name="bond0"><slave device="br0"/></bond>
/// ```
#[test]
fn a_cycle_is_named_in_order_at_the_reference_that_closes_it() {
    let mut c = config(vec![
        el("bridge", 1, 1).attr("name", "br0").child(el("member", 1, 20).attr("device", "bond0")),
        el("bond", 2, 1).attr("name", "bond0").child(el("slave", 2, 20).attr("device", "br0")),
    ]);
    let d = run(&mut c, ALL);
    assert_eq!(brief(&d), [e(2, 35, "dependency cycle: br0 -> bond0 -> br0")]);
    assert_eq!(d[0].interface.as_deref(), Some("bond0"));
}

#[test]
fn every_cycle_is_reported_and_what_merely_sits_on_one_is_not() {
    // Cycle 1: vlan a.1 on b.1, b.1 on a.1 (lines 1-2). Cycle 2: three bonds (lines 3-5).
    // A VLAN on top of cycle 1 (line 6) is not itself in a cycle.
    let mut c = config(vec![
        el("vlan", 1, 1).attr("name", "a.1").attr("device", "b.1"),
        el("vlan", 2, 1).attr("name", "b.1").attr("device", "a.1"),
        el("bond", 3, 1).attr("name", "x").child(el("slave", 3, 20).attr("device", "y")),
        el("bond", 4, 1).attr("name", "y").child(el("slave", 4, 20).attr("device", "z")),
        el("bond", 5, 1).attr("name", "z").child(el("slave", 5, 20).attr("device", "x")),
        el("vlan", 6, 1).attr("name", "top").attr("device", "a.1"),
    ]);
    let d = run(&mut c, ALL);
    assert_eq!(
        brief(&d),
        [e(2, 26, "dependency cycle: a.1 -> b.1 -> a.1"), e(5, 35, "dependency cycle: x -> y -> z -> x")]
    );
}

#[test]
fn every_problem_is_reported_in_document_order() {
    // Plugin errors (bad mode) and core's (missing plugin, undefined slave) interleave by line.
    let mut c = config(vec![
        el("bond", 1, 1)
            .attr("name", "bond0")
            .attr("mode", "wrong")
            .child(el("slave", 2, 3).attr("device", "ethX")),
        el("interface", 3, 1).attr("device", "eth1").child(el("dhcp", 4, 3)),
        el("bond", 5, 1).attr("name", "bond1").attr("mode", "worse"),
    ]);
    let report = check(&mut c, &registry(&["ethernet", "bond"]), &ValidateOptions::default());
    assert_eq!(
        brief(&report.diagnostics),
        [
            e(1, 26, "bad mode"),
            w(2, 18, "bond0: port ethX is not defined in these documents"),
            e(4, 3, "no installed plugin handles element <dhcp>"),
            e(5, 26, "bad mode"),
        ]
    );
    assert!(report.has_errors());
    assert_eq!(report.dependencies.len(), 1);
}
