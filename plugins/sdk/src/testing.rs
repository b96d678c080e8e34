//! Helpers for a plugin's kernel tests, which call the plugin directly (inside a network
//! namespace of their own) the way core would.

use std::time::{Duration, Instant};

use crate::plugin::{Change, Item, Plugin};

/// Read the kernel for `scope`, plan towards `desired`, and apply the changes in phase order as
/// core sorts them (every create, then every enslave, every up…); the changes applied. Panics
/// with the kernel's error and the plan on failure.
pub fn converge(plugin: &dyn Plugin, desired: &[Item], scope: &[String]) -> Vec<Change> {
    let live = plugin.read(Some(scope)).expect("read");
    let mut changes = plugin.plan(desired, &live, scope).expect("plan");
    changes.sort_by_key(|c| c.phase);
    plugin.apply(&changes).unwrap_or_else(|e| panic!("{e}\n{changes:#?}"));
    changes
}

/// What a new plan towards `desired` would still do, as descriptions: empty when the kernel
/// matches.
pub fn replan(plugin: &dyn Plugin, desired: &[Item], scope: &[String]) -> Vec<String> {
    let live = plugin.read(Some(scope)).expect("read");
    plugin.plan(desired, &live, scope).expect("plan").into_iter().map(|c| c.description).collect()
}

/// Poll `ok` every 50 ms until it holds or `limit` passes; whether it held. For what the kernel
/// or a daemon does a moment after a request (a lease renewed, a carrier seen).
pub fn wait_for(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if ok() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
