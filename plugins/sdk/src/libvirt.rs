//! A kind's part of the libvirt dialect (ABI 1.1): `<interface type=KIND>` documents as
//! `virsh iface-dumpxml` prints them (netcf's schema).
//!
//! Core reads and writes the envelope — `<interface type name>`, `<start>`, `<mtu>`, `<mac>`,
//! `<link>`, `<protocol>` — and nests ports inside their master. A plugin that lists a kind in
//! [`PluginInfo::libvirt`](crate::PluginInfo::libvirt) translates that kind's own subtree
//! (`<bond>`, `<bridge>`, `<vlan>`; nothing for a NIC) both ways, through
//! [`Plugin::libvirt_to_native`](crate::Plugin::libvirt_to_native) and
//! [`Plugin::libvirt_from_native`](crate::Plugin::libvirt_from_native).

use serde::{Deserialize, Serialize};

use crate::{Attribute, Diagnostic, Element, Item, Span};

/// What `libvirt_to_native` gets: one `<interface type=KIND>` of a libvirt document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ToNative {
    /// The `type=`, one of the plugin's libvirt kinds.
    pub kind: String,
    /// Its `name=`, or empty when it has none (the plugin may derive one: [`Native::name`]).
    pub interface: String,
    /// The whole `<interface>`, spans pointing at the libvirt document. The plugin reads its
    /// kind's subtree and may check what libvirt allows on its kind's envelope; core reads the
    /// rest.
    pub element: Element,
}

/// What `libvirt_to_native` answers: the native top-level element's part that is the kind's,
/// every attribute and element keeping the span of the libvirt text it came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Native {
    /// The interface's name when `<interface>` has none and the kind derives it (libvirt
    /// names a VLAN DEVICE.TAG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Attributes of the native top-level element (`mode`, `miimon`, `stp`, `tag`…).
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// Children of the native top-level element, before the ports' references.
    #[serde(default)]
    pub children: Vec<Element>,
    /// The nested `<interface>`s that are ports, in order: core reads each as an interface of
    /// its own (with the top-level interface's start mode and MTU) and adds its reference.
    #[serde(default)]
    pub ports: Vec<PortIn>,
    /// The kinds libvirt lets a port of this kind have, and how to say so when one is another
    /// (`a bond's slaves are ethernet interfaces`): core refuses the others at their `type=`.
    #[serde(default)]
    pub port_kinds: Vec<String>,
    #[serde(default)]
    pub port_rule: String,
    /// Problems at their place in the libvirt document; what native cannot say is a warning
    /// starting "dropped:".
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
}

/// A port nested in the kind's subtree.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortIn {
    /// The nested `<interface type=..>` as written.
    pub interface: Element,
    /// The native reference to add to the master (`<slave primary="yes"/>`); core sets its
    /// `device` to the port's name.
    pub reference: Element,
}

/// What `libvirt_from_native` gets: the interface as the kind's plugin sees it everywhere
/// (its element without the envelope and without other plugins' children, and the envelope).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FromNative {
    pub item: Item,
}

/// What `libvirt_from_native` answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Libvirt {
    /// The kind's subtree (`<bond mode=..><miimon freq=../></bond>`) without ports: core
    /// appends the nested port interfaces. `None` for a kind without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<Element>,
    /// The ports to nest in `element`, in order.
    #[serde(default)]
    pub ports: Vec<PortOut>,
    /// The kinds libvirt lets a port of this kind have; other ports are not nested.
    #[serde(default)]
    pub port_kinds: Vec<String>,
    /// libvirt has no `<link>` on this kind (a bridge).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_link: bool,
    /// The interface cannot be written at all (a VLAN without a tag); `dropped` says why.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omit: bool,
    /// What libvirt cannot carry, one phrase each (`bond attribute xmit_hash_policy`); core
    /// prefixes the interface's name.
    #[serde(default)]
    pub dropped: Vec<String>,
}

/// A port to nest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortOut {
    pub name: String,
    /// The `type=` to write when the documents do not define the port, only name it.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Reading a libvirt subtree: the checks libvirt's schema makes, each problem a diagnostic on
/// `interface` at its place.
pub struct Reader<'a> {
    pub interface: &'a str,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub fn new(interface: &'a str) -> Self {
        Reader { interface, diagnostics: Vec::new() }
    }

    /// Unknown attributes and children (with did-you-mean), and text where libvirt has none.
    pub fn check(&mut self, el: &Element, attributes: &[&str], children: &[&str]) {
        self.diagnostics.extend(crate::schema::check_attributes(el, attributes, self.interface));
        self.diagnostics.extend(crate::schema::check_children(el, children, self.interface));
        if el.text.is_some() {
            self.error(el.span, format!("unexpected text in <{}>", el.name), &el.name, None);
        }
    }

    /// A second occurrence of an element libvirt reads once.
    pub fn duplicates(&mut self, el: &Element, names: &[&str]) {
        for name in names {
            for extra in el.children_named(name).skip(1) {
                let help = Some("libvirt reads only the first".to_string());
                self.error(extra.span, format!("second <{name}> in <{}>", el.name), name, help);
            }
        }
    }

    /// The attribute `name`, or an error that `el` lacks it.
    pub fn required<'e>(&mut self, el: &'e Element, name: &str) -> Option<&'e Attribute> {
        let a = el.attr(name);
        if a.is_none() {
            self.error(el.span, format!("<{}> has no {name} attribute", el.name), name, None);
        }
        a
    }

    /// The value of `el`'s `name` when it is one of `values`, else an error at it.
    pub fn one_of<'e>(&mut self, el: &'e Element, name: &str, values: &[&str]) -> Option<&'e str> {
        crate::schema::enum_attr(el, name, values, self.interface, &mut self.diagnostics)
    }

    pub fn error(&mut self, span: Span, msg: impl Into<String>, attribute: &str, help: Option<String>) {
        let d = Diagnostic::error(span, msg).on_interface(self.interface).on_attribute(attribute);
        self.diagnostics.push(match help {
            Some(h) => d.with_help(h),
            None => d,
        });
    }

    pub fn warning(&mut self, span: Span, msg: String, attribute: &str, help: &str) {
        let d = Diagnostic::warning(span, msg).on_interface(self.interface).on_attribute(attribute);
        self.diagnostics.push(d.with_help(help));
    }
}

/// The same attribute under its native name, spans kept.
pub fn renamed(a: &Attribute, name: &str) -> Attribute {
    Attribute { name: name.into(), ..a.clone() }
}

/// A native attribute whose value is spelled differently, at the libvirt value's place.
pub fn revalued(a: &Attribute, name: &str, value: impl Into<String>) -> Attribute {
    Attribute { name: name.into(), value: value.into(), span: a.span, value_span: a.value_span }
}

/// A native attribute libvirt implies with an element or a position (the first slave); it
/// points at `span`.
pub fn synthesized(name: &str, value: &str, span: Span) -> Attribute {
    Attribute { name: name.into(), value: value.into(), span, value_span: span }
}

/// The name of a kernel enumeration value given by name (any case) or by number, when it is
/// one of `words` (in the kernel's order from 0).
pub fn kernel_word(value: &str, words: &[&'static str]) -> Option<&'static str> {
    let value = value.trim();
    match value.parse::<usize>() {
        Ok(n) => words.get(n).copied(),
        Err(_) => words.iter().copied().find(|w| w.eq_ignore_ascii_case(value)),
    }
}
