//! Live state back into the model: assemble the items every plugin read from the kernel into
//! native interfaces, the inverse of [`crate::items`]. This is what `netplug show --observed`
//! prints and what `check` compares against (netcf's `ncf_if_xml_state`); [`configured`] keeps
//! of it what a user configures, which is what `netplug show` prints and what `bridge` stores.

use std::collections::HashMap;

use netplug_plugin_sdk::{Element, Item, LinkState};

use crate::model::{Config, Interface, StartMode};
use crate::plan::PlanError;
use crate::registry::Registry;

/// Read every plugin's live state (for `names`, or everything) and assemble it. A link of a
/// kind without a plugin is reported by the ethernet plugin, which reads every link, and is
/// assembled as an `<interface>`; loopback is left out.
pub fn live_config(registry: &Registry, names: Option<&[String]>) -> Result<Config, PlanError> {
    let mut kind_items: Vec<Item> = Vec::new();
    let mut features: HashMap<String, Vec<Element>> = HashMap::new();
    let _pass = crate::host::ReadPass::begin();
    for r in registry.plugins() {
        let items = r.plugin.read(names).map_err(|error| PlanError { plugin: r.info.name.clone(), error })?;
        for item in items {
            // A plugin may own a kind and elements (ethernet and <ethtool>): the element name
            // tells which an item is.
            if r.info.kinds.contains(&item.kind) && !r.info.elements.contains(&item.element.name) {
                kind_items.push(item);
            } else {
                features.entry(item.interface).or_default().push(item.element);
            }
        }
    }
    // The plugin of physical devices reports any link asked for by name (a veth stands in for
    // a NIC); when the link's own kind plugin reports it too, that plugin's view wins.
    kind_items.sort_by_key(|i| (i.interface.clone(), registry.is_physical(&i.kind)));
    kind_items.dedup_by(|later, first| later.interface == first.interface);
    kind_items.sort_by_key(|i| i.envelope.as_ref().and_then(|e| e.ifindex).unwrap_or(u32::MAX));
    let interfaces = kind_items
        .into_iter()
        .map(|item| {
            let envelope = item.envelope.unwrap_or_default();
            let mut element = item.element;
            element.name = registry.element_of_kind(&item.kind).to_string();
            if let Some(children) = features.remove(&item.interface) {
                element.children.extend(children);
            }
            Interface {
                name: item.interface,
                kind: item.kind,
                start_mode: StartMode::Onboot,
                state: if envelope.state == LinkState::Absent { LinkState::Down } else { envelope.state },
                mac: envelope.mac,
                mtu: envelope.mtu,
                master: envelope.master,
                parent: envelope.parent,
                requires: Vec::new(),
                element,
                name_span: Default::default(),
            }
        })
        .collect();
    Ok(Config { interfaces })
}

/// The attribute the static plugin marks an address with that netplug did not add; its value
/// says who did (`manual`: by hand).
const FOREIGN: &str = "foreign";

/// Keep of live state only what a user configures, so that it can be applied or stored as a
/// definition without pinning facts of the device: drop the MAC address (a NIC's own, or one
/// the kernel made up or took from a port), the device settings of plugins that own a kind as
/// well as elements (`<ethtool>`: speed and duplex of virtual links, offload defaults,
/// channels), leases (`<dhcp>`'s `<lease>`), addresses netplug would not add — those of
/// the kernel or of a DHCP client — and options and the MTU at the value the kernel gives a
/// new link (`PluginInfo::kernel_defaults`: a bridge's timers, a VLAN's parent's MTU) unless
/// `defined`, the stored definitions, set them, and what the kind's plugin reports as observed
/// only (`PluginInfo::observed`: a WireGuard peer's last handshake and traffic counters). An
/// address added by hand is kept without its `foreign` mark: declaring it adopts it.
pub fn configured(config: &mut Config, registry: &Registry, defined: Option<&Config>) {
    let device_setting = |name: &str| {
        registry.for_element(name).is_some_and(|r| !r.info.kinds.is_empty() && !r.info.elements.is_empty())
    };
    // The MTUs as read, and each master's ports: a default MTU may be a parent's or the ports'.
    let mtus: HashMap<String, u32> =
        config.interfaces.iter().filter_map(|i| Some((i.name.clone(), i.mtu?))).collect();
    let mut port_mtus: HashMap<String, Vec<u32>> = HashMap::new();
    for i in &config.interfaces {
        if let (Some(master), Some(mtu)) = (&i.master, i.mtu) {
            port_mtus.entry(master.clone()).or_default().push(mtu);
        }
    }
    for i in &mut config.interfaces {
        if let Some(observed) = registry.for_kind(&i.kind).map(|r| &r.info.observed).filter(|o| !o.is_empty())
        {
            drop_observed(&mut i.element, observed);
        }
        let defaults = registry.for_kind(&i.kind).and_then(|r| r.info.kernel_defaults.get(&i.element.name));
        if let Some(defaults) = defaults {
            let definition = defined.and_then(|d| d.get(&i.name));
            let set = |attr: &str| definition.is_some_and(|d| d.element.value(attr).is_some());
            let element = i.element.clone();
            i.element
                .attributes
                .retain(|a| default_of(defaults, &element, &a.name) != Some(&a.value) || set(&a.name));
            let mtu_set = definition.is_some_and(|d| d.mtu.is_some());
            if let (Some(mtu), Some(rule), false) = (i.mtu, defaults.get("mtu"), mtu_set) {
                let parent = i.parent.as_ref().and_then(|p| mtus.get(p)).copied();
                let ports = port_mtus.get(&i.name).and_then(|m| m.iter().min()).copied();
                if default_mtu(rule, parent, ports) == Some(mtu) {
                    i.mtu = None;
                }
            }
        }
        i.mac = None;
        i.element.children.retain(|c| c.name != "hwaddr" && !device_setting(&c.name));
        for c in &mut i.element.children {
            c.children.retain(|l| l.name != "lease");
        }
        i.element.children.retain_mut(|c| match c.value(FOREIGN) {
            None => true,
            Some("manual") => {
                c.remove_attr(FOREIGN);
                true
            }
            Some(_) => false,
        });
    }
}

/// The kernel's default for `attr` of `element`: a conditional entry `ATTR if OTHER=VALUE`
/// whose condition the element meets (a bond's `miimon` in the modes that start with one),
/// else the plain `ATTR` entry.
fn default_of<'a>(
    defaults: &'a std::collections::BTreeMap<String, String>,
    element: &Element,
    attr: &str,
) -> Option<&'a String> {
    let conditional = defaults.iter().find_map(|(key, value)| {
        let (name, condition) = key.split_once(" if ")?;
        let (other, wanted) = condition.split_once('=')?;
        (name == attr && element.value(other) == Some(wanted)).then_some(value)
    });
    conditional.or_else(|| defaults.get(attr))
}

/// The MTU a new link gets by `rule` (see `PluginInfo::kernel_defaults`): alternatives
/// separated by `|`, the first that applies: a number; `parent` or `parent-N`, the parent's
/// MTU (less N) when the link has a parent; `ports`, the smallest of its ports' MTUs when it
/// has ports (a bridge follows them).
fn default_mtu(rule: &str, parent: Option<u32>, ports: Option<u32>) -> Option<u32> {
    rule.split('|').map(str::trim).find_map(|alt| {
        if alt == "ports" {
            return ports;
        }
        if let Some(rest) = alt.strip_prefix("parent") {
            let less = match rest.strip_prefix('-') {
                Some(n) => n.parse::<u32>().ok()?,
                None if rest.is_empty() => 0,
                None => return None,
            };
            return parent?.checked_sub(less);
        }
        alt.parse().ok()
    })
}

/// Leave out of `element` and the elements inside it the attributes their plugin reports as
/// observed only (`PluginInfo::observed`: a WireGuard peer's traffic counters).
fn drop_observed(element: &mut Element, observed: &std::collections::BTreeMap<String, Vec<String>>) {
    if let Some(names) = observed.get(&element.name) {
        element.attributes.retain(|a| !names.contains(&a.name));
    }
    for child in &mut element.children {
        drop_observed(child, observed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mtu_rules() {
        assert_eq!(default_mtu("1500", Some(9000), None), Some(1500));
        assert_eq!(default_mtu("parent", Some(9000), None), Some(9000));
        assert_eq!(default_mtu("parent", None, None), None);
        assert_eq!(default_mtu("parent-50|1500", Some(1500), None), Some(1450));
        assert_eq!(default_mtu("parent-50|1500", None, None), Some(1500));
        assert_eq!(default_mtu("ports|1500", None, Some(1400)), Some(1400));
        assert_eq!(default_mtu("ports|1500", None, None), Some(1500));
        assert_eq!(default_mtu("parentx", Some(1), None), None);
    }

    #[test]
    fn a_conditional_default_wins_when_its_condition_holds() {
        let defaults: std::collections::BTreeMap<String, String> =
            [("miimon", "0"), ("miimon if mode=802.3ad", "100")].map(|(k, v)| (k.into(), v.into())).into();
        let lacp = Element::new("bond").with_attr("mode", "802.3ad");
        let rr = Element::new("bond").with_attr("mode", "balance-rr");
        assert_eq!(default_of(&defaults, &lacp, "miimon").map(String::as_str), Some("100"));
        assert_eq!(default_of(&defaults, &rr, "miimon").map(String::as_str), Some("0"));
        assert_eq!(default_of(&defaults, &rr, "updelay"), None);
    }
}
