//! Live → desired: the changes that create, change, recreate and delete VXLANs.
//!
//! The document's options with their defaults (see [`Options::with_defaults`]) are what is
//! compared. What the kernel changes in place (endpoints within their family, device, TTL, TOS,
//! learning, ageing) is one change; a new VNI, port, FDB limit or fixed flag means deleting
//! the VXLAN and creating it again, and the plan says which option made it so. The new link
//! loses what the old one had from elsewhere: the plan puts back its options, MTU, MAC, admin
//! state and its place in the bridge the document gives it (the bridge's plugin sees the old
//! port and plans nothing). FDB entries and addresses other plugins configured go with it.

use netplug_plugin_sdk::netlink::{plan_links, LinkPlan};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, PluginError};
use serde::{Deserialize, Serialize};

use crate::options::{differences, Options};

/// The VXLAN plugin's own operations; everything else is one of the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
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

/// The changes that turn `live` into `desired` for the VXLANs in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    plan_links(&Vxlans, desired, live, scope)
}

struct Vxlans;

fn error(item: &Item, message: String) -> PluginError {
    PluginError::new(message).on_interface(&item.interface)
}

impl LinkPlan for Vxlans {
    type Op = VxlanOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<(VxlanOp, Vec<String>), PluginError> {
        let given = Options::of(&d.element).map_err(|m| error(d, m))?;
        if given.id.is_none() && given.flag("external") != Some(true) {
            return Err(error(d, "a VXLAN needs an id to be created (or external=\"yes\")".into()));
        }
        // Described as the document gives it; created with the defaults it leaves implicit.
        let mut shown = Element::new("vxlan");
        given.write(&mut shown);
        let words = shown.attributes.iter().map(|a| format!("{} {}", a.name, a.value)).collect();
        let options = given.with_defaults();
        Ok((
            VxlanOp::CreateVxlan { name: d.interface.clone(), options, mtu: env.mtu, mac: env.mac.clone() },
            words,
        ))
    }

    fn recreate_for(&self, d: &Item, l: &Item) -> Result<Vec<String>, PluginError> {
        Ok(compare(d, l)?.recreate)
    }

    fn reconfigure(&self, d: &Item, l: &Item) -> Result<Option<(VxlanOp, Vec<String>)>, PluginError> {
        let diff = compare(d, l)?;
        let op = VxlanOp::SetVxlan { name: d.interface.clone(), options: diff.in_place };
        Ok((!diff.in_place_text.is_empty()).then_some((op, diff.in_place_text)))
    }
}

/// The document's options with their defaults against the live ones.
fn compare(d: &Item, l: &Item) -> Result<crate::options::Differences, PluginError> {
    let want = Options::of(&d.element).map_err(|m| error(d, m))?.with_defaults();
    let have = Options::of(&l.element).map_err(|m| error(l, m))?;
    Ok(differences(&want, &have))
}

#[cfg(test)]
mod tests;
