//! netplug's ethernet plugin.
