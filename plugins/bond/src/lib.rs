//! netplug's bond plugin.
