//! netplug's vlan plugin.
