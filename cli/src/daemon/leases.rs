//! When leases need attention: the `<lease next="…">` times that plugins of the `dynamic`
//! phase (the DHCP plugin) report inside their live items.
//!
//! The daemon does not know how or where leases are stored: it asks the plugin, the same
//! `read` that `plan` later sees, and the plugin plans the renewal when that time comes. So
//! what the daemon wakes for and what the apply then does cannot disagree.

use std::collections::BTreeMap;

use netplug_core::registry::Registry;
use netplug_core::sdk::{Element, Phase, PluginError};

/// The child element a plugin reports a lease in.
pub const LEASE: &str = "lease";

/// Every interface with a lease and the earliest time (wall-clock seconds since 1970) one of
/// its leases needs its definition re-applied.
pub fn next_times(registry: &Registry) -> Result<BTreeMap<String, u64>, PluginError> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for r in registry.plugins().iter().filter(|r| r.info.phase == Some(Phase::Dynamic)) {
        for item in r.plugin.read(None)? {
            if let Some(next) = next_of(&item.element) {
                let t = out.entry(item.interface).or_insert(next);
                *t = (*t).min(next);
            }
        }
    }
    Ok(out)
}

/// The `next` time of the `<lease>` inside a reported element.
pub fn next_of(element: &Element) -> Option<u64> {
    element.child(LEASE)?.value("next")?.parse().ok()
}

/// Seconds since 1970 now.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_time_is_read_from_the_lease_child() {
        let el = Element::new("dhcp").with_child(Element::new(LEASE).with_attr("next", 1060));
        assert_eq!(next_of(&el), Some(1060));
        assert_eq!(next_of(&Element::new("dhcp")), None);
        let forever = Element::new("dhcp").with_child(Element::new(LEASE).with_attr("address", "x"));
        assert_eq!(next_of(&forever), None);
    }
}
