//! Every rule of the bond vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Plugin, Relation, Validation};
use netplug_plugin_testing::{diagnostic_lines, validate_xml};

use crate::BondPlugin;

fn validate(xml: &str) -> Validation {
    validate_xml(&BondPlugin, xml)
}

fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

fn help(xml: &str, index: usize) -> String {
    validate(xml).diagnostics[index].help.clone().unwrap_or_default()
}

#[test]
fn info_claims_the_bond_kind() {
    let info = BondPlugin.info();
    assert_eq!(info.name, "bond");
    assert_eq!(info.kinds, ["bond"]);
    assert!(info.elements.is_empty());
}

#[test]
fn a_good_bond_is_clean_and_declares_its_slaves() {
    let xml = r#"<bond name="bond0" mode="active-backup" miimon="100" updelay="200" startmode="onboot">
  <slave device="eth0" primary="yes"/>
  <slave device="eth1"/>
  <static ipaddr="10.0.0.1/24"/>
</bond>"#;
    let v = validate(xml);
    assert_eq!(v.diagnostics, []);
    let deps: Vec<_> = v
        .dependencies
        .iter()
        .map(|d| (d.from.as_str(), d.to.as_str(), d.relation, d.span.line, d.span.col))
        .collect();
    assert_eq!(
        deps,
        [("eth0", "bond0", Relation::Member, 2, 18), ("eth1", "bond0", Relation::Member, 3, 18)]
    );
}

#[test]
fn modes_are_kernel_names_or_numbers() {
    assert_eq!(diags(r#"<bond name="b" mode="4" xmit_hash_policy="layer3+4"/>"#), Vec::<String>::new());
    let xml = r#"<bond name="b" mode="active-bakup" miimon="100"/>"#;
    assert_eq!(
        diags(xml),
        ["1:22 error mode: invalid mode `active-bakup`: expected one of balance-rr, active-backup, balance-xor, \
          broadcast, 802.3ad, balance-tlb, balance-alb"]
    );
    assert_eq!(help(xml, 0), "did you mean `active-backup`?");
    assert_eq!(diags(r#"<bond name="b" mode="7" miimon="100"/>"#).len(), 1);
}

#[test]
fn unknown_attributes_and_children_are_reported_with_hints() {
    let xml = r#"<bond name="b" miimom="100" startmod="onboot">
  <slav device="eth0"/>
  <statc ipaddr="10.0.0.1/24"/>
</bond>"#;
    assert_eq!(
        diags(xml),
        [
            "1:16 error miimom: unknown attribute `miimom` on <bond>",
            "1:29 error startmod: unknown attribute `startmod` on <bond>",
            "2:3 error slav: unknown element <slav> in <bond>",
            "3:3 error statc: unknown element <statc> in <bond>",
            "1:1 warning miimon: no link monitoring: a failed slave will not be detected",
        ]
    );
    assert_eq!(help(xml, 0), "did you mean `miimon`?");
    assert_eq!(help(xml, 1), "did you mean `startmode`?");
    assert_eq!(help(xml, 2), "did you mean <slave>?");
    assert_eq!(help(xml, 3), "did you mean <static>?");
}

#[test]
fn numbers_are_checked_against_kernel_ranges() {
    assert_eq!(
        diags(r#"<bond name="b" miimon="-1" arp_missed_max="0" ad_user_port_key="1024" mode="802.3ad"/>"#),
        [
            "1:24 error miimon: invalid miimon `-1`: expected a non-negative integer",
            "1:44 error arp_missed_max: invalid arp_missed_max `0`: must be between 1 and 255",
            "1:65 error ad_user_port_key: invalid ad_user_port_key `1024`: must be between 0 and 1023",
            "1:28 error arp_missed_max: arp_missed_max is not supported in 802.3ad mode; the kernel accepts it \
             only in balance-rr, active-backup, balance-xor, broadcast",
        ]
    );
}

#[test]
fn miimon_and_arp_interval_exclude_each_other() {
    let xml = r#"<bond name="b" miimon="100" arp_interval="200" arp_ip_target="10.0.0.1"/>"#;
    assert_eq!(diags(xml), ["1:29 error arp_interval: miimon and arp_interval are mutually exclusive"]);
    // Zero means off, so this is not a conflict.
    assert_eq!(
        diags(r#"<bond name="b" miimon="0" arp_interval="200" arp_ip_target="10.0.0.1"/>"#),
        Vec::<String>::new()
    );
}

#[test]
fn delays_need_miimon_and_should_be_multiples_of_it() {
    assert_eq!(
        diags(r#"<bond name="b" arp_interval="100" arp_ip_target="10.0.0.1" updelay="200"/>"#),
        ["1:60 error updelay: updelay needs MII monitoring"]
    );
    assert_eq!(
        diags(r#"<bond name="b" miimon="100" downdelay="250" peer_notif_delay="300"/>"#),
        ["1:40 warning downdelay: downdelay=250 is not a multiple of miimon=100; the kernel rounds it down to 200"]
    );
    // 802.3ad cannot use ARP, so the kernel turns MII monitoring on at 100 ms by itself.
    assert_eq!(diags(r#"<bond name="b" mode="802.3ad" updelay="200"/>"#), Vec::<String>::new());
    assert_eq!(
        diags(r#"<bond name="b" mode="balance-alb" updelay="150"/>"#),
        ["1:44 warning updelay: updelay=150 is not a multiple of miimon=100; the kernel rounds it down to 100"]
    );
    // A zero delay is what the kernel has anyway.
    assert_eq!(
        diags(r#"<bond name="b" updelay="0" arp_interval="100" arp_ip_target="10.0.0.1"/>"#),
        Vec::<String>::new()
    );
}

#[test]
fn arp_targets_are_checked_one_by_one() {
    let xml = r#"<bond name="b" arp_interval="100" arp_ip_target="10.0.0.1, 10.0.0.x,0.1.2.3 255.255.255.255,10.0.0.1"/>"#;
    assert_eq!(
        diags(xml),
        [
            "1:60 error arp_ip_target: invalid arp_ip_target `10.0.0.x`: expected an IPv4 address",
            "1:69 error arp_ip_target: invalid arp_ip_target `0.1.2.3`: the kernel refuses 0.0.0.0/8 and \
             255.255.255.255 as ARP targets",
            "1:77 error arp_ip_target: invalid arp_ip_target `255.255.255.255`: the kernel refuses 0.0.0.0/8 and \
             255.255.255.255 as ARP targets",
            "1:93 error arp_ip_target: invalid arp_ip_target `10.0.0.1`: already listed at 1:50",
        ]
    );
    let many: Vec<String> = (1..=17).map(|i| format!("10.0.0.{i}")).collect();
    let xml = format!(r#"<bond name="b" arp_interval="100" arp_ip_target="{}"/>"#, many.join(" "));
    assert_eq!(
        diags(&xml),
        ["1:201 error arp_ip_target: invalid arp_ip_target `10.0.0.17`: a bond has at most 16 ARP targets"]
    );
}

#[test]
fn arp_monitoring_needs_targets_and_targets_need_monitoring() {
    assert_eq!(
        diags(r#"<bond name="b" arp_interval="100"/>"#),
        ["1:16 warning arp_interval: ARP monitoring without arp_ip_target: no slave will ever be seen up"]
    );
    assert_eq!(
        diags(r#"<bond name="b" miimon="100" arp_ip_target="10.0.0.1"/>"#),
        ["1:29 warning arp_ip_target: arp_ip_target has no effect without arp_interval"]
    );
}

#[test]
fn options_the_kernel_refuses_in_the_mode_are_errors() {
    assert_eq!(
        diags(r#"<bond name="b" mode="active-backup" miimon="100" lacp_rate="fast" tlb_dynamic_lb="no"/>"#),
        [
            "1:50 error lacp_rate: lacp_rate is not supported in active-backup mode; the kernel accepts it only in \
             802.3ad",
            "1:67 error tlb_dynamic_lb: tlb_dynamic_lb is not supported in active-backup mode; the kernel accepts it \
             only in balance-tlb, balance-alb",
        ]
    );
    // No mode means balance-rr, the kernel's default.
    assert_eq!(
        diags(r#"<bond name="b" miimon="100" ad_actor_sys_prio="100"/>"#),
        ["1:29 error ad_actor_sys_prio: ad_actor_sys_prio is not supported in balance-rr mode; the kernel accepts \
          it only in 802.3ad"]
    );
    assert_eq!(
        diags(r#"<bond name="b" mode="802.3ad" arp_interval="100" arp_ip_target="10.0.0.1" packets_per_slave="2"/>"#),
        [
            "1:31 error arp_interval: arp_interval is not supported in 802.3ad mode; the kernel accepts it only in \
             balance-rr, active-backup, balance-xor, broadcast",
            "1:75 error packets_per_slave: packets_per_slave is not supported in 802.3ad mode; the kernel accepts it \
             only in balance-rr",
        ]
    );
    let ok = r#"<bond name="b" mode="802.3ad" lacp_rate="fast" lacp_active="yes" ad_select="bandwidth" min_links="1"
        ad_actor_sys_prio="100" ad_user_port_key="3" ad_actor_system="02:00:00:00:00:01" xmit_hash_policy="layer3+4"/>"#;
    assert_eq!(diags(ok), Vec::<String>::new());
}

#[test]
fn options_the_kernel_ignores_in_the_mode_are_warnings() {
    assert_eq!(
        diags(r#"<bond name="b" mode="active-backup" miimon="100" xmit_hash_policy="layer2+3" lp_interval="5"/>"#),
        [
            "1:50 warning xmit_hash_policy: xmit_hash_policy has no effect in active-backup mode; it is used in \
             balance-xor, 802.3ad, balance-tlb",
            "1:78 warning lp_interval: lp_interval has no effect in active-backup mode; it is used in balance-tlb, \
             balance-alb",
        ]
    );
    assert_eq!(
        diags(r#"<bond name="b" mode="balance-xor" miimon="100" fail_over_mac="active" min_links="2" ad_select="count"/>"#),
        [
            "1:48 warning fail_over_mac: fail_over_mac has no effect in balance-xor mode; it is used in active-backup",
            "1:71 warning min_links: min_links has no effect in balance-xor mode; it is used in 802.3ad",
            "1:85 warning ad_select: ad_select has no effect in balance-xor mode; it is used in 802.3ad",
        ]
    );
}

#[test]
fn a_bond_without_link_monitoring_is_warned_about() {
    assert_eq!(
        diags("<bond name=\"b\" mode=\"active-backup\">\n  <slave device=\"eth0\"/>\n</bond>"),
        ["1:1 warning miimon: no link monitoring: a failed slave will not be detected"]
    );
}

#[test]
fn num_grat_arp_and_num_unsol_na_are_one_setting() {
    assert_eq!(
        diags(r#"<bond name="b" miimon="100" num_grat_arp="2" num_unsol_na="3"/>"#),
        ["1:60 error num_unsol_na: num_unsol_na=3 contradicts num_grat_arp=2"]
    );
    assert_eq!(
        diags(r#"<bond name="b" miimon="100" num_grat_arp="2" num_unsol_na="2"/>"#),
        Vec::<String>::new()
    );
}

#[test]
fn ad_actor_system_is_a_unicast_mac() {
    assert_eq!(
        diags(r#"<bond name="b" mode="802.3ad" ad_actor_system="01:00:5e:00:00:01"/>"#),
        ["1:48 error ad_actor_system: invalid ad_actor_system `01:00:5e:00:00:01`: a multicast MAC address cannot \
          identify an LACP system"]
    );
    assert_eq!(
        diags(r#"<bond name="b" mode="802.3ad" ad_actor_system="02:00"/>"#),
        ["1:48 error ad_actor_system: invalid ad_actor_system `02:00`: expected a MAC address like 02:00:00:00:00:01"]
    );
}

#[test]
fn slaves_need_a_valid_unique_device() {
    let xml = r#"<bond name="bond0" miimon="100">
  <slave primary="no"/>
  <slave device="eth0"/>
  <slave device="eth0"/>
  <slave device="bond0"/>
  <slave device="a/b" prio="1">text</slave>
</bond>"#;
    assert_eq!(
        diags(xml),
        [
            "2:3 error device: <slave> needs a `device` attribute",
            "4:18 error device: eth0 is already a slave of bond0 (at 3:18)",
            "5:18 error device: bond0 cannot be a slave of itself",
            "6:23 error prio: unknown attribute `prio` on <slave>",
            "6:3 error slave: <slave> takes no text",
            "6:18 error device: invalid device `a/b`: an interface name cannot contain `/`, `:` or whitespace",
        ]
    );
    assert_eq!(validate(xml).dependencies.len(), 1);
}

#[test]
fn primary_is_for_active_backup_tlb_and_alb_and_there_is_one() {
    let xml = r#"<bond name="b" mode="balance-xor" miimon="100">
  <slave device="eth0" primary="yes"/>
</bond>"#;
    assert_eq!(
        diags(xml),
        ["2:24 error primary: primary is not supported in balance-xor mode; the kernel accepts it only in \
          active-backup, balance-tlb, balance-alb"]
    );
    let xml = r#"<bond name="b" mode="active-backup" miimon="100">
  <slave device="eth0" primary="yes"/>
  <slave device="eth1" primary="yes"/>
  <slave device="eth2" primary="maybe"/>
</bond>"#;
    assert_eq!(
        diags(xml),
        [
            "3:33 error primary: a bond has only one primary slave",
            "4:33 error primary: invalid primary `maybe`: expected yes or no",
        ]
    );
    assert_eq!(help(xml, 0), "the first primary is at 2:33");
    assert_eq!(
        diags(r#"<bond name="b" mode="balance-tlb"><slave device="eth0" primary="yes"/></bond>"#),
        Vec::<String>::new()
    );
}
