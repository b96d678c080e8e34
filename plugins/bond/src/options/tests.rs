//! Option values between the format's text, the kernel's numbers and netlink bytes.

use super::*;

#[test]
fn modes_and_enums_take_names_and_numbers_and_print_names() {
    let mode = find("mode").unwrap();
    for (i, name) in BondMode::NAMES.iter().enumerate() {
        let by_name = mode.parse(name).unwrap();
        assert_eq!(mode.parse(&i.to_string()), Some(by_name.clone()));
        assert_eq!(mode.format(&by_name), *name);
    }
    let policy = find("xmit_hash_policy").unwrap();
    assert_eq!(policy.format(&policy.parse("1").unwrap()), "layer3+4");
    let rate = find("lacp_rate").unwrap();
    assert_eq!(rate.parse("fast"), Some(Value::Num(1)));
    assert_eq!(find("use_carrier").unwrap().format(&Value::Num(1)), "yes");
    assert_eq!(mode.parse("balance"), None);
}

#[test]
fn delays_compare_as_the_kernel_stores_them() {
    let up = find("updelay").unwrap();
    assert!(up.same(&Value::Num(250), &Value::Num(200), 100), "rounded down to the MII interval");
    assert!(!up.same(&Value::Num(300), &Value::Num(200), 100));
    assert!(up.same(&Value::Num(0), &Value::Num(0), 0));
    assert_eq!(effective_miimon(None, None, Some(BondMode::Ieee8023Ad)), 100);
    assert_eq!(effective_miimon(None, None, Some(BondMode::ActiveBackup)), 0);
    assert_eq!(effective_miimon(Some(50), Some(100), None), 50);
    assert_eq!(effective_miimon(None, Some(100), None), 100);
}

#[test]
fn targets_compare_as_sets_and_print_with_commas() {
    let t = find("arp_ip_target").unwrap();
    let a = t.parse("10.0.0.2, 10.0.0.1").unwrap();
    let b = t.parse("10.0.0.1 10.0.0.2").unwrap();
    assert!(t.same(&a, &b, 0));
    assert_eq!(t.format(&b), "10.0.0.1,10.0.0.2");
    assert_eq!(t.parse(""), Some(Value::Targets(vec![])));
    assert_eq!(t.parse("10.0.0.x"), None);
}

#[test]
fn info_data_bytes() {
    let opts = [("mode".to_string(), "802.3ad".to_string()), ("arp_ip_target".into(), "10.0.0.1".into())];
    let data = info_data(&opts, Some(7)).unwrap();
    #[rustfmt::skip]
    let expected: Vec<u8> = [
        &[5u8, 0, nl::IFLA_BOND_MODE as u8, 0, 4, 0, 0, 0][..],   // IFLA_BOND_MODE 4 + pad
        &[12, 0, nl::IFLA_BOND_ARP_IP_TARGET as u8, 0x80],         // nested targets
        &[8, 0, 0, 0, 10, 0, 0, 1],                                //   [0] 10.0.0.1
        &[8, 0, nl::IFLA_BOND_PRIMARY as u8, 0], &7u32.to_ne_bytes(), // IFLA_BOND_PRIMARY 7
    ]
    .concat();
    assert_eq!(data.as_bytes(), &expected[..]);
    let mac = info_data(&[("ad_actor_system".into(), "02:00:00:00:00:01".into())], None).unwrap();
    assert_eq!(&mac.as_bytes()[4..10], &[2, 0, 0, 0, 0, 1]);
    assert!(info_data(&[("mode".into(), "9".into())], None).is_err());
}

#[test]
fn an_unset_actor_system_reads_as_absent() {
    let o = find("ad_actor_system").unwrap();
    let mut b = AttrBuilder::new();
    b.put(o.attr, &[0; 6]);
    assert_eq!(o.get(Attrs::new(b.as_bytes())), None);
    let t = find("arp_ip_target").unwrap();
    assert_eq!(t.get(Attrs::new(&[])), Some(Value::Targets(vec![])), "no targets is an empty list");
}
