//! The bridge's vocabulary — STP timers, priority, ageing, two switches and `<member>` — with
//! its defaults and the kernel's ranges (`net/bridge/br_private.h`, `br_stp.c`).
//!
//! Times are seconds, as brctl and ip-link take them, and may have decimals down to the 1/100 s
//! the kernel's netlink interface counts in (clock_t): `hellotime="0.5"` is refused because the
//! kernel's minimum is 1 s, not because of the decimal.

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{Attribute, Diagnostic, Element, Item, Validation};

pub const STP: AttrSpec = AttrSpec {
    name: "stp",
    help: "run the 802.1D spanning tree protocol",
    kind: ValueKind::Bool,
    default: Some("off"),
};
pub const HELLOTIME: AttrSpec = AttrSpec {
    name: "hellotime",
    help: "interval between configuration BPDUs while root bridge",
    kind: ValueKind::Other("seconds, 1-10, to 1/100 s"),
    default: Some("2"),
};
pub const FORWARDDELAY: AttrSpec = AttrSpec {
    name: "forwarddelay",
    help: "time a port spends listening and then learning before it forwards (STP only)",
    kind: ValueKind::Other("seconds, 2-30 with STP (0-30 without), to 1/100 s"),
    default: Some("15"),
};
pub const MAXAGE: AttrSpec = AttrSpec {
    name: "maxage",
    help: "age at which stored STP information is discarded",
    kind: ValueKind::Other("seconds, 6-40, to 1/100 s"),
    default: Some("20"),
};
pub const PRIORITY: AttrSpec = AttrSpec {
    name: "priority",
    help: "bridge priority; the lowest becomes root",
    kind: ValueKind::Uint { min: 0, max: 65535, unit: "" },
    default: Some("32768"),
};
pub const AGEING: AttrSpec = AttrSpec {
    name: "ageing",
    help: "time a learned MAC address is kept; 0 forgets at once (a hub)",
    kind: ValueKind::Other("seconds, 0 or 10-1000000, to 1/100 s"),
    default: Some("300"),
};
pub const VLAN_FILTERING: AttrSpec = AttrSpec {
    name: "vlan_filtering",
    help: "filter frames by the ports' VLAN membership",
    kind: ValueKind::Bool,
    default: Some("no"),
};
pub const MCAST_SNOOPING: AttrSpec = AttrSpec {
    name: "mcast_snooping",
    help: "forward multicast only to ports with listeners (IGMP/MLD snooping)",
    kind: ValueKind::Bool,
    default: Some("yes"),
};

/// Every attribute of `<bridge>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] =
    &[STP, HELLOTIME, FORWARDDELAY, MAXAGE, PRIORITY, AGEING, VLAN_FILTERING, MCAST_SNOOPING];

pub const MEMBER_DEVICE: AttrSpec = AttrSpec {
    name: "device",
    help: "the interface to add as a port",
    kind: ValueKind::Other("an interface name"),
    default: None,
};

/// The attributes of `<member>`.
pub const MEMBER_ATTRIBUTES: &[AttrSpec] = &[MEMBER_DEVICE];

/// The children of `<bridge>` this plugin owns.
pub const CHILDREN: &[&str] = &["member"];

/// Kernel limits in 1/100 s (BR_MIN/MAX_HELLO_TIME, _FORWARD_DELAY, _MAX_AGE, _AGEING_TIME).
pub const HELLO_RANGE: (u32, u32) = (100, 1_000);
pub const FORWARD_DELAY_RANGE: (u32, u32) = (200, 3_000);
pub const MAX_AGE_RANGE: (u32, u32) = (600, 4_000);
pub const AGEING_RANGE: (u32, u32) = (1_000, 100_000_000);

/// Parse seconds with at most two decimals into hundredths of a second.
pub fn parse_centiseconds(text: &str) -> Result<u32, &'static str> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (t.contains('.') && frac.is_empty()) {
        return Err("expected seconds, such as 2 or 0.5");
    }
    if frac.len() > 2 {
        return Err("the kernel counts in hundredths of a second");
    }
    let whole: u32 = whole.parse().map_err(|_| "too large")?;
    let frac: u32 = format!("{frac:0<2}").parse().unwrap_or(0);
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or("too large")
}

/// Hundredths of a second as the format writes seconds: `2`, `2.5`, `0.05`.
pub fn seconds(cs: u32) -> String {
    if cs % 100 == 0 {
        (cs / 100).to_string()
    } else {
        format!("{}.{:02}", cs / 100, cs % 100).trim_end_matches('0').to_string()
    }
}

/// Check every bridge item; report diagnostics and one `Member` dependency per member.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    for item in items {
        check_bridge(item, &mut v);
    }
    v
}

fn check_bridge(item: &Item, v: &mut Validation) {
    let el = &item.element;
    let name = item.interface.as_str();
    let out = &mut v.diagnostics;
    out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
    out.extend(schema::check_children_hinting(el, CHILDREN, FEATURE_ELEMENTS, name));
    // An invalid stp value was reported; judge the timers as if STP were on, the stricter case.
    let stp = STP.attr(el).is_some_and(|_| STP.get_bool(el).unwrap_or(true));

    let time = |spec: &AttrSpec, range: (u32, u32), out: &mut Vec<Diagnostic>| -> Option<u32> {
        let a = spec.attr(el)?;
        let cs = match parse_centiseconds(&a.value) {
            Ok(cs) => cs,
            Err(why) => {
                out.push(schema::bad_value(a, name, why));
                return None;
            }
        };
        if !(range.0..=range.1).contains(&cs) {
            let (lo, hi) = (seconds(range.0), seconds(range.1));
            out.push(schema::bad_value(a, name, format!("must be between {lo} and {hi} seconds")));
            return None;
        }
        Some(cs)
    };
    let hello = time(&HELLOTIME, HELLO_RANGE, out);
    let max_age = time(&MAXAGE, MAX_AGE_RANGE, out);
    let forward_delay = check_forward_delay(el, stp, name, out);
    if let Some(a) = AGEING.attr(el) {
        match parse_centiseconds(&a.value) {
            Err(why) => out.push(schema::bad_value(a, name, why)),
            Ok(0) => {}
            Ok(cs) if !(AGEING_RANGE.0..=AGEING_RANGE.1).contains(&cs) => {
                out.push(schema::bad_value(a, name, "must be 0 or between 10 and 1000000 seconds"))
            }
            Ok(_) => {}
        }
    }
    if stp {
        check_timer_relations(el, hello, max_age, forward_delay, name, out);
    }
    schema::check_members(item, MEMBER_ATTRIBUTES, v, |_| None);
}

/// The kernel checks the forward delay only while STP runs (`br_set_forward_delay`); without
/// STP the value is unused, and clamped into range if STP is turned on later.
fn check_forward_delay(el: &Element, stp: bool, name: &str, out: &mut Vec<Diagnostic>) -> Option<u32> {
    let a = FORWARDDELAY.attr(el)?;
    let cs = parse_centiseconds(&a.value).map_err(|why| out.push(schema::bad_value(a, name, why))).ok()?;
    let (lo, hi) = FORWARD_DELAY_RANGE;
    if stp && !(lo..=hi).contains(&cs) {
        out.push(
            schema::bad_value(a, name, "must be between 2 and 30 seconds with STP on")
                .with_help("without STP the forward delay is unused, and 0 is common"),
        );
        return None;
    }
    if !stp && cs > hi {
        out.push(
            Diagnostic::warning(
                a.value_span,
                "forwarddelay is unused without STP, and clamped to 30 s if STP is turned on",
            )
            .on_interface(name)
            .on_attribute("forwarddelay"),
        );
    }
    Some(cs)
}

/// 802.1D-2004 17.14 requires 2 × (forward delay − 1 s) ≥ max age ≥ 2 × (hello time + 1 s);
/// the kernel does not check it, but bridges that break it lose or loop frames during
/// reconvergence.
fn check_timer_relations(
    el: &Element,
    hello: Option<u32>,
    max_age: Option<u32>,
    forward_delay: Option<u32>,
    name: &str,
    out: &mut Vec<Diagnostic>,
) {
    let given = |spec: &AttrSpec, value: Option<u32>| match spec.attr(el) {
        Some(_) => value,
        None => spec.default.and_then(|d| parse_centiseconds(d).ok()),
    };
    let (Some(h), Some(m), Some(f)) =
        (given(&HELLOTIME, hello), given(&MAXAGE, max_age), given(&FORWARDDELAY, forward_delay))
    else {
        return;
    };
    let problem = if 2 * (f.saturating_sub(100)) < m {
        Some(format!(
            "maxage {} exceeds 2 × (forwarddelay − 1) = {}",
            seconds(m),
            seconds(2 * f.saturating_sub(100))
        ))
    } else if m < 2 * (h + 100) {
        Some(format!("maxage {} is below 2 × (hellotime + 1) = {}", seconds(m), seconds(2 * (h + 100))))
    } else {
        None
    };
    let Some(problem) = problem else { return };
    // Point at whichever timer was written, maxage first: it is in both inequalities.
    let at: Option<&Attribute> = [MAXAGE, FORWARDDELAY, HELLOTIME].iter().find_map(|s| s.attr(el));
    let (span, attr) = at.map_or((el.span, "maxage"), |a| (a.span, a.name.as_str()));
    out.push(
        Diagnostic::warning(span, format!("STP timers break the 802.1D rule: {problem}"))
            .on_interface(name)
            .on_attribute(attr)
            .with_help("802.1D requires 2 × (forwarddelay − 1) ≥ maxage ≥ 2 × (hellotime + 1)"),
    );
}

#[cfg(test)]
mod tests;
