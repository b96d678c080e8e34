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
            element.name = Interface::element_name_for(&item.kind).to_string();
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

/// Keep of live state only what a user configures, so that it can be applied or stored as a
/// definition without pinning facts of the device: drop the MAC address (a NIC's own, or one
/// the kernel made up or took from a port), the device settings of plugins that own a kind as
/// well as elements (`<ethtool>`: speed and duplex of virtual links, offload defaults,
/// channels), leases (`<dhcp>`'s `<lease>`), addresses netplug would not add — those of
/// the kernel or of a DHCP client — and options at the value the kernel gives a new link
/// (`PluginInfo::kernel_defaults`: a bridge's timers) unless `defined`, the stored
/// definitions, set them. An address added by hand is kept without its `foreign` mark:
/// declaring it adopts it.
pub fn configured(config: &mut Config, registry: &Registry, defined: Option<&Config>) {
    let device_setting = |name: &str| {
        registry.for_element(name).is_some_and(|r| !r.info.kinds.is_empty() && !r.info.elements.is_empty())
    };
    for i in &mut config.interfaces {
        let defaults = registry.for_kind(&i.kind).and_then(|r| r.info.kernel_defaults.get(&i.element.name));
        if let Some(defaults) = defaults {
            let definition = defined.and_then(|d| d.get(&i.name)).map(|d| &d.element);
            i.element.attributes.retain(|a| {
                defaults.get(&a.name) != Some(&a.value)
                    || definition.is_some_and(|d| d.value(&a.name).is_some())
            });
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

/// The attribute the static plugin marks an address with that netplug did not add; its value
/// says who did (`manual`: by hand).
const FOREIGN: &str = "foreign";
