//! The host's side of [`WireFeatures::memo`]: which item lists and plans a plugin holds, so
//! a request can name them instead of carrying them again.
//!
//! A run sends a plugin its desired items for validation, then for the plan, then for the
//! verify's plan; it gets the live items from a read and sends them back with the plan; it
//! gets changes from the plan and sends them back to apply. With 10,000 routes each of those
//! crossings is tens of milliseconds of JSON. Here the host remembers, by fingerprint, what
//! the plugin was told to keep, and names it when the same content comes round again.
//!
//! Fingerprints are keyed hashes of the content, spans left out (a plan needs no positions,
//! so the desired items kept from validation, which have them, serve the plan, which is sent
//! them without). A named list the plugin no longer holds costs one retry with the full
//! request (see [`LoadedPlugin`](super::LoadedPlugin)).

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use netplug_plugin_sdk::compact;
use netplug_plugin_sdk::ffi::{PlanPicks, WireFeatures, MEMO_SLOTS};
use netplug_plugin_sdk::{Change, Item};

/// Ids are unique in the process: two hosts loading the same file share its kept lists.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

enum Kept {
    /// An item list's fingerprint and length.
    Items(u64, usize),
    /// A plan's changes: fingerprint → first position.
    Plan(HashMap<u64, u32>),
    /// A list the host never saw.
    Unseen,
}

/// What one plugin holds, as far as the host knows (the same [`MEMO_SLOTS`], pushed out in
/// the same order).
pub(crate) struct Memo {
    hasher: std::collections::hash_map::RandomState,
    kept: VecDeque<(u64, Kept)>,
}

impl Memo {
    /// A memo for a plugin with these wire features, or `None` if it keeps nothing.
    pub(crate) fn for_features(wire: WireFeatures) -> Option<Memo> {
        wire.memo.then(|| Memo { hasher: Default::default(), kept: VecDeque::new() })
    }

    fn push(&mut self, id: u64, kept: Kept) {
        if self.kept.len() == MEMO_SLOTS {
            self.kept.pop_front();
        }
        self.kept.push_back((id, kept));
    }

    /// A fresh id to send as `keep_as` for an item list.
    pub(crate) fn reserve(&self) -> u64 {
        next_id()
    }

    /// The plugin kept `items` under `id`.
    pub(crate) fn kept_items(&mut self, id: u64, items: &[Item]) {
        let fp = self.fingerprint(items);
        self.push(id, Kept::Items(fp, items.len()));
    }

    /// The plugin kept a list under `id` that the host never saw (a quiet read): it takes a
    /// slot all the same, and only `id` names it.
    pub(crate) fn kept_unseen(&mut self, id: u64) {
        self.push(id, Kept::Unseen);
    }

    /// The plugin kept `changes` under `id`.
    pub(crate) fn kept_plan(&mut self, id: u64, changes: &[Change]) {
        let mut positions = HashMap::with_capacity(changes.len());
        for (i, c) in changes.iter().enumerate() {
            positions.entry(self.hasher.hash_one(c)).or_insert(i as u32);
        }
        self.push(id, Kept::Plan(positions));
    }

    /// The id of a kept list with the same content as `items`, newest first.
    pub(crate) fn find_items(&self, items: &[Item]) -> Option<u64> {
        let fp = self.fingerprint(items);
        self.kept.iter().rev().find_map(|(id, k)| match k {
            Kept::Items(f, len) if *f == fp && *len == items.len() => Some(*id),
            _ => None,
        })
    }

    /// `changes` as positions in one kept plan, if every one of them is in it.
    pub(crate) fn find_picks(&self, changes: &[Change]) -> Option<PlanPicks> {
        let fps: Vec<u64> = changes.iter().map(|c| self.hasher.hash_one(c)).collect();
        self.kept.iter().rev().find_map(|(id, k)| match k {
            Kept::Plan(positions) => {
                let indices = fps.iter().map(|f| positions.get(f).copied()).collect::<Option<Vec<u32>>>()?;
                Some(PlanPicks { plan: *id, indices })
            }
            Kept::Items(..) | Kept::Unseen => None,
        })
    }

    /// Forget everything: the plugin said it no longer holds something named.
    pub(crate) fn clear(&mut self) {
        self.kept.clear();
    }

    /// The items' content in the compact form without spans, hashed once: feeding SipHash
    /// field by field cost more than the JSON it saves on small items.
    fn fingerprint(&self, items: &[Item]) -> u64 {
        self.hasher.hash_one(compact::content_of(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netplug_plugin_sdk::{Element, Phase, Span};

    fn item(value: &str, span: Span) -> Item {
        let mut element = Element::new("route").with_attr("to", value);
        element.attributes[0].span = span;
        Item { interface: "eth0".into(), kind: "ethernet".into(), envelope: None, element }
    }

    #[test]
    fn items_are_found_by_content_without_spans() {
        let mut memo = Memo::for_features(WireFeatures { memo: true, compact: 0 }).unwrap();
        let at = Span { file: 1, start: 5, end: 9, line: 2, col: 3 };
        memo.kept_items(7, &[item("10.0.0.0/8", at)]);
        assert_eq!(memo.find_items(&[item("10.0.0.0/8", Span::default())]), Some(7));
        assert_eq!(memo.find_items(&[item("10.0.0.0/9", Span::default())]), None);
        assert_eq!(memo.find_items(&[]), None);
    }

    #[test]
    fn changes_are_found_as_positions_in_one_plan() {
        let change = |d: &str| Change {
            interface: "eth0".into(),
            phase: Phase::Route,
            description: d.into(),
            payload: d.into(),
        };
        let mut memo = Memo::for_features(WireFeatures { memo: true, compact: 0 }).unwrap();
        memo.kept_plan(3, &[change("a"), change("b"), change("c")]);
        assert_eq!(
            memo.find_picks(&[change("c"), change("a")]),
            Some(PlanPicks { plan: 3, indices: vec![2, 0] })
        );
        assert_eq!(memo.find_picks(&[change("a"), change("z")]), None);
    }

    #[test]
    fn the_oldest_is_pushed_out_first() {
        let mut memo = Memo::for_features(WireFeatures { memo: true, compact: 0 }).unwrap();
        for id in 0..=MEMO_SLOTS as u64 {
            memo.kept_items(id, &[item(&id.to_string(), Span::default())]);
        }
        assert_eq!(memo.find_items(&[item("0", Span::default())]), None);
        assert_eq!(memo.find_items(&[item("1", Span::default())]), Some(1));
        assert!(Memo::for_features(WireFeatures::default()).is_none());
    }
}
