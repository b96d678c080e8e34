//! Kernel constants as the integer types netlink messages carry.
//!
//! Most come from linux-raw-sys (bindgen enums there, hence the casts); the ethtool netlink
//! ones, which neither neli nor linux-raw-sys has, are defined here from
//! `include/uapi/linux/ethtool_netlink.h` (moved to `ethtool_netlink_generated.h` in 6.14 with
//! the same values; the enums are append-only ABI). Plugins that need more `IFLA_BR_*`,
//! `IFLA_BOND_*` or `IFLA_VLAN_*` values use [`linux_raw_sys::netlink`] with `as u16`.

use linux_raw_sys::netlink as nl;

// Attribute header flags (linux/netlink.h).
pub const NLA_F_NESTED: u16 = nl::NLA_F_NESTED as u16;
pub const NLA_F_NET_BYTEORDER: u16 = nl::NLA_F_NET_BYTEORDER as u16;

// Extended-ack attributes in an NLMSG_ERROR/NLMSG_DONE (linux/netlink.h).
pub const NLMSGERR_ATTR_MSG: u16 = nl::nlmsgerr_attrs::NLMSGERR_ATTR_MSG as u16;
pub const NLMSGERR_ATTR_OFFS: u16 = nl::nlmsgerr_attrs::NLMSGERR_ATTR_OFFS as u16;
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = nl::nlmsgerr_attrs::NLMSGERR_ATTR_MISS_TYPE as u16;

// rtnetlink message types (linux/rtnetlink.h).
pub const RTM_NEWLINK: u16 = nl::RTM_NEWLINK as u16;
pub const RTM_DELLINK: u16 = nl::RTM_DELLINK as u16;
pub const RTM_GETLINK: u16 = nl::RTM_GETLINK as u16;
pub const RTM_NEWADDR: u16 = nl::RTM_NEWADDR as u16;
pub const RTM_DELADDR: u16 = nl::RTM_DELADDR as u16;
pub const RTM_GETADDR: u16 = nl::RTM_GETADDR as u16;
pub const RTM_NEWROUTE: u16 = nl::RTM_NEWROUTE as u16;
pub const RTM_DELROUTE: u16 = nl::RTM_DELROUTE as u16;
pub const RTM_GETROUTE: u16 = nl::RTM_GETROUTE as u16;

// Link attributes (linux/if_link.h).
pub const IFLA_ADDRESS: u16 = nl::IFLA_ADDRESS as u16;
pub const IFLA_IFNAME: u16 = nl::IFLA_IFNAME as u16;
pub const IFLA_MTU: u16 = nl::IFLA_MTU as u16;
pub const IFLA_LINK: u16 = nl::IFLA_LINK as u16;
pub const IFLA_MASTER: u16 = nl::IFLA_MASTER as u16;
pub const IFLA_TXQLEN: u16 = nl::IFLA_TXQLEN as u16;
pub const IFLA_OPERSTATE: u16 = nl::IFLA_OPERSTATE as u16;
pub const IFLA_LINKINFO: u16 = nl::IFLA_LINKINFO as u16;
pub const IFLA_EXT_MASK: u16 = nl::IFLA_EXT_MASK as u16;
pub const IFLA_LINK_NETNSID: u16 = nl::IFLA_LINK_NETNSID as u16;
pub const IFLA_MIN_MTU: u16 = nl::IFLA_MIN_MTU as u16;
pub const IFLA_MAX_MTU: u16 = nl::IFLA_MAX_MTU as u16;
pub const IFLA_PERM_ADDRESS: u16 = nl::IFLA_PERM_ADDRESS as u16;
pub const IFLA_INFO_KIND: u16 = nl::IFLA_INFO_KIND as u16;
pub const IFLA_INFO_DATA: u16 = nl::IFLA_INFO_DATA as u16;
pub const IFLA_INFO_SLAVE_KIND: u16 = nl::IFLA_INFO_SLAVE_KIND as u16;
pub const IFLA_INFO_SLAVE_DATA: u16 = nl::IFLA_INFO_SLAVE_DATA as u16;
/// `RTEXT_FILTER_SKIP_STATS` for `IFLA_EXT_MASK`: leaves the stats blocks out of link dumps.
pub const RTEXT_FILTER_SKIP_STATS: u32 = nl::RTEXT_FILTER_SKIP_STATS;

/// `VETH_INFO_PEER` (linux/veth.h, not in linux-raw-sys): the peer's `ifinfomsg` + attributes.
pub const VETH_INFO_PEER: u16 = 1;

// Address attributes (linux/if_addr.h).
pub const IFA_ADDRESS: u16 = nl::IFA_ADDRESS as u16;
pub const IFA_LOCAL: u16 = nl::IFA_LOCAL as u16;
pub const IFA_LABEL: u16 = nl::IFA_LABEL as u16;
pub const IFA_BROADCAST: u16 = nl::IFA_BROADCAST as u16;
pub const IFA_CACHEINFO: u16 = nl::IFA_CACHEINFO as u16;
pub const IFA_FLAGS: u16 = nl::IFA_FLAGS as u16;

// Route attributes and header values (linux/rtnetlink.h).
pub const RTA_DST: u16 = nl::rtattr_type_t::RTA_DST as u16;
pub const RTA_OIF: u16 = nl::rtattr_type_t::RTA_OIF as u16;
pub const RTA_GATEWAY: u16 = nl::rtattr_type_t::RTA_GATEWAY as u16;
pub const RTA_PRIORITY: u16 = nl::rtattr_type_t::RTA_PRIORITY as u16;
pub const RTA_PREFSRC: u16 = nl::rtattr_type_t::RTA_PREFSRC as u16;
pub const RTA_MULTIPATH: u16 = nl::rtattr_type_t::RTA_MULTIPATH as u16;
pub const RTA_TABLE: u16 = nl::rtattr_type_t::RTA_TABLE as u16;
pub const RT_TABLE_UNSPEC: u32 = nl::rt_class_t::RT_TABLE_UNSPEC as u32;
pub const RT_TABLE_COMPAT: u32 = nl::rt_class_t::RT_TABLE_COMPAT as u32;
pub const RT_TABLE_MAIN: u32 = nl::rt_class_t::RT_TABLE_MAIN as u32;
pub const RT_TABLE_LOCAL: u32 = nl::rt_class_t::RT_TABLE_LOCAL as u32;
pub const RT_SCOPE_UNIVERSE: u8 = nl::rt_scope_t::RT_SCOPE_UNIVERSE as u8;
pub const RT_SCOPE_LINK: u8 = nl::rt_scope_t::RT_SCOPE_LINK as u8;
pub const RT_SCOPE_HOST: u8 = nl::rt_scope_t::RT_SCOPE_HOST as u8;
pub const RT_SCOPE_NOWHERE: u8 = nl::rt_scope_t::RT_SCOPE_NOWHERE as u8;
pub const RTM_F_CLONED: u32 = nl::RTM_F_CLONED;
pub const RTPROT_KERNEL: u8 = nl::RTPROT_KERNEL as u8;
pub const RTPROT_BOOT: u8 = nl::RTPROT_BOOT as u8;
pub const RTPROT_STATIC: u8 = nl::RTPROT_STATIC as u8;
pub const RTPROT_DHCP: u8 = nl::RTPROT_DHCP as u8;

/// The route protocol netplug marks its routes with, so a read-back can tell netplug's routes
/// from the kernel's, DHCP clients' and routing daemons'. 176 (0xb0) is unused by
/// linux/rtnetlink.h (0–4 kernel, 8–18, 42, 84, 99, 186–189, 192) and by iproute2's
/// `rt_protos`; `echo "176 netplug" > /etc/iproute2/rt_protos.d/netplug.conf` makes `ip route`
/// print the name.
pub const RTPROT_NETPLUG: u8 = 176;

// Interface flags (linux/if.h).
pub const IFF_UP: u32 = libc::IFF_UP as u32;
pub const IFF_RUNNING: u32 = libc::IFF_RUNNING as u32;
pub const IFF_LOWER_UP: u32 = libc::IFF_LOWER_UP as u32;

// Generic netlink controller (linux/genetlink.h).
pub const GENL_ID_CTRL: u16 = libc::GENL_ID_CTRL as u16;
pub const CTRL_CMD_GETFAMILY: u8 = libc::CTRL_CMD_GETFAMILY as u8;
pub const CTRL_ATTR_FAMILY_ID: u16 = libc::CTRL_ATTR_FAMILY_ID as u16;
pub const CTRL_ATTR_FAMILY_NAME: u16 = libc::CTRL_ATTR_FAMILY_NAME as u16;

/// Generic netlink family name and version of ethtool (ethtool_netlink.h).
pub const ETHTOOL_GENL_NAME: &str = "ethtool";
pub const ETHTOOL_GENL_VERSION: u8 = 1;

// ethtool commands, userspace to kernel.
pub const ETHTOOL_MSG_STRSET_GET: u8 = 1;
pub const ETHTOOL_MSG_LINKMODES_GET: u8 = 4;
pub const ETHTOOL_MSG_LINKMODES_SET: u8 = 5;
pub const ETHTOOL_MSG_FEATURES_GET: u8 = 11;
pub const ETHTOOL_MSG_FEATURES_SET: u8 = 12;
pub const ETHTOOL_MSG_RINGS_GET: u8 = 15;
pub const ETHTOOL_MSG_RINGS_SET: u8 = 16;
pub const ETHTOOL_MSG_CHANNELS_GET: u8 = 17;
pub const ETHTOOL_MSG_CHANNELS_SET: u8 = 18;

// ethtool commands, kernel to userspace (a separate enum from the above).
pub const ETHTOOL_MSG_STRSET_GET_REPLY: u8 = 1;
pub const ETHTOOL_MSG_LINKMODES_GET_REPLY: u8 = 4;
pub const ETHTOOL_MSG_FEATURES_GET_REPLY: u8 = 11;
pub const ETHTOOL_MSG_FEATURES_SET_REPLY: u8 = 12;
pub const ETHTOOL_MSG_RINGS_GET_REPLY: u8 = 16;
pub const ETHTOOL_MSG_CHANNELS_GET_REPLY: u8 = 18;

// Request header (ETHTOOL_A_HEADER_*) and its flags.
pub const ETHTOOL_A_HEADER_DEV_INDEX: u16 = 1;
pub const ETHTOOL_A_HEADER_DEV_NAME: u16 = 2;
pub const ETHTOOL_A_HEADER_FLAGS: u16 = 3;
pub const ETHTOOL_FLAG_COMPACT_BITSETS: u32 = 1 << 0;
pub const ETHTOOL_FLAG_OMIT_REPLY: u32 = 1 << 1;

// Bitsets (ETHTOOL_A_BITSET_*, _BITS_*, _BIT_*).
pub const ETHTOOL_A_BITSET_NOMASK: u16 = 1;
pub const ETHTOOL_A_BITSET_SIZE: u16 = 2;
pub const ETHTOOL_A_BITSET_BITS: u16 = 3;
pub const ETHTOOL_A_BITSET_VALUE: u16 = 4;
pub const ETHTOOL_A_BITSET_MASK: u16 = 5;
pub const ETHTOOL_A_BITSET_BITS_BIT: u16 = 1;
pub const ETHTOOL_A_BITSET_BIT_INDEX: u16 = 1;
pub const ETHTOOL_A_BITSET_BIT_NAME: u16 = 2;
pub const ETHTOOL_A_BITSET_BIT_VALUE: u16 = 3;

// String sets (ETHTOOL_A_STRSET_*, _STRINGSETS_*, _STRINGSET_*, _STRINGS_*, _STRING_*).
pub const ETHTOOL_A_STRSET_HEADER: u16 = 1;
pub const ETHTOOL_A_STRSET_STRINGSETS: u16 = 2;
pub const ETHTOOL_A_STRINGSETS_STRINGSET: u16 = 1;
pub const ETHTOOL_A_STRINGSET_ID: u16 = 1;
pub const ETHTOOL_A_STRINGSET_COUNT: u16 = 2;
pub const ETHTOOL_A_STRINGSET_STRINGS: u16 = 3;
pub const ETHTOOL_A_STRINGS_STRING: u16 = 1;
pub const ETHTOOL_A_STRING_INDEX: u16 = 1;
pub const ETHTOOL_A_STRING_VALUE: u16 = 2;
/// `ETH_SS_FEATURES` (linux/ethtool.h `enum ethtool_stringset`): netdev feature names.
pub const ETH_SS_FEATURES: u32 = 4;

// Features (ETHTOOL_A_FEATURES_*).
pub const ETHTOOL_A_FEATURES_HEADER: u16 = 1;
pub const ETHTOOL_A_FEATURES_HW: u16 = 2;
pub const ETHTOOL_A_FEATURES_WANTED: u16 = 3;
pub const ETHTOOL_A_FEATURES_ACTIVE: u16 = 4;
pub const ETHTOOL_A_FEATURES_NOCHANGE: u16 = 5;

// Link modes (ETHTOOL_A_LINKMODES_*).
pub const ETHTOOL_A_LINKMODES_HEADER: u16 = 1;
pub const ETHTOOL_A_LINKMODES_AUTONEG: u16 = 2;
pub const ETHTOOL_A_LINKMODES_OURS: u16 = 3;
pub const ETHTOOL_A_LINKMODES_SPEED: u16 = 5;
pub const ETHTOOL_A_LINKMODES_DUPLEX: u16 = 6;
/// `SPEED_UNKNOWN` (linux/ethtool.h) as the u32 the kernel sends.
pub const SPEED_UNKNOWN: u32 = u32::MAX;
pub const DUPLEX_HALF: u8 = 0;
pub const DUPLEX_FULL: u8 = 1;
pub const DUPLEX_UNKNOWN: u8 = 0xff;

// Rings (ETHTOOL_A_RINGS_*).
pub const ETHTOOL_A_RINGS_HEADER: u16 = 1;
pub const ETHTOOL_A_RINGS_RX_MAX: u16 = 2;
pub const ETHTOOL_A_RINGS_RX_MINI_MAX: u16 = 3;
pub const ETHTOOL_A_RINGS_RX_JUMBO_MAX: u16 = 4;
pub const ETHTOOL_A_RINGS_TX_MAX: u16 = 5;
pub const ETHTOOL_A_RINGS_RX: u16 = 6;
pub const ETHTOOL_A_RINGS_RX_MINI: u16 = 7;
pub const ETHTOOL_A_RINGS_RX_JUMBO: u16 = 8;
pub const ETHTOOL_A_RINGS_TX: u16 = 9;

// Channels (ETHTOOL_A_CHANNELS_*).
pub const ETHTOOL_A_CHANNELS_HEADER: u16 = 1;
pub const ETHTOOL_A_CHANNELS_RX_MAX: u16 = 2;
pub const ETHTOOL_A_CHANNELS_TX_MAX: u16 = 3;
pub const ETHTOOL_A_CHANNELS_OTHER_MAX: u16 = 4;
pub const ETHTOOL_A_CHANNELS_COMBINED_MAX: u16 = 5;
pub const ETHTOOL_A_CHANNELS_RX_COUNT: u16 = 6;
pub const ETHTOOL_A_CHANNELS_TX_COUNT: u16 = 7;
pub const ETHTOOL_A_CHANNELS_OTHER_COUNT: u16 = 8;
pub const ETHTOOL_A_CHANNELS_COMBINED_COUNT: u16 = 9;

// Address ownership (linux/if_addr.h, Linux 5.18+: IFA_PROTO, IFAPROT_*).
pub const IFA_PROTO: u16 = nl::IFA_PROTO as u16;
pub const IFAPROT_UNSPEC: u8 = nl::IFAPROT_UNSPEC as u8;
pub const IFAPROT_KERNEL_LO: u8 = nl::IFAPROT_KERNEL_LO as u8;
pub const IFAPROT_KERNEL_RA: u8 = nl::IFAPROT_KERNEL_RA as u8;
pub const IFAPROT_KERNEL_LL: u8 = nl::IFAPROT_KERNEL_LL as u8;
/// The `IFA_PROTO` netplug marks the addresses it adds with, so a read-back tells them from
/// addresses added by hand, by DHCP clients or by the kernel (the kernel defines 0–3 only).
/// The same number as [`RTPROT_NETPLUG`], so one name reads for both in iproute2's tables.
pub const IFA_PROTO_NETPLUG: u8 = 176;
/// The route protocol of the default route a `<static gateway=..>` adds. It differs from
/// [`RTPROT_NETPLUG`] (`<route>`s) so the static and routes plugins never remove each other's
/// routes; 177 is unused by linux/rtnetlink.h and iproute2's `rt_protos` too.
pub const RTPROT_NETPLUG_GATEWAY: u8 = 177;
/// `RTNH_F_ONLINK` (linux/rtnetlink.h): in `rtm_flags`, use the gateway even though no subnet
/// of the output interface contains it.
pub const RTNH_F_ONLINK: u32 = nl::RTNH_F_ONLINK;
/// `RTNH_F_DEAD`/`RTNH_F_LINKDOWN`: state bits the kernel adds to `rtm_flags` of a dump.
pub const RTNH_F_DEAD: u32 = nl::RTNH_F_DEAD;
pub const RTNH_F_LINKDOWN: u32 = nl::RTNH_F_LINKDOWN;

/// The `IFA_PROTO` (linux/if_addr.h, kernel 6.1+) netplug's DHCP plugin marks leased addresses
/// with, so neither it nor the static plugin (176) removes the other's addresses and a read-back
/// tells a lease from a static address. 178 is beside netplug's route protocols and unused by
/// the kernel's `IFAPROT_*` (0–3).
pub const IFA_PROTO_NETPLUG_DHCP: u8 = 178;

// VLAN flags in `struct ifla_vlan_flags` (linux/if_vlan.h `enum vlan_flags`; not in
// linux-raw-sys). `IFLA_VLAN_FLAGS` carries `flags` and a `mask` saying which of them to change.
pub const VLAN_FLAG_REORDER_HDR: u32 = 0x1;
pub const VLAN_FLAG_GVRP: u32 = 0x2;
pub const VLAN_FLAG_LOOSE_BINDING: u32 = 0x4;
pub const VLAN_FLAG_MVRP: u32 = 0x8;
pub const VLAN_FLAG_BRIDGE_BINDING: u32 = 0x10;

/// The VLAN tag protocols (`IFLA_VLAN_PROTOCOL`, big-endian on the wire; linux/if_ether.h).
pub const ETH_P_8021Q: u16 = 0x8100;
pub const ETH_P_8021AD: u16 = 0x88a8;
/// `RTA_METRICS` (linux/rtnetlink.h): a nest of `RTAX_*` u32 values.
pub const RTA_METRICS: u16 = nl::rtattr_type_t::RTA_METRICS as u16;
/// `RTAX_INITRWND`: the initial TCP receive window a route advertises. A route that refuses
/// (unreachable, blackhole, prohibit) never carries a connection, so the routes plugin keeps
/// the name of the interface that declared it there (see netplug-plugin-routes).
pub const RTAX_INITRWND: u16 = nl::RTAX_INITRWND as u16;
