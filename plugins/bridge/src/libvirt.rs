//! The bridge's part of the libvirt dialect: `<bridge stp delay>` with the ports nested in it,
//! as netcf's schema has it.

use netplug_plugin_sdk::libvirt::{
    renamed, revalued, FromNative, Libvirt, Native, PortIn, PortOut, Reader, ToNative,
};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;

/// The kinds of a bridge's ports in libvirt.
const PORT_KINDS: [&str; 3] = ["ethernet", "bond", "vlan"];

/// What a port the documents only name is written as.
const BARE_PORT: &str = "ethernet";

/// `<interface type='bridge'>` → the native `<bridge>`'s attributes and members.
pub fn to_native(request: &ToNative) -> Native {
    let iface = request.interface.as_str();
    let el = &request.element;
    let mut r = Reader::new(iface);
    let mut out = Native {
        port_kinds: PORT_KINDS.iter().map(|k| k.to_string()).collect(),
        port_rule: "a bridge's ports are ethernet, bond or vlan interfaces".to_string(),
        ..Native::default()
    };
    if let Some(l) = el.child("link") {
        let help = Some("it reports link state for ethernet, bond and vlan only".to_string());
        r.error(l.span, "libvirt has no <link> on a bridge", "link", help);
    }
    let Some(b) = el.child("bridge") else {
        r.error(el.span, "an interface of type bridge needs a <bridge> element", "bridge", None);
        out.diagnostics = r.diagnostics;
        return out;
    };
    r.check(b, &["stp", "delay"], &["interface"]);
    if r.one_of(b, "stp", &["on", "off"]).is_some() {
        out.attributes.extend(b.attr("stp").cloned());
    }
    // libvirt's delay is brctl's forward delay, in seconds, as native's is. `virsh
    // iface-bridge` writes stp='on' delay='0', which the kernel refuses (it needs 2-30 s
    // while STP is on) and libvirt's netcf let the kernel clamp: take the clamp, say so.
    let stp_on = b.attr("stp").is_some_and(|a| a.value.trim() == "on");
    if let Some(d) = b.attr("delay") {
        match d.value.trim().parse::<f64>() {
            Ok(secs) if stp_on && (0.0..2.0).contains(&secs) => {
                r.warning(
                    d.value_span,
                    format!(
                        "a forward delay of {} s is below the 2 s the kernel needs with STP on; applying 2 s",
                        d.value.trim()
                    ),
                    "delay",
                    "write delay='2' (or stp='off' to keep no delay)",
                );
                out.attributes.push(revalued(d, "forwarddelay", "2"));
            }
            _ => out.attributes.push(renamed(d, "forwarddelay")),
        }
    }
    for port in b.children_named("interface") {
        let reference = Element { name: "member".into(), span: port.span, ..Default::default() };
        out.ports.push(PortIn { interface: port.clone(), reference });
    }
    out.diagnostics = r.diagnostics;
    out
}

/// The native `<bridge>` → `<bridge stp delay>`, the members to nest, and what libvirt cannot
/// carry.
pub fn from_native(request: &FromNative) -> Libvirt {
    let el = &request.item.element;
    let mut out = Libvirt {
        port_kinds: PORT_KINDS.iter().map(|k| k.to_string()).collect(),
        no_link: true,
        ..Libvirt::default()
    };
    let mut b = Element::new("bridge");
    if let Some(stp) = el.value("stp") {
        match parse_bool(stp) {
            Some(on) => b.set_attr("stp", if on { "on" } else { "off" }),
            None => out.dropped.push(format!("bridge stp {stp} (not on or off)")),
        }
    }
    if let Some(d) = el.value("forwarddelay") {
        b.set_attr("delay", d);
    }
    for a in el.attributes.iter().filter(|a| !matches!(a.name.as_str(), "stp" | "forwarddelay")) {
        out.dropped.push(format!("bridge attribute {}", a.name));
    }
    for c in &el.children {
        if c.name != "member" {
            out.dropped.push(format!("<{}>", c.name));
            continue;
        }
        let Some(dev) = c.value("device") else {
            out.dropped.push("<member> without device".to_string());
            continue;
        };
        for a in c.attributes.iter().filter(|a| a.name != "device") {
            out.dropped.push(format!("member {dev} attribute {}", a.name));
        }
        out.ports.push(PortOut { name: dev.to_string(), kind: BARE_PORT.to_string() });
    }
    out.element = Some(b);
    out
}
