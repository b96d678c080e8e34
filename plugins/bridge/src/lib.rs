//! netplug's bridge plugin.
