//! The bond's part of the libvirt dialect: `<bond mode=..>` with `<miimon>` or `<arpmon>` and
//! the slaves nested in it, as netcf's schema has it.

use netplug_plugin_sdk::libvirt::{
    kernel_word, renamed, revalued, synthesized, FromNative, Libvirt, Native, PortIn, PortOut, Reader,
    ToNative,
};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;

use crate::values::{ArpValidate, BondMode};

/// libvirt's bond modes: the kernel's names.
const MODES: &[&str] = BondMode::NAMES;

/// libvirt's `<arpmon validate>` values: the first four of the kernel's `arp_validate`.
fn arp_validate() -> &'static [&'static str] {
    &ArpValidate::NAMES[..4]
}

/// The kind of a bond's slaves in libvirt.
const SLAVE_KIND: &str = "ethernet";

/// `<interface type='bond'>` → the native `<bond>`'s attributes and slaves.
pub fn to_native(request: &ToNative) -> Native {
    let iface = request.interface.as_str();
    let el = &request.element;
    let mut r = Reader::new(iface);
    let mut out = Native {
        port_kinds: vec![SLAVE_KIND.to_string()],
        port_rule: "a bond's slaves are ethernet interfaces".to_string(),
        ..Native::default()
    };
    let Some(b) = el.child("bond") else {
        r.error(el.span, "an interface of type bond needs a <bond> element", "bond", None);
        out.diagnostics = r.diagnostics;
        return out;
    };
    r.check(b, &["mode"], &["miimon", "arpmon", "interface"]);
    r.duplicates(b, &["miimon", "arpmon"]);
    let mode = r.one_of(b, "mode", MODES);
    if mode.is_some() {
        out.attributes.extend(b.attr("mode").cloned());
    }
    if let Some(m) = b.child("miimon") {
        r.check(m, &["freq", "downdelay", "updelay", "carrier"], &[]);
        out.attributes.extend(r.required(m, "freq").map(|a| renamed(a, "miimon")));
        out.attributes.extend(m.attr("downdelay").cloned());
        out.attributes.extend(m.attr("updelay").cloned());
        // netcf wrote carrier as the kernel's use_carrier: ioctl=0, netif=1.
        if let Some(c) = r.one_of(m, "carrier", &["ioctl", "netif"]) {
            let value = if c == "netif" { "yes" } else { "no" };
            out.attributes.push(revalued(m.attr("carrier").expect("one_of found it"), "use_carrier", value));
        }
        if let Some(a) = b.child("arpmon") {
            r.error(a.span, "a bond has <miimon> or <arpmon>, not both", "arpmon", None);
        }
    } else if let Some(a) = b.child("arpmon") {
        r.check(a, &["interval", "target", "validate"], &[]);
        out.attributes.extend(r.required(a, "interval").map(|x| renamed(x, "arp_interval")));
        // One address in libvirt's schema; netcf passed it to arp_ip_target verbatim, so a
        // comma-separated list works and is kept as one.
        out.attributes.extend(r.required(a, "target").map(|x| renamed(x, "arp_ip_target")));
        if r.one_of(a, "validate", arp_validate()).is_some() {
            out.attributes.extend(a.attr("validate").map(|x| renamed(x, "arp_validate")));
        }
    }
    // libvirt: "the primary interface is the first interface child" of an active-backup bond.
    let mut first = mode == Some("active-backup");
    for port in b.children_named("interface") {
        let mut reference = Element { name: "slave".into(), span: port.span, ..Default::default() };
        if first {
            reference.attributes.push(synthesized("primary", "yes", port.span));
        }
        out.ports.push(PortIn { interface: port.clone(), reference });
        first = false;
    }
    out.diagnostics = r.diagnostics;
    out
}

/// The native `<bond>` → `<bond mode=..>` with its monitor, the slaves to nest (the primary
/// first in active-backup), and what libvirt cannot carry.
pub fn from_native(request: &FromNative) -> Libvirt {
    let el = &request.item.element;
    let mut out = Libvirt { port_kinds: vec![SLAVE_KIND.to_string()], ..Libvirt::default() };
    let mut b = Element::new("bond");
    let mode = el.value("mode").and_then(|m| match kernel_word(m, MODES) {
        Some(m) => Some(m),
        None => {
            out.dropped.push(format!("bond mode {m} (not one libvirt knows)"));
            None
        }
    });
    b.children.extend(monitor(el, &mut out.dropped));
    if let Some(m) = mode {
        b.set_attr("mode", m);
    }
    let consumed = [
        "mode",
        "miimon",
        "updelay",
        "downdelay",
        "use_carrier",
        "arp_interval",
        "arp_ip_target",
        "arp_validate",
    ];
    for a in el.attributes.iter().filter(|a| !consumed.contains(&a.name.as_str())) {
        out.dropped.push(format!("bond attribute {}", a.name));
    }
    for c in el.children.iter().filter(|c| c.name != "slave") {
        out.dropped.push(format!("<{}>", c.name));
    }

    let mut slaves: Vec<&Element> = Vec::new();
    for s in el.children_named("slave") {
        match s.value("device") {
            Some(dev) => {
                for a in s.attributes.iter().filter(|a| !matches!(a.name.as_str(), "device" | "primary")) {
                    out.dropped.push(format!("slave {dev} attribute {}", a.name));
                }
                slaves.push(s);
            }
            None => out.dropped.push("<slave> without device".to_string()),
        }
    }
    let primary = |s: &Element| s.value("primary").and_then(parse_bool) == Some(true);
    let device = |s: &Element| s.value("device").unwrap_or_default().to_string();
    let primaries: Vec<usize> = (0..slaves.len()).filter(|k| primary(slaves[*k])).collect();
    for k in primaries.iter().skip(1) {
        out.dropped.push(format!(
            "slave {} primary (a bond has one primary; {} is kept)",
            device(slaves[*k]),
            device(slaves[primaries[0]])
        ));
    }
    if mode == Some("active-backup") {
        // libvirt: the first slave of an active-backup bond is its primary.
        match primaries.first() {
            Some(&k) => {
                let p = slaves.remove(k);
                slaves.insert(0, p);
            }
            None => {
                if let Some(p) = slaves.first() {
                    out.dropped.push(format!(
                        "no primary slave (libvirt makes the first slave, {}, primary)",
                        device(p)
                    ));
                }
            }
        }
    } else if let Some(&k) = primaries.first() {
        out.dropped.push(format!(
            "slave {} primary (libvirt has a primary only in active-backup mode)",
            device(slaves[k])
        ));
    }
    out.ports = slaves.iter().map(|s| PortOut { name: device(s), kind: SLAVE_KIND.to_string() }).collect();
    out.element = Some(b);
    out
}

/// `<miimon>` or `<arpmon>`: libvirt has one of the two, each needing its interval.
fn monitor(el: &Element, dropped: &mut Vec<String>) -> Option<Element> {
    let v = |a: &str| el.value(a);
    let mut arp = ["arp_interval", "arp_ip_target", "arp_validate"].into_iter().filter(|a| v(a).is_some());
    if let Some(freq) = v("miimon") {
        let mut m = Element::new("miimon").with_attr("freq", freq);
        for a in ["downdelay", "updelay"] {
            if let Some(x) = v(a) {
                m.set_attr(a, x);
            }
        }
        if let Some(c) = v("use_carrier") {
            match parse_bool(c) {
                Some(netif) => m.set_attr("carrier", if netif { "netif" } else { "ioctl" }),
                None => dropped.push(format!("bond use_carrier {c} (not yes or no)")),
            }
        }
        for a in arp {
            dropped.push(format!("bond attribute {a} (libvirt has miimon or arpmon; miimon is kept)"));
        }
        return Some(m);
    }
    for a in ["updelay", "downdelay", "use_carrier"].into_iter().filter(|a| v(a).is_some()) {
        dropped.push(format!("bond attribute {a} (libvirt has it only with miimon)"));
    }
    let (Some(interval), Some(target)) = (v("arp_interval"), v("arp_ip_target")) else {
        for a in arp.by_ref() {
            dropped
                .push(format!("bond attribute {a} (libvirt's arpmon needs arp_interval and arp_ip_target)"));
        }
        return None;
    };
    let mut m = Element::new("arpmon").with_attr("interval", interval).with_attr("target", target);
    if let Some(x) = v("arp_validate") {
        if let Some(word) = kernel_word(x, arp_validate()) {
            m.set_attr("validate", word);
        } else {
            dropped.push(format!("bond arp_validate {x} (libvirt has none, active, backup and all)"));
        }
    }
    Some(m)
}
