//! The safe trait a plugin implements, and the values that cross it.
//!
//! A plugin owns a vocabulary: the interface *kinds* it creates (`bond`) and/or the child
//! *elements* it handles inside any interface (`<static>`, `<route>`, `<ethtool>`). Core hands it
//! [`Item`]s — one per interface for a kind plugin, one per owned element occurrence for a feature
//! plugin — and the plugin validates them, reads the kernel's live state back into the same
//! vocabulary, plans the [`Change`]s that make the kernel match, and applies them.
//!
//! Splitting "plan" from "apply" is what lets core print a plan, interleave phases of different
//! plugins in dependency order, inject failures at any step, and roll back by planning from the
//! snapshot it read before the first change.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::element::{Element, Span};

/// What a plugin says about itself. Core uses `kinds` and `elements` to route items.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Short name, e.g. `bond`; used in messages and by `cargo xtask dist --plugins`.
    pub name: String,
    /// The plugin's own version (usually its crate version).
    pub version: String,
    /// One line for `netplug plugins`.
    #[serde(default)]
    pub description: String,
    /// Interface kinds this plugin creates: top-level elements (`<bond>`) and libvirt `type=`.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Child element names this plugin owns inside any interface (`static`, `route`, `ethtool`).
    #[serde(default)]
    pub elements: Vec<String>,
    /// The phase this plugin's elements apply in (`Address` for `<static>`, `Route` for
    /// `<route>`, `Dynamic` for `<dhcp>`, `Configure` for `<ethtool>`), so core can order
    /// features before it has read the kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Device settings another plugin owns (`ethtool`) that this plugin's kinds take only in
    /// part: element name → the attributes and child elements their devices accept (empty:
    /// none). An element not listed is accepted whole. Core refuses the rest in validation, at
    /// its place, so that nothing is planned that the kernel cannot keep (a bridge's offloads
    /// follow its ports; a bridge has no speed).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub device_settings: std::collections::BTreeMap<String, Vec<String>>,
    /// ABI 1.1: this plugin's vocabulary as a RelaxNG grammar (XML syntax), from which
    /// `netplug schema` assembles the native dialect's schema: a `<define>` named after each
    /// of `kinds` (the kind's own attributes and children; core adds the envelope and the
    /// feature elements) and after each of `elements` (the element with its cardinality,
    /// such as `<optional><element name="dhcp">…`). Empty: the plugin's kinds and elements
    /// take any content. `docs/plugin-guide.md` has the conventions; plugins keep it in a
    /// `schema.rng` file and `include_str!` it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vocabulary: String,
    /// ABI 1.1. This plugin's kinds are physical devices: never created or deleted, only
    /// configured, and its `read` reports any existing link asked for by name, whatever made
    /// it (core asks it whether a device the documents only refer to exists). Absent (`false`,
    /// as from a 1.0 plugin): its kinds are virtual links it creates and deletes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub physical: bool,
    /// ABI 1.1. The values the kernel gives a new link of this plugin's kinds for what no one
    /// set: kind element → attribute → the value as `read` writes it (`bridge` → `hellotime`
    /// → `2`). `show` and `dumpxml` leave out an attribute read with exactly that value unless
    /// a definition sets it, so that they print what was configured, not the kernel's
    /// defaults. A key `ATTR if OTHER=VALUE` is the default of `ATTR` in an element whose
    /// `OTHER` reads `VALUE` (a bond's `miimon` in the modes that start with one), ahead of
    /// the plain `ATTR`. The key `mtu` is the envelope's MTU, its value alternatives separated
    /// by `|` of which the first that applies counts: a number, `parent` or `parent-N` (the
    /// parent's MTU, less N, for a link with a parent), `ports` (the smallest of its ports'
    /// MTUs, for a master with ports). Absent (as from a 1.0 plugin): everything read is
    /// printed.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub kernel_defaults: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// ABI 1.1. Attributes `read` reports that are facts of the device rather than settings:
    /// element name (the kind's element or one inside it) → attribute names (`peer` →
    /// `latest-handshake`, `rx-bytes`, `tx-bytes`). `show` and `dumpxml` print them only with
    /// `--observed`; `plan` ignores them. Absent (as from a 1.0 plugin): everything read is a
    /// setting.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub observed: std::collections::BTreeMap<String, Vec<String>>,
    /// ABI 1.1. The kinds this plugin translates in the libvirt dialect, as their `type=`
    /// (the same word as the kind): core asks it for their subtree both ways
    /// ([`Plugin::libvirt_to_native`], [`Plugin::libvirt_from_native`]). Absent (as from a 1.0
    /// plugin): its kinds have no libvirt form, and a libvirt document naming one is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libvirt: Vec<String>,
}

/// The common envelope of an interface, owned and validated by core. Kind plugins use it to
/// create the link (name, MTU, MAC) and to set its admin state and master.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Envelope {
    pub name: String,
    pub kind: String,
    /// `onboot`, `manual`, `hotplug`, `ifplug` or `nfsroot`.
    #[serde(default)]
    pub start_mode: String,
    #[serde(default)]
    pub state: LinkState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// The master (bridge or bond) this interface is enslaved to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// The lower device this interface is stacked on (a VLAN's parent), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The kernel's interface index, filled in live state only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ifindex: Option<u32>,
}

/// The state an interface should be in (desired) or is in (live).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    #[default]
    Up,
    Down,
    Absent,
}

impl std::fmt::Display for LinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LinkState::Up => "up",
            LinkState::Down => "down",
            LinkState::Absent => "absent",
        })
    }
}

/// One piece of configuration or live state handed to or returned by a plugin.
///
/// For a kind plugin: one item per interface, `element` is the top-level element with the
/// envelope's attributes and the children owned by other plugins removed. For a feature
/// plugin: one item per owned element (each `<static>` is its own item).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub interface: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
    pub element: Element,
}

impl Item {
    /// Whether the document marks this interface `state="absent"`: it is to be removed.
    pub fn is_absent(&self) -> bool {
        self.envelope.as_ref().is_some_and(|e| e.state == LinkState::Absent)
    }

    /// The envelope, or for an item that carries none, one that only names the interface.
    pub fn envelope_or_default(&self) -> Envelope {
        self.envelope.clone().unwrap_or_else(|| Envelope {
            name: self.interface.clone(),
            kind: self.kind.clone(),
            ..Envelope::default()
        })
    }
}

/// Items grouped by interface, each group in item order: built once, so a plan is linear in
/// the number of interfaces and items rather than scanning every item for every interface.
pub fn items_by_interface<'a>(items: impl IntoIterator<Item = &'a Item>) -> HashMap<&'a str, Vec<&'a Item>> {
    let mut out: HashMap<&str, Vec<&Item>> = HashMap::new();
    for item in items {
        out.entry(item.interface.as_str()).or_default().push(item);
    }
    out
}

/// How one interface depends on another, as a plugin's vocabulary says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// `from` is a port of the master `to` (a bridge member, a bond slave).
    Member,
    /// `from` is stacked on the lower device `to` (a VLAN on its parent).
    Parent,
    /// `from` merely needs `to` to exist first.
    Requires,
}

/// A dependency edge a plugin found while validating: `from` needs `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub from: String,
    pub to: String,
    pub relation: Relation,
    /// Where the reference was written (the `device=` value of a `<slave>`).
    #[serde(default)]
    pub span: Span,
}

/// An IP subnet configured on an interface, reported by address plugins so core can warn
/// about gateways that no configured subnet reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub interface: String,
    /// `192.168.0.0/24` or `2001:db8::/64`; `None` when learned at run time (DHCP, SLAAC), which
    /// makes every gateway on that interface plausible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A gateway (next hop) an item uses, reported so core can check a subnet reaches it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nexthop {
    pub interface: String,
    pub address: String,
    #[serde(default)]
    pub span: Span,
}

/// What `validate` returns: every problem found, the dependencies the items declare, and the
/// layer-3 facts core needs for checks that span plugins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub diagnostics: Vec<Diagnostic>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    #[serde(default)]
    pub nexthops: Vec<Nexthop>,
}

/// The phases of an apply, in the order core runs them. Teardown phases come first and run in
/// reverse dependency order; the rest run in dependency order. Core groups all interfaces'
/// changes of one phase together where the dependency graph allows, which is what makes large
/// applies fast (all links created, then all enslaved, then all set up).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Stop DHCP clients and the like.
    StopDynamic,
    RemoveRoute,
    RemoveAddress,
    /// Set links down that must be down for what follows (or stay down).
    Down,
    /// Release ports from their master.
    Release,
    Delete,
    Create,
    /// Link attributes: MTU, MAC, kind options, ethtool.
    Configure,
    Enslave,
    Up,
    Address,
    Route,
    /// DHCP and other dynamic configuration.
    Dynamic,
}

impl Phase {
    /// Teardown phases run in reverse dependency order.
    pub fn is_teardown(self) -> bool {
        self <= Phase::Delete
    }
}

/// One change a plugin plans and later applies. The payload is the plugin's own typed
/// operation, which [`Change::new`] encodes and [`Change::op`] decodes; core never looks inside.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Change {
    pub interface: String,
    pub phase: Phase,
    /// Human-readable, e.g. `set mtu 9000 (was 1500)`.
    pub description: String,
    /// The operation, as [`Change::new`] encoded it.
    #[serde(default)]
    pub payload: Payload,
}

impl Change {
    /// A change to `interface` in `phase` that carries `op`, the plugin's own operation.
    pub fn new(interface: &str, phase: Phase, description: impl Into<String>, op: &impl Serialize) -> Change {
        // Human-readable, as `serde` means it: an internally tagged enum (`#[serde(tag = ..)]`)
        // reads its content back through `serde`'s buffer, which asks for the readable form of
        // an `IpAddr` and the like, so the encoding must write that form too.
        let mut bytes = Vec::new();
        let mut encoder = rmp_serde::Serializer::new(&mut bytes).with_struct_map().with_human_readable();
        // The plugin's own plain data types: encoding them cannot fail.
        op.serialize(&mut encoder).expect("a change's operation encodes");
        Change {
            interface: interface.to_string(),
            phase,
            description: description.into(),
            payload: Payload(Encoded::MessagePack(bytes)),
        }
    }

    /// The operation [`Change::new`] was given, or an error on this change's interface when
    /// the payload is not a `T`. `T` may borrow from the change (`&str`).
    pub fn op<'a, T: Deserialize<'a>>(&'a self) -> Result<T, PluginError> {
        let decoded = match &self.payload.0 {
            Encoded::MessagePack(bytes) => {
                T::deserialize(&mut rmp_serde::Deserializer::from_read_ref(bytes).with_human_readable())
                    .map_err(|e| e.to_string())
            }
            Encoded::Json(_) => Err("JSON text, which only a plugin built for ABI 1.0 sends".to_string()),
        };
        decoded
            .map_err(|e| PluginError::new(format!("bad change payload: {e}")).on_interface(&self.interface))
    }
}

/// A [`Change`]'s operation, encoded by the plugin that planned it: MessagePack, nested in
/// the call's MessagePack message as one binary value, which the host passes back to the
/// plugin untouched. A plugin built for ABI 1.0 sent JSON text instead; that stays text
/// both ways, so its `apply` gets back exactly what its `plan` sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Payload(Encoded);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Encoded {
    MessagePack(Vec<u8>),
    Json(String),
}

impl Default for Encoded {
    fn default() -> Self {
        Encoded::MessagePack(Vec::new())
    }
}

impl Payload {
    /// The encoded operation (what tests may search for a secret that must not be there).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Encoded::MessagePack(bytes) => bytes,
            Encoded::Json(text) => text.as_bytes(),
        }
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Encoded::MessagePack(bytes) => serializer.serialize_bytes(bytes),
            Encoded::Json(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Payload;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an encoded operation (bytes, or an ABI 1.0 plugin's JSON text)")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Payload, E> {
                Ok(Payload(Encoded::MessagePack(v.to_vec())))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Payload, E> {
                Ok(Payload(Encoded::MessagePack(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Payload, E> {
                Ok(Payload(Encoded::Json(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Payload, E> {
                Ok(Payload(Encoded::Json(v)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// An error from a plugin, carrying what the kernel said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", self.render())]
pub struct PluginError {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The errno the kernel returned, when the error came from the kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno: Option<i32>,
    /// The kernel's extended-ack text, e.g. "mtu less than device minimum".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_ack: Option<String>,
}

impl PluginError {
    pub fn new(message: impl Into<String>) -> Self {
        PluginError { message: message.into(), interface: None, errno: None, ext_ack: None }
    }

    pub fn on_interface(mut self, name: impl Into<String>) -> Self {
        self.interface = Some(name.into());
        self
    }

    /// `eth0: set mtu 100: Invalid argument (mtu less than device minimum)`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Some(i) = &self.interface {
            s.push_str(i);
            s.push_str(": ");
        }
        s.push_str(&self.message);
        if let Some(e) = self.errno {
            s.push_str(": ");
            s.push_str(
                &std::io::Error::from_raw_os_error(e).to_string().replace(&format!(" (os error {e})"), ""),
            );
        }
        if let Some(a) = &self.ext_ack {
            s.push_str(" (");
            s.push_str(a);
            s.push(')');
        }
        s
    }
}

/// What [`Plugin::read_plan`] answers: the changes, and the live state they were planned from
/// when it was asked for and there are changes (empty otherwise).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivePlan {
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub live: Vec<Item>,
}

impl LivePlan {
    /// What [`Plugin::read_plan`] does unless a plugin does it faster: `read`, then `plan`.
    pub fn read_then_plan<P: Plugin + ?Sized>(
        plugin: &P,
        desired: &[Item],
        scope: &[String],
        keep_live: bool,
    ) -> Result<LivePlan, PluginError> {
        let mut live = plugin.read(Some(scope))?;
        LivePlan::keep_declared(&plugin.info(), desired, &mut live);
        let changes = plugin.plan(desired, &live, scope)?;
        let live = if keep_live && !changes.is_empty() { live } else { Vec::new() };
        Ok(LivePlan { changes, live })
    }

    /// Of a plugin with kinds and elements (ethernet and `<ethtool>`), the live items
    /// `desired` manages: its elements only on interfaces whose desired items declare them
    /// (device settings a document leaves alone where it does not declare them, so a plan
    /// must not undo them nor a rollback "restore" them), its kind items only on interfaces
    /// desired as its kind (another kind's link asked about for its settings is that kind
    /// plugin's). Items of interfaces `desired` does not mention stay. Other plugins' live
    /// items are all theirs to plan, so they are left as they are.
    pub fn keep_declared(info: &PluginInfo, desired: &[Item], live: &mut Vec<Item>) {
        if info.kinds.is_empty() || info.elements.is_empty() {
            return;
        }
        // interface -> (desired as a kind, the elements it declares)
        let mut wanted: HashMap<&str, (bool, Vec<&str>)> = HashMap::new();
        for item in desired {
            let entry = wanted.entry(item.interface.as_str()).or_default();
            if info.elements.contains(&item.element.name) {
                entry.1.push(item.element.name.as_str());
            } else {
                entry.0 = true;
            }
        }
        live.retain(|item| match wanted.get(item.interface.as_str()) {
            None => true,
            Some((_, elements)) if info.elements.contains(&item.element.name) => {
                elements.contains(&item.element.name.as_str())
            }
            Some((kind, _)) => *kind,
        });
    }
}

/// The error `apply` returns: which change failed (its index in the slice given), and why.
/// Changes before `index` were applied; core rolls them back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("change {index}: {error}")]
pub struct ApplyError {
    pub index: usize,
    pub error: PluginError,
}

/// The trait a plugin implements. Every method but `info` has a default so a plugin implements
/// only what its vocabulary needs; defaults do nothing and report nothing.
///
/// Calls are made from one thread at a time, inside the network namespace core chose
/// (`--netns`), so a plugin opens its netlink sockets on first use and may keep them.
pub trait Plugin: Send + Sync + 'static {
    /// Name, version, kinds and elements.
    fn info(&self) -> PluginInfo;

    /// Check items of this plugin's vocabulary; report every problem with its span and the
    /// dependencies the items declare. Never touches the kernel.
    fn validate(&self, items: &[Item]) -> Validation {
        let _ = items;
        Validation::default()
    }

    /// Read live state in this plugin's vocabulary: for `names == None` every interface the
    /// plugin knows about, with one kernel dump, not one request per interface.
    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        let _ = names;
        Ok(Vec::new())
    }

    /// The minimum changes that turn `live` into `desired` for the interfaces in `scope`
    /// (nothing when they already match). An interface in scope with no desired item, or one
    /// whose envelope says `absent`, is to be removed along with what netplug configured on it.
    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        let _ = (desired, live, scope);
        Ok(Vec::new())
    }

    /// Read the kernel for `scope` and plan `desired` against it, in one call (ABI 1.1). Core
    /// asks this instead of `read` and then `plan` (each plugin built for ABI 1.1 or later
    /// answers it), so the live items do not cross the plugin boundary twice: a no-change run
    /// of 50,000 routes is then one dump and a diff inside the plugin. The live items come
    /// back only when `keep_live` is set and there are changes: they are the state a rollback
    /// returns to. The default is exactly `read` then `plan`; override it only to do the same
    /// faster.
    fn read_plan(
        &self,
        desired: &[Item],
        scope: &[String],
        keep_live: bool,
    ) -> Result<LivePlan, PluginError> {
        LivePlan::read_then_plan(self, desired, scope, keep_live)
    }

    /// Apply changes previously returned by `plan`, in order; stop at the first failure.
    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        let _ = changes;
        Ok(())
    }

    /// Plan the removal of an interface and of what this plugin configured on it.
    fn remove(&self, interface: &str, live: &[Item]) -> Result<Vec<Change>, PluginError> {
        self.plan(&[], live, &[interface.to_string()])
    }

    /// ABI 1.1. Read the subtree of one `<interface type=KIND>` of a libvirt document, KIND
    /// being one of [`PluginInfo::libvirt`], into the native element's attributes and children
    /// (see [`crate::libvirt`]). The default reads nothing: a kind without a subtree.
    fn libvirt_to_native(
        &self,
        request: &crate::libvirt::ToNative,
    ) -> Result<crate::libvirt::Native, PluginError> {
        let _ = request;
        Ok(crate::libvirt::Native::default())
    }

    /// ABI 1.1. Write an interface of one of [`PluginInfo::libvirt`]'s kinds: its libvirt
    /// subtree and the ports to nest in it, and what libvirt cannot carry. The default writes
    /// no subtree.
    fn libvirt_from_native(
        &self,
        request: &crate::libvirt::FromNative,
    ) -> Result<crate::libvirt::Libvirt, PluginError> {
        let _ = request;
        Ok(crate::libvirt::Libvirt::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plugin whose live state is one item per name asked about, and whose plan is one
    /// change per desired item not live.
    struct OneEach;

    impl Plugin for OneEach {
        fn info(&self) -> PluginInfo {
            PluginInfo { name: "one".into(), ..Default::default() }
        }

        fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
            let item = |n: &String| Item {
                interface: n.clone(),
                kind: "x".into(),
                envelope: None,
                element: crate::Element::new("x"),
            };
            Ok(names.unwrap_or_default().iter().map(item).collect())
        }

        fn plan(&self, desired: &[Item], live: &[Item], _: &[String]) -> Result<Vec<Change>, PluginError> {
            let missing = desired.iter().filter(|d| !live.iter().any(|l| l.interface == d.interface));
            Ok(missing
                .map(|d| Change {
                    interface: d.interface.clone(),
                    phase: Phase::Create,
                    description: "create".into(),
                    payload: Payload::default(),
                })
                .collect())
        }
    }

    #[test]
    fn read_plan_sends_live_state_back_only_when_asked_and_needed() {
        let scope = vec!["a".to_string()];
        let desired = OneEach.read(Some(&["b".to_string()])).unwrap();
        let none = OneEach.read_plan(&[], &scope, true).unwrap();
        assert!(none.changes.is_empty() && none.live.is_empty(), "{none:?}");
        let kept = OneEach.read_plan(&desired, &scope, true).unwrap();
        assert_eq!((kept.changes.len(), kept.live.len()), (1, 1));
        let dropped = OneEach.read_plan(&desired, &scope, false).unwrap();
        assert_eq!((dropped.changes.len(), dropped.live.len()), (1, 0));
    }

    #[test]
    fn an_operation_crosses_as_messagepack_and_a_10_payload_as_the_text_it_was() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Op {
            name: String,
            mtu: u32,
        }
        let op = Op { name: "br0".into(), mtu: 9000 };
        let change = Change::new("br0", Phase::Configure, "set mtu", &op);
        let back: Change = rmp_serde::from_slice(&rmp_serde::to_vec_named(&change).unwrap()).unwrap();
        assert_eq!(back.op::<Op>().unwrap(), op);
        // What the static plugin sends: serde buffers a tagged enum's content.
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        #[serde(tag = "op")]
        enum Tagged {
            Add { address: std::net::IpAddr },
        }
        let add = Tagged::Add { address: "192.0.2.1".parse().unwrap() };
        assert_eq!(Change::new("eth0", Phase::Address, "", &add).op::<Tagged>().unwrap(), add);
        let text = Change::new("r", Phase::Route, "", &"add 10.0.0.0/8");
        assert_eq!(text.op::<&str>().unwrap(), "add 10.0.0.0/8", "borrowed from the payload");
        assert!(text.op::<Op>().unwrap_err().message.starts_with("bad change payload"));

        // What an ABI 1.0 plugin sends: the payload as a string, which goes back as one.
        #[derive(Serialize, Deserialize)]
        struct Change10 {
            interface: String,
            phase: Phase,
            description: String,
            payload: String,
        }
        let old = Change10 {
            interface: "x0".into(),
            phase: Phase::Create,
            description: String::new(),
            payload: r#"{"op":"create"}"#.into(),
        };
        let host: Change = rmp_serde::from_slice(&rmp_serde::to_vec_named(&old).unwrap()).unwrap();
        let again: Change10 = rmp_serde::from_slice(&rmp_serde::to_vec_named(&host).unwrap()).unwrap();
        assert_eq!(again.payload, old.payload);
    }
}
