//! The RelaxNG schema of the native dialect (`netplug schema`), assembled from core's envelope
//! and the vocabularies the registered plugins declare, so that a third-party kind is in it as
//! soon as its plugin is installed.
//!
//! A plugin's vocabulary ([`PluginInfo::vocabulary`], ABI 1.1) is a RelaxNG grammar in XML
//! syntax holding only `<define>`s: one named after each of its kinds (that kind's own
//! attributes and children) and one after each of its elements (the element with its
//! cardinality). Its `<ref>`s name its own defines or one of core's value types
//! ([`TYPES`]). Core renames its defines to `plugin.NAME.DEFINE`, so plugins never clash, and
//! writes around them what it owns: `<interfaces>`, one element per kind with the envelope
//! (name, `startmode`, `onboot`, `state`, `mtu`, `<hwaddr>`) and every feature element the
//! kind takes (less those its plugin's `device_settings` refuse). A plugin without a
//! vocabulary, or with one that breaks these rules, still appears: its kinds and elements take
//! any attributes and content, and [`Assembled::plugins`] says why.

use std::collections::{BTreeMap, BTreeSet};

use netplug_plugin_sdk::{Element, PluginInfo};
use serde::Serialize;

use crate::model::Interface;
use crate::registry::Registry;
use crate::xml;

/// The RelaxNG namespace; a vocabulary's `<grammar>` must make it the default one.
pub const RELAXNG_NS: &str = "http://relaxng.org/ns/structure/1.0";
/// RelaxNG's annotations (`<a:documentation>`), which editors show beside a completion.
pub const ANNOTATIONS_NS: &str = "http://relaxng.org/ns/compatibility/annotations/1.0";
/// The datatype library of the assembled schema (`xsd:token` and its facets).
pub const XSD_DATATYPES: &str = "http://www.w3.org/2001/XMLSchema-datatypes";

/// Core's grammar: the envelope and the value types.
const ENVELOPE: &str = include_str!("envelope.rng");

/// The value types of core's grammar a vocabulary may `<ref>` without defining them.
pub const TYPES: &[&str] = &[
    "boolean",
    "ifname",
    "mac",
    "ipv4-address",
    "ipv6-address",
    "ip-address",
    "ip-prefix",
    "hostname",
    "seconds",
];

/// The schema and what became of each plugin's vocabulary.
#[derive(Clone, Debug)]
pub struct Assembled {
    /// The RelaxNG grammar, XML syntax.
    pub text: String,
    pub plugins: Vec<PluginVocabulary>,
}

/// How one plugin's kinds and elements are described in the schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PluginVocabulary {
    pub name: String,
    pub vocabulary: Vocabulary,
    /// Why a vocabulary was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Vocabulary {
    /// By the plugin's own grammar.
    Declared,
    /// Any content: the plugin declares no vocabulary.
    Open,
    /// Any content: the plugin's vocabulary breaks the rules above (see `reason`).
    Refused,
}

/// A plugin's accepted vocabulary: its defines, renamed into the assembled grammar.
struct Accepted {
    defines: Vec<Element>,
}

/// The schema of the native dialect as the plugins of `registry` speak it.
pub fn relaxng(registry: &Registry) -> Assembled {
    let mut infos: Vec<&PluginInfo> = registry.plugins().iter().map(|r| &r.info).collect();
    infos.sort_by(|a, b| a.name.cmp(&b.name));

    let mut plugins = Vec::new();
    let mut accepted: BTreeMap<&str, Accepted> = BTreeMap::new();
    for info in &infos {
        let (vocabulary, reason) = if info.vocabulary.trim().is_empty() {
            (Vocabulary::Open, None)
        } else {
            match accept(info) {
                Ok(a) => {
                    accepted.insert(&info.name, a);
                    (Vocabulary::Declared, None)
                }
                Err(why) => {
                    tracing::warn!(
                        target: "netplug::schema",
                        "plugin '{}': its vocabulary is refused ({why}); its kinds and elements take any content in the schema",
                        info.name
                    );
                    (Vocabulary::Refused, Some(why))
                }
            }
        };
        plugins.push(PluginVocabulary { name: info.name.clone(), vocabulary, reason });
    }

    // Every feature element, and the plugin that owns it.
    let features: BTreeMap<&str, &PluginInfo> =
        infos.iter().flat_map(|i| i.elements.iter().map(move |e| (e.as_str(), *i))).collect();
    let kinds: BTreeMap<&str, &PluginInfo> =
        infos.iter().flat_map(|i| i.kinds.iter().map(move |k| (k.as_str(), *i))).collect();

    let core = xml::parse(ENVELOPE, 0).expect("core's envelope grammar is well-formed");
    let mut grammar = Element::new("grammar")
        .with_attr("xmlns", RELAXNG_NS)
        .with_attr("xmlns:a", ANNOTATIONS_NS)
        .with_attr("datatypeLibrary", XSD_DATATYPES);
    let names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
    grammar.children.push(documentation(&format!(
        "The native dialect of netplug {}, with the vocabularies of the plugins {}. Written by `netplug schema`.",
        env!("CARGO_PKG_VERSION"),
        if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
    )));
    grammar.children.push(
        Element::new("start").with_child(
            Element::new("choice")
                .with_child(reference("netplug.interfaces"))
                .with_child(reference("netplug.interface")),
        ),
    );
    grammar.children.push(define(
        "netplug.interfaces",
        Element::new("element")
            .with_attr("name", crate::dialect::native::WRAPPER)
            .with_child(documentation("Any number of interfaces, in any order."))
            .with_child(Element::new("zeroOrMore").with_child(reference("netplug.interface"))),
    ));
    let interface = if kinds.is_empty() {
        Element::new("notAllowed")
    } else {
        kinds
            .keys()
            .fold(Element::new("choice"), |c, k| c.with_child(reference(&format!("netplug.kind.{k}"))))
    };
    grammar.children.push(define("netplug.interface", interface));
    for (kind, info) in &kinds {
        grammar.children.push(kind_element(kind, info, &features, &accepted, registry));
    }
    // Copies of feature elements cut down to what a kind's devices take.
    for (kind, info) in &kinds {
        for (element, allowed) in &info.device_settings {
            let Some(owner) = features.get(element.as_str()) else { continue };
            if allowed.is_empty() || !accepted.contains_key(owner.name.as_str()) {
                continue;
            }
            let own = plugin_define(&owner.name, element);
            let Some(full) =
                accepted[owner.name.as_str()].defines.iter().find(|d| d.value("name") == Some(&own))
            else {
                continue;
            };
            let mut copy = full.clone();
            copy.set_attr("name", restricted_define(&owner.name, element, kind));
            restrict(&mut copy, element, allowed);
            grammar.children.push(copy);
        }
    }
    grammar.children.extend(core.children.into_iter().filter(|c| c.name == "define"));
    for a in accepted.into_values() {
        grammar.children.extend(a.defines);
    }
    Assembled { text: format!("<?xml version=\"1.0\"?>\n{}", xml::write(&grammar)), plugins }
}

/// The element of one kind: its name attribute, the envelope, the feature elements it takes
/// and the kind's own content, in any order.
fn kind_element(
    kind: &str,
    info: &PluginInfo,
    features: &BTreeMap<&str, &PluginInfo>,
    accepted: &BTreeMap<&str, Accepted>,
    registry: &Registry,
) -> Element {
    let element = registry.element_of_kind(kind);
    let name_attribute = Interface::name_attribute_of(element);
    let mut body = Element::new("interleave");
    let named = |n: &str| {
        Element::new("attribute")
            .with_attr("name", n)
            .with_child(documentation("The interface's name."))
            .with_child(reference("ifname"))
    };
    if name_attribute == "device" {
        // `name` is an alias of `device` on `<interface>`; both may be given if they agree.
        body.children.push(
            Element::new("choice")
                .with_child(named("device"))
                .with_child(named("name"))
                .with_child(Element::new("group").with_child(named("device")).with_child(named("name"))),
        );
    } else {
        body.children.push(named(name_attribute));
    }
    body.children.push(reference("netplug.envelope"));
    let mut taken = Vec::new();
    for (element, owner) in features {
        let pattern = match info.device_settings.get(*element) {
            Some(allowed) if allowed.is_empty() => continue,
            Some(_) if accepted.contains_key(owner.name.as_str()) => {
                reference(&restricted_define(&owner.name, element, kind))
            }
            _ if accepted.contains_key(owner.name.as_str()) => {
                reference(&plugin_define(&owner.name, element))
            }
            _ => Element::new("zeroOrMore").with_child(
                Element::new("element").with_attr("name", *element).with_child(reference("netplug.anything")),
            ),
        };
        taken.push(*element);
        body.children.push(pattern);
    }
    if accepted.contains_key(info.name.as_str()) {
        body.children.push(reference(&plugin_define(&info.name, kind)));
    } else {
        // Anything but what the envelope and the feature elements already match: RelaxNG
        // forbids two branches of an interleave that could match the same name.
        let mut attributes: Vec<&str> = vec!["startmode", "onboot", "state", "mtu", name_attribute];
        if name_attribute == "device" {
            attributes.push("name");
        }
        let mut elements = vec!["hwaddr"];
        elements.extend(features.keys().copied());
        body.children.push(
            Element::new("zeroOrMore").with_child(
                Element::new("attribute")
                    .with_child(any_name_except(&attributes))
                    .with_child(Element::new("text")),
            ),
        );
        body.children.push(
            Element::new("zeroOrMore").with_child(
                Element::new("element")
                    .with_child(any_name_except(&elements))
                    .with_child(reference("netplug.anything")),
            ),
        );
    }
    let described = if info.description.is_empty() {
        format!("An interface of kind {kind} (plugin {}).", info.name)
    } else {
        format!("{} (plugin {}).", info.description, info.name)
    };
    define(
        &format!("netplug.kind.{kind}"),
        Element::new("element")
            .with_attr("name", element)
            .with_child(documentation(&described))
            .with_child(body),
    )
}

/// Check a plugin's vocabulary against the rules of [`relaxng`] and rename its defines.
fn accept(info: &PluginInfo) -> Result<Accepted, String> {
    let root = xml::parse(&info.vocabulary, 0).map_err(|d| {
        format!("not well-formed XML: {} at line {}, column {}", d.message, d.span.line, d.span.col)
    })?;
    if root.name != "grammar" || root.value("xmlns") != Some(RELAXNG_NS) {
        return Err(format!("its root is not a <grammar xmlns=\"{RELAXNG_NS}\">"));
    }
    let mut local = BTreeSet::new();
    for child in &root.children {
        match child.name.as_str() {
            "define" => {
                let name = child.value("name").ok_or("a <define> without a name")?;
                local.insert(name.to_string());
            }
            // Annotations (another namespace's elements) are allowed and dropped.
            n if n.contains(':') => {}
            n => return Err(format!("<{n}> at the top: a vocabulary holds only <define>s")),
        }
    }
    for name in info.kinds.iter().chain(&info.elements) {
        if !local.contains(name) {
            return Err(format!("no <define name=\"{name}\"> for its {}", what(info, name)));
        }
    }
    check_references(&root, &local)?;

    let prefix = |name: &str| plugin_define(&info.name, name);
    // What the grammar's root said for all of its defines, which now sit in another root.
    let inherited: Vec<(String, String)> = root
        .attributes
        .iter()
        .filter(|a| a.name.starts_with("xmlns:") || a.name == "ns")
        .filter(|a| !(a.name == "xmlns:a" && a.value == ANNOTATIONS_NS))
        .map(|a| (a.name.clone(), a.value.clone()))
        .collect();
    let library = root.value("datatypeLibrary").unwrap_or("").to_string();
    let mut defines = Vec::new();
    for mut define in root.children.into_iter().filter(|c| c.name == "define") {
        rename(&mut define, &local, &prefix);
        for (name, value) in &inherited {
            if define.attr(name).is_none() {
                define.set_attr(name, value);
            }
        }
        if define.attr("datatypeLibrary").is_none() {
            define.set_attr("datatypeLibrary", &library);
        }
        defines.push(define);
    }
    Ok(Accepted { defines })
}

fn what(info: &PluginInfo, name: &str) -> String {
    if info.kinds.iter().any(|k| k == name) {
        format!("kind {name}")
    } else {
        format!("element <{name}>")
    }
}

/// Every `<ref>` names a define of the vocabulary or one of core's [`TYPES`]; nothing reaches
/// outside the one file.
fn check_references(element: &Element, local: &BTreeSet<String>) -> Result<(), String> {
    for child in &element.children {
        match child.name.as_str() {
            "ref" => {
                let name = child.value("name").ok_or("a <ref> without a name")?;
                if !local.contains(name) && !TYPES.contains(&name) {
                    return Err(format!(
                        "<ref name=\"{name}\"> names neither one of its defines nor one of core's types ({})",
                        TYPES.join(", ")
                    ));
                }
            }
            n @ ("parentRef" | "externalRef" | "include" | "grammar") => {
                return Err(format!("<{n}> is not supported: a vocabulary is one grammar of defines"));
            }
            _ => {}
        }
        check_references(child, local)?;
    }
    Ok(())
}

fn rename(element: &mut Element, local: &BTreeSet<String>, prefix: &impl Fn(&str) -> String) {
    if matches!(element.name.as_str(), "define" | "ref") {
        if let Some(name) = element.value("name").filter(|n| local.contains(*n)).map(prefix) {
            element.set_attr("name", name);
        }
    }
    for child in &mut element.children {
        rename(child, local, prefix);
    }
}

/// Within each `<element name="ELEMENT">` of `define`, replace the attributes and child
/// elements not in `allowed` by `<notAllowed/>`: an optional one disappears, a required one
/// makes the element impossible, as validation would have it. Only what the element's pattern
/// names directly is seen, not what it reaches through `<ref>`s.
fn restrict(define: &mut Element, element: &str, allowed: &[String]) {
    for child in &mut define.children {
        if child.name == "element" && child.value("name") == Some(element) {
            cut(child, allowed);
        } else {
            restrict(child, element, allowed);
        }
    }
}

fn cut(pattern: &mut Element, allowed: &[String]) {
    for child in &mut pattern.children {
        if matches!(child.name.as_str(), "attribute" | "element") {
            if child.value("name").is_some_and(|n| !allowed.iter().any(|a| a == n)) {
                *child = Element::new("notAllowed");
            }
        } else {
            cut(child, allowed);
        }
    }
}

fn plugin_define(plugin: &str, name: &str) -> String {
    let plugin: String = plugin
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    format!("plugin.{plugin}.{name}")
}

fn restricted_define(owner: &str, element: &str, kind: &str) -> String {
    format!("{}.for.{kind}", plugin_define(owner, element))
}

fn define(name: &str, pattern: Element) -> Element {
    Element::new("define").with_attr("name", name).with_child(pattern)
}

fn reference(name: &str) -> Element {
    Element::new("ref").with_attr("name", name)
}

fn documentation(text: &str) -> Element {
    Element::new("a:documentation").with_text(text)
}

fn any_name_except(names: &[&str]) -> Element {
    let except =
        names.iter().fold(Element::new("except"), |e, n| e.with_child(Element::new("name").with_text(*n)));
    Element::new("anyName").with_child(except)
}

#[cfg(test)]
mod tests;
