//! The bond's value enumerations, named and numbered as the kernel's `bond_options.c` tables
//! are, so a document may say `mode="802.3ad"` or `mode="4"` and read-back prints the name.

use netplug_plugin_sdk::kernel_enum;

kernel_enum! {
    /// How a bond spreads traffic over its slaves (`BOND_MODE_*`).
    pub enum BondMode: u8 {
        BalanceRr = 0 => "balance-rr",
        ActiveBackup = 1 => "active-backup",
        BalanceXor = 2 => "balance-xor",
        Broadcast = 3 => "broadcast",
        Ieee8023Ad = 4 => "802.3ad",
        BalanceTlb = 5 => "balance-tlb",
        BalanceAlb = 6 => "balance-alb",
    }
}

impl BondMode {
    /// Whether the mode may use ARP monitoring. The kernel (`bond_mode_uses_arp`) refuses ARP
    /// options in the others, and when switching to them turns MII monitoring on at 100 ms.
    pub fn uses_arp(self) -> bool {
        !matches!(self, BondMode::Ieee8023Ad | BondMode::BalanceTlb | BondMode::BalanceAlb)
    }
}

kernel_enum! {
    /// Which header fields choose the slave in balance-xor, 802.3ad and balance-tlb
    /// (`BOND_XMIT_POLICY_*`).
    pub enum XmitHashPolicy: u8 {
        Layer2 = 0 => "layer2",
        Layer34 = 1 => "layer3+4",
        Layer23 = 2 => "layer2+3",
        Encap23 = 3 => "encap2+3",
        Encap34 = 4 => "encap3+4",
        VlanSrcMac = 5 => "vlan+srcmac",
    }
}

kernel_enum! {
    /// Which ARP probes and replies count as proof a slave is up (`BOND_ARP_VALIDATE_*`).
    pub enum ArpValidate: u8 {
        None = 0 => "none",
        Active = 1 => "active",
        Backup = 2 => "backup",
        All = 3 => "all",
        Filter = 4 => "filter",
        FilterActive = 5 => "filter_active",
        FilterBackup = 6 => "filter_backup",
    }
}

kernel_enum! {
    /// Whether a slave is down when any or all ARP targets stop answering.
    pub enum ArpAllTargets: u8 {
        Any = 0 => "any",
        All = 1 => "all",
    }
}

kernel_enum! {
    /// When the primary slave takes over again after it comes back (`BOND_PRI_RESELECT_*`).
    pub enum PrimaryReselect: u8 {
        Always = 0 => "always",
        Better = 1 => "better",
        Failure = 2 => "failure",
    }
}

kernel_enum! {
    /// How active-backup handles the slaves' MAC addresses on failover (`BOND_FOM_*`).
    pub enum FailOverMac: u8 {
        None = 0 => "none",
        Active = 1 => "active",
        Follow = 2 => "follow",
    }
}

kernel_enum! {
    /// The LACPDU rate 802.3ad asks its partner for.
    pub enum LacpRate: u8 {
        Slow = 0 => "slow",
        Fast = 1 => "fast",
    }
}

kernel_enum! {
    /// How 802.3ad picks the active aggregator (`BOND_AD_*`).
    pub enum AdSelect: u8 {
        Stable = 0 => "stable",
        Bandwidth = 1 => "bandwidth",
        Count = 2 => "count",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_by_name_and_number() {
        for (i, name) in BondMode::NAMES.iter().enumerate() {
            let by_name: BondMode = name.parse().unwrap();
            let by_number: BondMode = i.to_string().parse().unwrap();
            assert_eq!(by_name, by_number);
            assert_eq!(by_name.to_string(), *name);
            assert_eq!(usize::from(by_name.value()), i);
        }
        assert!("7".parse::<BondMode>().is_err());
        assert!("balance".parse::<BondMode>().is_err());
        assert_eq!(BondMode::from(9), BondMode::Other(9));
        assert!(!BondMode::Ieee8023Ad.uses_arp());
        assert!(BondMode::ActiveBackup.uses_arp());
    }

    #[test]
    fn other_tables_use_kernel_names() {
        assert_eq!("layer3+4".parse::<XmitHashPolicy>(), Ok(XmitHashPolicy::Layer34));
        assert_eq!("5".parse::<XmitHashPolicy>(), Ok(XmitHashPolicy::VlanSrcMac));
        assert_eq!(ArpValidate::FilterBackup.to_string(), "filter_backup");
        assert_eq!("fast".parse::<LacpRate>(), Ok(LacpRate::Fast));
        assert_eq!(AdSelect::from(2), AdSelect::Count);
        assert_eq!(PrimaryReselect::Failure.value(), 2);
        assert_eq!(FailOverMac::Follow.value(), 2);
        assert_eq!(ArpAllTargets::All.value(), 1);
    }
}
