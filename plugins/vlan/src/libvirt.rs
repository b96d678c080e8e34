//! The VLAN's part of the libvirt dialect: `<vlan tag><interface name=PARENT/></vlan>`, as
//! netcf's schema has it.

use netplug_plugin_sdk::libvirt::{renamed, FromNative, Libvirt, Native, Reader, ToNative};
use netplug_plugin_sdk::Element;

/// `<interface type='vlan'>` → the native `<vlan>`'s `tag` and `device`; a VLAN without a
/// name is named DEVICE.TAG, as libvirt says it always is.
pub fn to_native(request: &ToNative) -> Native {
    let el = &request.element;
    let mut out = Native::default();
    let v = el.child("vlan");
    if request.interface.is_empty() {
        out.name =
            v.and_then(|v| Some(format!("{}.{}", v.child("interface")?.value("name")?, v.value("tag")?)));
    }
    let iface = out.name.clone().unwrap_or_else(|| request.interface.clone());
    let mut r = Reader::new(&iface);
    let Some(v) = v else {
        r.error(el.span, "an interface of type vlan needs a <vlan> element", "vlan", None);
        out.diagnostics = r.diagnostics;
        return out;
    };
    r.check(v, &["tag"], &["interface"]);
    out.attributes.extend(r.required(v, "tag").map(|a| renamed(a, "tag")));
    let mut parents = v.children_named("interface");
    let Some(parent) = parents.next() else {
        let help = Some("add <interface name='eth0'/> inside <vlan>".to_string());
        r.error(v.span, "<vlan> names no parent interface", "interface", help);
        out.diagnostics = r.diagnostics;
        return out;
    };
    for extra in parents {
        r.error(extra.span, "a VLAN has one parent interface", "interface", None);
    }
    r.check(parent, &["name"], &[]);
    out.attributes.extend(r.required(parent, "name").map(|a| renamed(a, "device")));
    out.diagnostics = r.diagnostics;
    out
}

/// The native `<vlan>` → `<vlan tag><interface name=PARENT/></vlan>`; not written without a tag.
pub fn from_native(request: &FromNative) -> Libvirt {
    let item = &request.item;
    let el = &item.element;
    let mut out = Libvirt::default();
    let Some(tag) = el.value("tag") else {
        out.dropped.push("vlan without tag (libvirt needs one); not written".to_string());
        out.omit = true;
        return out;
    };
    if let Some(p) = el.value("protocol") {
        // 33024 is ETH_P_8021Q, which this plugin also accepts.
        if !matches!(p.trim().to_ascii_lowercase().as_str(), "802.1q" | "33024") {
            out.dropped.push(format!("vlan protocol {p} (libvirt VLANs are 802.1Q)"));
        }
    }
    for a in el.attributes.iter().filter(|a| !matches!(a.name.as_str(), "tag" | "device" | "protocol")) {
        out.dropped.push(format!("vlan attribute {}", a.name));
    }
    for c in &el.children {
        out.dropped.push(format!("<{}>", c.name));
    }
    let mut v = Element::new("vlan").with_attr("tag", tag);
    let parent = el.value("device").map(str::to_string).or_else(|| item.envelope.as_ref()?.parent.clone());
    if let Some(parent) = parent {
        v.children.push(Element::new("interface").with_attr("name", parent));
    }
    out.element = Some(v);
    out
}
