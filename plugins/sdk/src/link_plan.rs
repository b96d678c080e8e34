//! The plan every link kind makes the same way: create what the documents add, change in place
//! what the kernel changes in place, delete and create again (saying why) what it cannot, and
//! delete what they remove. A kind says only what is its own through [`LinkPlan`]; the
//! envelope (MTU, MAC, admin state), the wording of the plan and the re-enslaving of a link made
//! again are [`plan_links`]'s. [`MemberPorts`] plans the ports of a master that lists them as
//! `<member device=…>` (a bridge's, a VRF's).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::link::{envelope_changes, KindOp, LinkOp};
use crate::plugin::{Change, Envelope, Item, LinkState, Phase, PluginError};
use crate::Element;

/// An operation and the words that describe it in the plan.
pub type Worded<Op> = (Op, Vec<String>);

/// One kind's part in [`plan_links`]. Words are the plan's phrases (`device eth0`, `table 10`,
/// `mode vepa (was bridge)`); `plan_links` joins them and adds MTU and MAC.
pub trait LinkPlan {
    /// The plugin's own operation, sent as [`KindOp::Kind`].
    type Op: Serialize;

    /// The operation that creates `desired` with `envelope` (from [`LinkPlan::envelope`]) and
    /// the words that describe it; an error when the item lacks what creating it needs.
    fn create(&self, desired: &Item, envelope: &Envelope) -> Result<Worded<Self::Op>, PluginError>;

    /// Why `live` cannot become `desired` in place, one phrase per reason (`table 11 (was 10)`);
    /// empty when it can. Any reason deletes the link and creates it again.
    fn recreate_for(&self, _desired: &Item, _live: &Item) -> Result<Vec<String>, PluginError> {
        Ok(Vec::new())
    }

    /// The in-place change of the kind's own settings and its words, `None` when they match.
    fn reconfigure(&self, _desired: &Item, _live: &Item) -> Result<Option<Worded<Self::Op>>, PluginError> {
        Ok(None)
    }

    /// Changes that follow the envelope's, on a create (`live` is `None`) and on an update:
    /// a master's ports.
    fn then(&self, _desired: &Item, _live: Option<&Item>, _out: &mut Vec<Change>) -> Result<(), PluginError> {
        Ok(())
    }

    /// Whether [`LinkPlan::create`]'s operation brings the link up itself when the envelope
    /// says up (`IFF_UP` in the create request, [`LinkMessage::up`](crate::netlink::LinkMessage::up)):
    /// then no `set up` follows the create, one request less per link. Not for a link whose
    /// kernel refuses to open it before something else exists (a veth's peer).
    fn creates_up(&self) -> bool {
        false
    }

    /// The envelope `desired` asks for: by default the document's with its MAC spelled as the
    /// kernel reads it back ([`kernel_mac`]), so `02:AA:…` does not plan a change on every run.
    fn envelope(&self, desired: &Item) -> Envelope {
        kernel_mac(&desired.envelope_or_default())
    }
}

/// The changes that turn `live` into `desired` for the links of one kind in `scope` (core's
/// list of the interfaces this plugin plans; one in scope without a desired item, or absent,
/// is deleted). Per interface, in scope order:
///
/// * desired, not live: `create KIND (words)`, the envelope's admin state (in the create itself
///   where [`LinkPlan::creates_up`]), then [`LinkPlan::then`];
/// * desired and live, [`LinkPlan::recreate_for`] gives reasons: `delete KIND to change …`, then
///   `create KIND again (…)` as above, and `enslave to MASTER again` when the envelope has a
///   master (the master's plugin sees the old port and plans nothing);
/// * desired and live otherwise: `set …` ([`LinkPlan::reconfigure`]), the envelope's
///   differences, then [`LinkPlan::then`];
/// * live, not desired: `delete KIND`.
///
/// KIND is the item's kind, so a plugin of two kinds (macvlan, macvtap) is worded right.
pub fn plan_links<P: LinkPlan>(
    kind: &P,
    desired: &[Item],
    live: &[Item],
    scope: &[String],
) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(l)) => out.push(delete(l, "")),
            (Some(d), None) => create(kind, d, false, &mut out)?,
            (Some(d), Some(l)) => {
                let reasons = kind.recreate_for(d, l)?;
                if !reasons.is_empty() {
                    out.push(delete(l, &format!(" to change {}", reasons.join(", "))));
                    create(kind, d, true, &mut out)?;
                    continue;
                }
                if let Some((op, words)) = kind.reconfigure(d, l)? {
                    out.push(KindOp::Kind(op).change(
                        name,
                        Phase::Configure,
                        format!("set {}", words.join(", ")),
                    ));
                }
                if let Some(live_env) = &l.envelope {
                    out.extend(envelope_changes(&kind.envelope(d), Some(live_env)));
                }
                kind.then(d, Some(l), &mut out)?;
            }
        }
    }
    Ok(out)
}

fn delete(live: &Item, why: &str) -> Change {
    let name = live.interface.as_str();
    LinkOp::Delete { name: name.to_string() }.change(
        name,
        Phase::Delete,
        format!("delete {}{why}", live.kind),
    )
}

fn create<P: LinkPlan>(kind: &P, d: &Item, again: bool, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let env = kind.envelope(d);
    let (op, mut words) = kind.create(d, &env)?;
    words.extend(env.mtu.map(|m| format!("mtu {m}")));
    words.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
    let up_in_create = kind.creates_up() && env.state == LinkState::Up;
    if up_in_create {
        words.push("up".to_string());
    }
    let again_text = if again { " again" } else { "" };
    let what = if words.is_empty() { String::new() } else { format!(" ({})", words.join(", ")) };
    out.push(KindOp::Kind(op).change(name, Phase::Create, format!("create {}{again_text}{what}", d.kind)));
    if !up_in_create {
        out.extend(envelope_changes(&env, None));
    }
    if again {
        if let Some(master) = &env.master {
            out.push(enslave_again(name, master));
        }
    }
    kind.then(d, None, out)
}

/// `enslave to MASTER again`: a link made again is in no master, and the master's plugin sees
/// the old port and plans nothing, so the plugin that made it puts it back.
pub fn enslave_again(name: &str, master: &str) -> Change {
    let op = LinkOp::Enslave { name: name.to_string(), master: master.to_string() };
    op.change(name, Phase::Enslave, format!("enslave to {master} again"))
}

/// The envelope with its MAC spelled as the kernel reads it back (`02:aa:…`, lower case); a MAC
/// that does not parse is left for the kernel to refuse.
pub fn kernel_mac(envelope: &Envelope) -> Envelope {
    let mac = envelope.mac.as_deref().map(|m| {
        netplug_netlink::parse_mac(m)
            .map(|b| netplug_netlink::format_mac(&b))
            .unwrap_or_else(|| m.to_string())
    });
    Envelope { mac, ..envelope.clone() }
}

/// The ports of masters that list them as `<member device=…>` (bridge, VRF): a member missing
/// from the kernel is enslaved (document order), a port the document does not list — one
/// added by hand, too — is released (kernel order), unless another master in scope lists it:
/// moving there enslaves it, and the kernel detaches it from the old master itself
/// (`do_set_master`); a release would only add a moment without a master.
pub struct MemberPorts<'a> {
    claimed: HashSet<&'a str>,
}

impl<'a> MemberPorts<'a> {
    /// The ports the desired masters in `scope` list.
    pub fn new(desired: &'a [Item], scope: &[String]) -> MemberPorts<'a> {
        let in_scope: HashSet<&str> = scope.iter().map(String::as_str).collect();
        let claimed = desired
            .iter()
            .filter(|i| !i.is_absent() && in_scope.contains(i.interface.as_str()))
            .flat_map(|i| members(&i.element))
            .collect();
        MemberPorts { claimed }
    }

    /// The enslaves and releases that give `master` the ports `desired` lists; `live` is `None`
    /// for a master being created.
    pub fn changes(&self, master: &str, desired: &Element, live: Option<&Element>) -> Vec<Change> {
        let present: HashSet<&str> = live.map(|l| members(l).collect()).unwrap_or_default();
        let wanted: HashSet<&str> = members(desired).collect();
        let mut seen = HashSet::new();
        let mut out: Vec<Change> = members(desired)
            .filter(|p| !present.contains(p) && seen.insert(*p))
            .map(|port| {
                let op = LinkOp::Enslave { name: port.to_string(), master: master.to_string() };
                op.change(master, Phase::Enslave, format!("enslave {port}"))
            })
            .collect();
        for port in live.into_iter().flat_map(members) {
            if !wanted.contains(port) && !self.claimed.contains(port) {
                let op = LinkOp::Release { name: port.to_string() };
                out.push(op.change(master, Phase::Release, format!("release {port}")));
            }
        }
        out
    }
}

/// The ports an element lists as `<member device=…>`.
pub fn members(element: &Element) -> impl Iterator<Item = &str> {
    element.children_named("member").filter_map(|m| m.value("device")).map(str::trim)
}

#[cfg(test)]
mod tests;
