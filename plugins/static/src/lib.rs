//! netplug's static plugin.
