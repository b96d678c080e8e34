//! The devices this process planned to rename, so that a rollback can restore them.
//!
//! Core rolls back by planning to a snapshot read before the first change, but a device found
//! by MAC was not in that snapshot: the snapshot asked for its new name, which did not exist
//! yet, and its old name is in no document. So planning the rename remembers the device as it
//! was (its envelope and `<ethtool>` under the old name), and plan, finding the new name no
//! longer wanted, restores the device from that — renamed back if the rename ran, in place if
//! the run stopped before it. Restoring a device that was never touched plans nothing, so
//! remembering at plan time (not apply time) is safe and covers a run stopped at any step.
//! Core plans its rollback in the same process, so memory suffices; entries are per network
//! namespace because a process may work in several (tests do).

use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;

use netplug_plugin_sdk::{Element, Envelope};
use serde::{Deserialize, Serialize};

/// A device as it was before a rename, under its old name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Before {
    pub envelope: Envelope,
    /// Its `<ethtool>` settings.
    pub ethtool: Element,
}

/// (network namespace, new name, the device before).
static RENAMED: Mutex<Vec<(u64, String, Before)>> = Mutex::new(Vec::new());

/// The network namespace of the calling thread, by inode (0 if `/proc` is missing).
fn netns() -> u64 {
    std::fs::metadata("/proc/thread-self/ns/net").map_or(0, |m| m.ino())
}

fn renamed() -> std::sync::MutexGuard<'static, Vec<(u64, String, Before)>> {
    // A panic while holding the lock leaves a consistent Vec: every change is one push/retain.
    RENAMED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The device to be called `new` is `before`.
pub fn remember(new: &str, before: Before) {
    let ns = netns();
    let mut list = renamed();
    list.retain(|(n, name, _)| !(*n == ns && name == new));
    list.push((ns, new.to_string(), before));
}

/// What the device called `new` was, if this process planned to rename it.
pub fn recall(new: &str) -> Option<Before> {
    let ns = netns();
    renamed().iter().find(|(n, name, _)| *n == ns && name == new).map(|(_, _, b)| b.clone())
}

/// The device called `new` was renamed back.
pub fn forget(new: &str) {
    let ns = netns();
    renamed().retain(|(n, name, _)| !(*n == ns && name == new));
}
