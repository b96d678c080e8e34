//! The plugin's side of [`WireFeatures::memo`](crate::ffi::WireFeatures::memo): the item
//! lists and plans it was sent or answered, kept under the host's ids so a later request can
//! name them instead of carrying them again.
//!
//! A plugin holds the last [`MEMO_SLOTS`] of them. Nothing depends on a list still being
//! here: a request naming one that is gone gets an error starting with [`MEMO_MISS`] and the
//! host sends the full request instead.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::ffi::{MEMO_MISS, MEMO_SLOTS};
use crate::plugin::{Change, Item, PluginError};

#[derive(Clone)]
enum Kept {
    Items(Arc<Vec<Item>>),
    Changes(Arc<Vec<Change>>),
    /// A quiet read not done yet: the interfaces it asked about (`None`: all).
    Unread(Option<Arc<Vec<String>>>),
}

static KEPT: Mutex<VecDeque<(u64, Kept)>> = Mutex::new(VecDeque::new());

fn keep(id: u64, value: Kept) {
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    kept.retain(|(k, _)| *k != id);
    if kept.len() == MEMO_SLOTS {
        kept.pop_front();
    }
    kept.push_back((id, value));
}

fn find(id: u64) -> Option<Kept> {
    let kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    kept.iter().find(|(k, _)| *k == id).map(|(_, v)| v.clone())
}

fn miss(id: u64) -> PluginError {
    PluginError::new(format!("{MEMO_MISS} {id}"))
}

/// Keep `items` under `id`, when the host asked for it.
pub(crate) fn keep_items(id: Option<u64>, items: Arc<Vec<Item>>) {
    if let Some(id) = id {
        keep(id, Kept::Items(items));
    }
}

/// Keep `changes` under `id`, when the host asked for it.
pub(crate) fn keep_changes(id: Option<u64>, changes: Arc<Vec<Change>>) {
    if let Some(id) = id {
        keep(id, Kept::Changes(changes));
    }
}

/// Keep a quiet read under `id` without reading: the plan that names it reads (see
/// `export::plan`).
pub(crate) fn keep_unread(id: u64, names: Option<Vec<String>>) {
    keep(id, Kept::Unread(names.map(Arc::new)));
}

/// The interfaces of the quiet read kept under `reference`, if that is what it names.
pub(crate) fn unread(reference: Option<u64>) -> Option<Option<Arc<Vec<String>>>> {
    match find(reference?)? {
        Kept::Unread(names) => Some(names),
        Kept::Items(_) | Kept::Changes(_) => None,
    }
}

/// The list a request names by `reference`, or the one it carries.
pub(crate) fn items(reference: Option<u64>, carried: Vec<Item>) -> Result<Arc<Vec<Item>>, PluginError> {
    match reference {
        None => Ok(Arc::new(carried)),
        Some(id) => match find(id) {
            Some(Kept::Items(items)) => Ok(items),
            _ => Err(miss(id)),
        },
    }
}

/// The changes of kept plan `plan` at `indices`, in that order.
pub(crate) fn picks(plan: u64, indices: &[u32]) -> Result<Picked, PluginError> {
    let Some(Kept::Changes(changes)) = find(plan) else { return Err(miss(plan)) };
    // Core applies a plugin's plan phase by phase, so the picks are usually a run of
    // consecutive positions: lend those instead of copying thousands of changes.
    let first = indices.first().map_or(0, |&i| i as usize);
    let consecutive = indices.iter().enumerate().all(|(k, &i)| i as usize == first + k);
    if consecutive && first + indices.len() <= changes.len() {
        return Ok(Picked::Run(changes, first..first + indices.len()));
    }
    let picked = indices.iter().map(|&i| changes.get(i as usize).cloned().ok_or_else(|| miss(plan)));
    picked.collect::<Result<_, _>>().map(Picked::Copied)
}

/// Picked changes: a run of a kept plan, or copies.
pub(crate) enum Picked {
    Run(Arc<Vec<Change>>, std::ops::Range<usize>),
    Copied(Vec<Change>),
}

impl std::ops::Deref for Picked {
    type Target = [Change];

    fn deref(&self) -> &[Change] {
        match self {
            Picked::Run(all, range) => &all[range.clone()],
            Picked::Copied(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str) -> Item {
        Item { interface: name.into(), ..Item::default() }
    }

    #[test]
    fn kept_lists_and_plans_are_named_until_pushed_out() {
        keep_items(Some(1_000_001), Arc::new(vec![item("a")]));
        assert_eq!(items(Some(1_000_001), vec![]).unwrap()[0].interface, "a");
        assert_eq!(items(None, vec![item("b")]).unwrap()[0].interface, "b");
        for id in 0..MEMO_SLOTS as u64 {
            keep_items(Some(2_000_000 + id), Arc::new(vec![]));
        }
        let err = items(Some(1_000_001), vec![]).unwrap_err();
        assert!(err.message.starts_with(MEMO_MISS), "{err:?}");

        // (One test: the kept lists are the process's, and tests run in parallel.)
        let change = |d: &str| Change {
            interface: "x".into(),
            phase: crate::Phase::Up,
            description: d.into(),
            payload: String::new(),
        };
        keep_changes(Some(3_000_001), Arc::new(vec![change("a"), change("b")]));
        let described = |p: Picked| p.iter().map(|c| c.description.clone()).collect::<Vec<_>>();
        assert_eq!(described(picks(3_000_001, &[1, 0]).unwrap()), ["b", "a"]);
        assert!(matches!(picks(3_000_001, &[0, 1]).unwrap(), Picked::Run(..)));
        assert_eq!(described(picks(3_000_001, &[1]).unwrap()), ["b"]);
        assert_eq!(described(picks(3_000_001, &[]).unwrap()), Vec::<String>::new());
        let missed =
            |r: Result<Picked, PluginError>| r.err().is_some_and(|e| e.message.starts_with(MEMO_MISS));
        assert!(missed(picks(3_000_001, &[2])));
        assert!(missed(picks(3_000_001, &[1, 2])));
    }
}
