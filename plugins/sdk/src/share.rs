//! What plugins share during one read pass: kernel dumps several plugins need, taken once.
//!
//! When core reads the live state it asks each involved plugin in turn, and most of them
//! start from the same `RTM_GETLINK` dump (a bridge plugin for its bridges and their ports,
//! the static plugin for the interfaces' indexes, the veth plugin for its pairs). With
//! thousands of links that dump is most of a no-change run, and taking it once per plugin
//! multiplied it. So the host keeps, for the length of one read pass, byte strings that
//! plugins put under a key, and lets any later plugin read the same key's bytes in place; the
//! first plugin to need a dump takes it, the others parse the same bytes. One pass also means
//! every plugin sees the same kernel state.
//!
//! Core never looks inside the bytes. Outside a pass (an apply's own lookups, the daemon)
//! nothing is kept and every plugin dumps for itself, so a value is never stale across a
//! change.

use std::ffi::c_void;
use std::panic::{self, AssertUnwindSafe};

use abi_stable::std_types::{RSlice, RStr, RVec};

use crate::abi::SharedVisitor;

/// The raw messages of an `RTM_GETLINK` dump of every link, statistics left out.
pub const LINKS: &str = "rtnetlink/links/skip-stats";

/// `f` applied to the bytes shared under `key` in the current read pass, if there are any.
pub fn with<T, F: FnOnce(&[u8]) -> T>(key: &str, f: F) -> Option<T> {
    let host = crate::log::host()?;
    let get = host.shared_get();
    let mut state = Visit { f: Some(f), out: None };
    let cookie = &mut state as *mut Visit<F, T> as *mut c_void;
    get(host.context(), RStr::from_str(key), SharedVisitor { func: visit_trampoline::<F, T> }, cookie);
    state.out
}

struct Visit<F, T> {
    f: Option<F>,
    out: Option<T>,
}

extern "C" fn visit_trampoline<F: FnOnce(&[u8]) -> T, T>(cookie: *mut c_void, bytes: RSlice<'_, u8>) {
    // SAFETY: `cookie` is the `Visit` that `with` passed for this very call, still borrowed
    // mutably by it and by nothing else; the host calls back on the same thread, synchronously.
    let state = unsafe { &mut *(cookie as *mut Visit<F, T>) };
    if let Some(f) = state.f.take() {
        // Never unwind into the host: a panic here just means "nothing shared".
        state.out = panic::catch_unwind(AssertUnwindSafe(|| f(bytes.as_slice()))).ok();
    }
}

/// Offer `bytes` under `key` to the plugins read after this one in the current pass.
pub fn put(key: &str, bytes: Vec<u8>) {
    let Some(host) = crate::log::host() else { return };
    (host.shared_put())(host.context(), RStr::from_str(key), RVec::from(bytes));
}

/// `parse` of the bytes under `key`: shared by an earlier plugin of this pass, or made by
/// `make` (and then offered to the later ones).
pub fn parse_or_make<T, E>(
    key: &str,
    parse: impl Fn(&[u8]) -> T,
    make: impl FnOnce() -> Result<Vec<u8>, E>,
) -> Result<T, E> {
    if let Some(parsed) = with(key, &parse) {
        return Ok(parsed);
    }
    let bytes = make()?;
    let parsed = parse(&bytes);
    put(key, bytes);
    Ok(parsed)
}
