//! netplug's dhcp plugin.
