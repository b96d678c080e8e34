//! Planning `<ethtool>`: only what differs from the device, checked against what the driver
//! reports (fixed features, unknown names, ring and channel maxima) so that a setting the
//! driver cannot take is a plan error naming the interface and the setting.

use netplug_plugin_sdk::{Change, Element, Phase, PluginError};

use super::{Device, Kernel};
use crate::apply::EthOp;
use crate::ethtool::{channel_fields, duplex_name, on_off, ring_fields, Settings};

/// A count attribute: (name, value, driver maximum).
type Field = (&'static str, Option<u32>, Option<u32>);
/// A count to set: (name, value, live value).
type CountChange = (&'static str, u32, Option<u32>);

/// Where the live settings come from, and the device to ask the kernel about.
struct Live {
    settings: Settings,
    query: String,
}

/// The changes that make `name`'s device match the desired `<ethtool>` element.
pub(super) fn plan_ethtool(
    name: &str,
    desired: &Element,
    device: Device<'_>,
    kernel: &mut dyn Kernel,
) -> Result<Vec<Change>, PluginError> {
    let want = Settings::from_element(desired);
    let live = match device {
        Device::Named(Some(item)) => {
            Some(Live { settings: Settings::from_element(&item.element), query: name.into() })
        }
        Device::Named(None) => Some(Live { settings: kernel.device(name)?.settings(), query: name.into() }),
        Device::Renamed(old) => Some(Live { settings: kernel.device(&old)?.settings(), query: old }),
        // Created in this run by another plugin: everything desired, checked by the kernel.
        Device::Missing => None,
        Device::Skip => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    out.extend(features(name, &want, live.as_ref(), kernel)?);
    out.extend(link_modes(name, &want, live.as_ref(), kernel)?);
    // Maxima are asked for only when a count changes (`counts` calls these at most once).
    let query = live.as_ref().map(|l| l.query.as_str());
    if let Some(r) = &want.ring {
        let have = live.as_ref().map(|l| l.settings.ring.as_ref().map(ring_fields));
        let max = |k: &mut dyn Kernel| match query {
            Some(q) => Ok(k.device(q)?.rings.as_ref().map(ring_fields)),
            None => Ok(None),
        };
        let set = counts(name, "ring", ring_fields(r), have, max, kernel)?;
        if !set.is_empty() {
            let get = |n: &str| set.iter().find(|(f, _, _)| *f == n).map(|(_, v, _)| *v);
            let op = EthOp::Rings {
                name: name.into(),
                rx: get("rx"),
                tx: get("tx"),
                rx_mini: get("rx-mini"),
                rx_jumbo: get("rx-jumbo"),
            };
            out.push(op.change(name, Phase::Configure, format!("set ring {}", describe(&set))));
        }
    }
    if let Some(c) = &want.channels {
        let have = live.as_ref().map(|l| l.settings.channels.as_ref().map(channel_fields));
        let max = |k: &mut dyn Kernel| match query {
            Some(q) => Ok(k.device(q)?.channels.as_ref().map(channel_fields)),
            None => Ok(None),
        };
        let set = counts(name, "channels", channel_fields(c), have, max, kernel)?;
        if !set.is_empty() {
            let get = |n: &str| set.iter().find(|(f, _, _)| *f == n).map(|(_, v, _)| *v);
            let op = EthOp::Channels {
                name: name.into(),
                rx: get("rx"),
                tx: get("tx"),
                other: get("other"),
                combined: get("combined"),
            };
            out.push(op.change(name, Phase::Configure, format!("set channels {}", describe(&set))));
        }
    }
    Ok(out)
}

/// `rx 512 (was 256), tx 512`.
fn describe(set: &[CountChange]) -> String {
    let parts: Vec<String> = set
        .iter()
        .map(|(f, v, was)| format!("{f} {v}{}", was.map(|w| format!(" (was {w})")).unwrap_or_default()))
        .collect();
    parts.join(", ")
}

/// The features to set, in one change.
fn features(
    name: &str,
    want: &Settings,
    live: Option<&Live>,
    kernel: &mut dyn Kernel,
) -> Result<Option<Change>, PluginError> {
    let mut set: Vec<(String, bool)> = Vec::new();
    let mut what = Vec::new();
    for (feature, on) in &want.features {
        if set.iter().any(|(f, _)| f == feature) {
            continue; // written twice, once by an alias: the first wins, as in validation
        }
        let was = match live {
            None => None,
            Some(live) => match live.settings.feature(feature) {
                Some(state) => Some(state),
                // Not among the changeable features: fixed, or not a feature at all.
                None => match kernel.device(&live.query)?.feature(feature) {
                    None => {
                        return Err(PluginError::new(format!(
                            "unknown feature {feature}: the kernel has no feature of that name \
                             (`ethtool -k` lists them)"
                        ))
                        .on_interface(name))
                    }
                    Some(f) if !f.changeable && f.active == *on => continue,
                    Some(f) if !f.changeable => {
                        return Err(PluginError::new(format!(
                            "feature {feature} is fixed {} by the driver; it cannot be turned {}",
                            on_off(f.active),
                            on_off(*on)
                        ))
                        .on_interface(name))
                    }
                    Some(f) => Some(f.active),
                },
            },
        };
        if was == Some(*on) {
            continue;
        }
        let was = was.map(|w| format!(" (was {})", on_off(w))).unwrap_or_default();
        what.push(format!("{feature} {}{was}", on_off(*on)));
        set.push((feature.clone(), *on));
    }
    if set.is_empty() {
        return Ok(None);
    }
    let noun = if set.len() == 1 { "feature" } else { "features" };
    let op = EthOp::Features { name: name.into(), features: set };
    Ok(Some(op.change(name, Phase::Configure, format!("set {noun} {}", what.join(", ")))))
}

/// Speed, duplex and autonegotiation, in one change that sends every one desired (the kernel
/// needs autoneg beside speed and duplex to know whether they are forced or advertised).
fn link_modes(
    name: &str,
    want: &Settings,
    live: Option<&Live>,
    kernel: &mut dyn Kernel,
) -> Result<Option<Change>, PluginError> {
    if want.speed.is_none() && want.duplex.is_none() && want.autoneg.is_none() {
        return Ok(None);
    }
    let have = live.map(|l| &l.settings);
    let mut what = Vec::new();
    let mut differs = |field: &str, want: Option<String>, have: Option<String>| {
        if let Some(w) = want.filter(|w| Some(w) != have.as_ref()) {
            what.push(format!("{field} {w}{}", have.map(|h| format!(" (was {h})")).unwrap_or_default()));
        }
    };
    let yes_no = |b: bool| if b { "on" } else { "off" }.to_string();
    differs("speed", want.speed.map(|s| s.to_string()), have.and_then(|h| h.speed).map(|s| s.to_string()));
    differs(
        "duplex",
        want.duplex.map(|d| duplex_name(d).into()),
        have.and_then(|h| h.duplex).map(|d| duplex_name(d).into()),
    );
    differs("autoneg", want.autoneg.map(yes_no), have.and_then(|h| h.autoneg).map(yes_no));
    if what.is_empty() {
        return Ok(None);
    }
    if let Some(live) = live {
        if kernel.device(&live.query)?.link_modes.is_none() {
            return Err(PluginError::new(format!(
                "the driver has no link settings, so {} cannot be set",
                what.join(", ")
            ))
            .on_interface(name));
        }
    }
    let op = EthOp::LinkModes {
        name: name.into(),
        speed: want.speed,
        duplex: want.duplex.map(|d| duplex_name(d).to_string()),
        autoneg: want.autoneg,
    };
    Ok(Some(op.change(name, Phase::Configure, format!("set {}", what.join(", ")))))
}

/// The counts of `<ring>` or `<channels>` to set: (attribute, value, live value). `have` is
/// `None` when the device does not exist yet and `Some(None)` when its driver has none of
/// these settings. A count the driver does not have reads as 0; a change is checked against
/// the driver's maxima.
fn counts(
    name: &str,
    element: &str,
    want: [Field; 4],
    have: Option<Option<[Field; 4]>>,
    maxima: impl FnOnce(&mut dyn Kernel) -> Result<Option<[Field; 4]>, PluginError>,
    kernel: &mut dyn Kernel,
) -> Result<Vec<CountChange>, PluginError> {
    let wanted: Vec<(&'static str, u32)> = want.iter().filter_map(|(f, v, _)| v.map(|v| (*f, v))).collect();
    let fail = |msg: String| PluginError::new(msg).on_interface(name);
    let Some(have) = have else {
        return Ok(wanted.into_iter().map(|(f, v)| (f, v, None)).collect());
    };
    let noun = if element == "ring" { "ring sizes (ethtool -g)" } else { "channel counts (ethtool -l)" };
    let Some(have) = have else {
        return Err(fail(format!("the driver does not support {noun}, so <{element}> cannot be set")));
    };
    let live = |f: &str| have.iter().find(|(n, _, _)| *n == f).and_then(|(_, v, _)| *v).unwrap_or(0);
    let set: Vec<_> =
        wanted.into_iter().filter(|(f, v)| live(f) != *v).map(|(f, v)| (f, v, Some(live(f)))).collect();
    if set.is_empty() {
        return Ok(set);
    }
    let Some(limits) = maxima(kernel)? else {
        return Err(fail(format!("the driver does not support {noun}, so <{element}> cannot be set")));
    };
    for (f, v, _) in &set {
        let max = limits.iter().find(|(n, _, _)| n == f).and_then(|(_, _, m)| *m).unwrap_or(0);
        if max == 0 {
            let what = if element == "ring" { format!("{f} ring") } else { format!("{f} channels") };
            return Err(fail(format!("the driver has no {what}, so {f}=\"{v}\" cannot be set")));
        }
        if *v > max {
            return Err(fail(format!("{element} {f} {v} is beyond the driver's maximum of {max}")));
        }
    }
    Ok(set)
}
