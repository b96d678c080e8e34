//! Live → desired: the changes that create, change, recreate and delete VXLANs.
//!
//! The document's options with their defaults (see [`Options::with_defaults`]) are what is
//! compared. What the kernel changes in place (endpoints within their family, device, TTL, TOS,
//! learning, ageing) is one change; a new VNI, port, FDB limit or fixed flag means deleting
//! the VXLAN and creating it again, and the plan says which option made it so. The new link
//! loses what the old one had from elsewhere: the plan puts back its options, MTU, MAC, admin
//! state and its place in the bridge the document gives it (the bridge's plugin sees the old
//! port and plans nothing). FDB entries and addresses other plugins configured go with it.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::netlink::{format_mac, parse_mac};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::options::{differences, Options};

/// The VXLAN plugin's own operations; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum VxlanOp {
    /// Create the VXLAN with its options, MTU and MAC.
    CreateVxlan {
        name: String,
        options: Options,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mac: Option<String>,
    },
    /// Change the options the kernel changes in place (only those given).
    SetVxlan { name: String, options: Options },
}

impl VxlanOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the VXLANs in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(_)) => {
                out.push(LinkOp::Delete { name: name.clone() }.change(name, Phase::Delete, "delete vxlan"))
            }
            (Some(d), None) => create(d, false, &mut out)?,
            (Some(d), Some(l)) => update(d, l, &mut out)?,
        }
    }
    Ok(out)
}

fn error(item: &Item, message: String) -> PluginError {
    PluginError::new(message).on_interface(&item.interface)
}

fn create(d: &Item, again: bool, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let env = normalized(&d.envelope_or_default());
    let given = Options::of(&d.element).map_err(|m| error(d, m))?;
    if given.id.is_none() {
        return Err(error(d, "a VXLAN needs an id to be created".into()));
    }
    // Described as the document gives it; created with the defaults it leaves implicit.
    let mut shown = Element::new("vxlan");
    given.write(&mut shown);
    let options = given.with_defaults();
    let mut what: Vec<String> = shown.attributes.iter().map(|a| format!("{} {}", a.name, a.value)).collect();
    what.extend(env.mtu.map(|m| format!("mtu {m}")));
    what.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
    let again_text = if again { " again" } else { "" };
    let op = VxlanOp::CreateVxlan { name: name.into(), options, mtu: env.mtu, mac: env.mac.clone() };
    out.push(op.change(name, Phase::Create, format!("create vxlan{again_text} ({})", what.join(", "))));
    out.extend(envelope_changes(&env, None));
    if again {
        if let Some(master) = &env.master {
            let op = LinkOp::Enslave { name: name.into(), master: master.clone() };
            out.push(op.change(name, Phase::Enslave, format!("enslave to {master} again")));
        }
    }
    Ok(())
}

fn update(d: &Item, l: &Item, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let want = Options::of(&d.element).map_err(|m| error(d, m))?.with_defaults();
    let have = Options::of(&l.element).map_err(|m| error(l, m))?;
    let diff = differences(&want, &have);
    if !diff.recreate.is_empty() {
        let why = format!("delete to change {}", diff.recreate.join(", "));
        out.push(LinkOp::Delete { name: name.into() }.change(name, Phase::Delete, why));
        return create(d, true, out);
    }
    if !diff.in_place_text.is_empty() {
        let op = VxlanOp::SetVxlan { name: name.into(), options: diff.in_place };
        out.push(op.change(name, Phase::Configure, format!("set {}", diff.in_place_text.join(", "))));
    }
    if let Some(live_env) = &l.envelope {
        out.extend(envelope_changes(&normalized(&d.envelope_or_default()), Some(live_env)));
    }
    Ok(())
}

/// The envelope with its MAC spelled as the kernel reads back (lower case), so a document
/// writing `02:AA:…` does not plan a change on every run.
fn normalized(e: &Envelope) -> Envelope {
    let mac = e.mac.as_deref().map(|m| parse_mac(m).map(|b| format_mac(&b)).unwrap_or_else(|| m.to_string()));
    Envelope { mac, ..e.clone() }
}

#[cfg(test)]
mod tests;
