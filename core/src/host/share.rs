//! The host's side of the SDK's `share` module: byte strings plugins share during one read
//! pass, so a dump several of them need (every link) is taken once per pass, not once per
//! plugin.
//!
//! A pass lives on the thread that reads (plugins are called synchronously, so their calls
//! back arrive on it), between [`ReadPass::begin`] and the guard's drop. Nothing is kept
//! outside a pass: what a plugin reads while applying is always fresh. Core never looks
//! inside the bytes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::Rc;

use abi_stable::std_types::{RSlice, RStr, RVec};
use netplug_plugin_sdk::abi::SharedVisitor;

thread_local! {
    /// The current pass's values, `None` outside a pass.
    static PASS: RefCell<Option<HashMap<String, Rc<RVec<u8>>>>> = const { RefCell::new(None) };
}

/// One read pass; sharing ends when it is dropped. Passes do not nest: an inner `begin`
/// joins the outer pass.
#[must_use = "sharing ends when the pass is dropped"]
pub struct ReadPass {
    outermost: bool,
}

impl ReadPass {
    pub fn begin() -> ReadPass {
        let outermost = PASS.with(|p| {
            let mut p = p.borrow_mut();
            let fresh = p.is_none();
            if fresh {
                *p = Some(HashMap::new());
            }
            fresh
        });
        ReadPass { outermost }
    }
}

impl Drop for ReadPass {
    fn drop(&mut self) {
        if self.outermost {
            PASS.with(|p| p.borrow_mut().take());
        }
    }
}

pub(crate) extern "C" fn shared_get(
    _context: usize,
    key: RStr<'_>,
    visit: SharedVisitor,
    cookie: *mut c_void,
) -> bool {
    // Out of the map before the call: the plugin may share something itself meanwhile.
    let Some(bytes) = PASS.with(|p| p.borrow().as_ref().and_then(|m| m.get(key.as_str()).cloned())) else {
        return false;
    };
    (visit.func)(cookie, RSlice::from_slice(&bytes));
    true
}

pub(crate) extern "C" fn shared_put(_context: usize, key: RStr<'_>, value: RVec<u8>) {
    PASS.with(|p| {
        if let Some(m) = p.borrow_mut().as_mut() {
            m.insert(key.as_str().to_string(), Rc::new(value));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn copy(cookie: *mut c_void, bytes: RSlice<'_, u8>) {
        // SAFETY: `get` below passes a `Vec<u8>` it owns for the length of the call.
        unsafe { *(cookie as *mut Vec<u8>) = bytes.to_vec() };
    }

    fn get(key: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        shared_get(
            0,
            RStr::from_str(key),
            SharedVisitor { func: copy },
            &mut out as *mut Vec<u8> as *mut c_void,
        )
        .then_some(out)
    }

    fn put(key: &str, value: &[u8]) {
        shared_put(0, RStr::from_str(key), RVec::from_slice(value));
    }

    #[test]
    fn values_live_for_one_pass() {
        put("k", b"ignored");
        assert_eq!(get("k"), None, "nothing is kept outside a pass");
        {
            let _pass = ReadPass::begin();
            put("k", b"links");
            {
                let _inner = ReadPass::begin();
                assert_eq!(get("k").as_deref(), Some(&b"links"[..]), "an inner pass joins the outer");
            }
            assert_eq!(get("k").as_deref(), Some(&b"links"[..]));
        }
        assert_eq!(get("k"), None, "a new pass starts empty");
    }
}
