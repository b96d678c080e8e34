//! The XML dialects netplug reads and writes, each turned into the one [`crate::model`].
//!
//! `native` reads the common envelope of netplug's own vocabulary; other dialects (libvirt) are
//! rewritten into native element trees first, so there is exactly one reader of the envelope.

pub mod libvirt;
pub mod native;
