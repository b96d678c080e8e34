//! The plugin against the real kernel, called directly (the crate is an rlib too), each test in
//! a network namespace of its own. Needs root; run with `cargo test`.

use netplug_plugin_ifb::IfbPlugin;
use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{Change, Plugin};
use netplug_plugin_testing::{converge, in_new_netns, items_from_xml, replan};

fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{} {}", c.interface, c.description)).collect()
}

#[test]
fn devices_are_created_read_back_changed_and_deleted() {
    in_new_netns(|| {
        let p = IfbPlugin;
        let scope = vec!["ifb0".to_string(), "ifb1".to_string()];
        let want = items_from_xml(
            &p,
            r#"<interfaces>
  <ifb name="ifb0" mtu="9000"/>
  <ifb name="ifb1" state="down"><hwaddr>02:00:00:00:00:01</hwaddr></ifb>
</interfaces>"#,
        );
        assert_eq!(
            lines(&converge(&p, &want, &scope)),
            ["ifb0 create ifb", "ifb1 create ifb", "ifb0 set up"]
        );

        // Read back independently of the plugin, straight from the kernel.
        let mut sock = Socket::route().unwrap();
        let ifb0 = sock.link_by_name("ifb0").unwrap().expect("ifb0 exists");
        assert_eq!((ifb0.kind.as_deref(), ifb0.mtu, ifb0.is_up()), (Some("ifb"), Some(9000), true));
        let ifb1 = sock.link_by_name("ifb1").unwrap().expect("ifb1 exists");
        assert_eq!((ifb1.address.as_deref(), ifb1.is_up()), (Some(&[2, 0, 0, 0, 0, 1][..]), false));
        assert_eq!(replan(&p, &want, &scope), Vec::<String>::new(), "a second run changes nothing");

        let want = items_from_xml(&p, r#"<ifb name="ifb0" mtu="1400"/>"#);
        assert_eq!(lines(&converge(&p, &want, &scope)), ["ifb1 delete ifb", "ifb0 set mtu 1400 (was 9000)"]);
        assert!(sock.link_by_name("ifb1").unwrap().is_none());
        assert_eq!(replan(&p, &want, &scope), Vec::<String>::new());
    });
}

#[test]
fn a_kernel_error_names_the_change_and_the_device() {
    in_new_netns(|| {
        let p = IfbPlugin;
        let mut sock = Socket::route().unwrap();
        sock.request(LinkMessage::create("ifb0", "bridge").build()).unwrap();
        let scope = vec!["ifb0".to_string()];
        let live = p.read(Some(&scope)).unwrap();
        assert!(live.is_empty(), "a bridge is not an ifb: {live:#?}");
        let changes = p.plan(&items_from_xml(&p, r#"<ifb name="ifb0"/>"#), &live, &scope).unwrap();
        let err = p.apply(&changes).unwrap_err();
        const EEXIST: i32 = 17;
        assert_eq!(
            (err.index, err.error.interface.as_deref(), err.error.errno),
            (0, Some("ifb0"), Some(EEXIST))
        );
    });
}
