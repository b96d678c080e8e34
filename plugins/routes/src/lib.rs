//! netplug's routes plugin.
