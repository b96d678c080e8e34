//! The dummy plugin against a real kernel, each test in a network namespace of its own.
//!
//! The development hosts' kernels have no dummy links, so every test is `#[ignore]`d: the host
//! reports them as ignored, and `cargo xtask vm-test` runs them (with `--include-ignored`) in a
//! Debian kernel that has the module.

use netplug_plugin_dummy::DummyPlugin;
use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, LinkState, Plugin};
use netplug_plugin_testing::{in_new_netns, names};

fn dummy(name: &str, state: LinkState, mtu: Option<u32>, mac: Option<&str>, master: Option<&str>) -> Item {
    let envelope = Envelope {
        name: name.into(),
        kind: "dummy".into(),
        state,
        mtu,
        mac: mac.map(str::to_string),
        master: master.map(str::to_string),
        ..Envelope::default()
    };
    Item {
        interface: name.into(),
        kind: "dummy".into(),
        envelope: Some(envelope),
        element: Element::new("dummy"),
    }
}

fn read(scope: &[String]) -> Vec<Item> {
    DummyPlugin.read(Some(scope)).unwrap()
}

fn converge(desired: &[Item], scope: &[String]) -> Vec<Change> {
    netplug_plugin_testing::converge(&DummyPlugin, desired, scope)
}

fn replan(desired: &[Item], scope: &[String]) -> Vec<String> {
    netplug_plugin_testing::replan(&DummyPlugin, desired, scope)
}

fn envelope(item: &Item) -> &Envelope {
    item.envelope.as_ref().unwrap()
}

#[test]
#[ignore = "needs the dummy module: runs in the qemu guest (cargo xtask vm-test)"]
fn every_setting_reads_back_and_replans_to_nothing() {
    in_new_netns(|| {
        let scope = names(&["svc0", "svc1"]);
        // An upper-case MAC is the kernel's lower-case one: no change on the next run.
        let want = [
            dummy("svc0", LinkState::Up, Some(9000), Some("02:00:5E:00:53:01"), None),
            dummy("svc1", LinkState::Down, None, None, None),
        ];
        let changes = converge(&want, &scope);
        assert_eq!(changes.len(), 3, "two creates and one set-up: {changes:?}");
        let live = read(&scope);
        assert_eq!(live.iter().map(|i| i.interface.as_str()).collect::<Vec<_>>(), ["svc0", "svc1"]);
        let svc0 = envelope(&live[0]);
        assert_eq!(
            (svc0.mtu, svc0.mac.as_deref(), svc0.state),
            (Some(9000), Some("02:00:5e:00:53:01"), LinkState::Up)
        );
        assert_eq!((envelope(&live[1]).mtu, envelope(&live[1]).state), (Some(1500), LinkState::Down));
        assert_eq!(replan(&want, &scope), Vec::<String>::new());
        assert_eq!(replan(&live, &scope), Vec::<String>::new(), "a read item fed back plans nothing");
    });
}

#[test]
#[ignore = "needs the dummy module: runs in the qemu guest (cargo xtask vm-test)"]
fn mtu_mac_and_state_change_in_place() {
    in_new_netns(|| {
        let scope = names(&["svc0"]);
        converge(&[dummy("svc0", LinkState::Up, Some(9000), Some("02:00:5e:00:53:01"), None)], &scope);
        let before = envelope(&read(&scope)[0]).ifindex;
        let want = [dummy("svc0", LinkState::Down, Some(1400), Some("02:00:5e:00:53:02"), None)];
        let changes: Vec<String> = converge(&want, &scope).iter().map(|c| c.description.clone()).collect();
        // In core's phase order: down first, then the configuration.
        assert_eq!(
            changes,
            ["set down", "set mtu 1400 (was 9000)", "set mac 02:00:5e:00:53:02 (was 02:00:5e:00:53:01)"]
        );
        let after = &read(&scope)[0];
        assert_eq!(envelope(after).ifindex, before, "the same link, not a new one");
        assert_eq!((envelope(after).mtu, envelope(after).state), (Some(1400), LinkState::Down));
    });
}

#[test]
#[ignore = "needs the dummy module: runs in the qemu guest (cargo xtask vm-test)"]
fn a_kernel_refusal_names_its_change() {
    in_new_netns(|| {
        // Another link already has b's name: its create fails, with the kernel's errno.
        let mut sock = Socket::route().unwrap();
        sock.request(LinkMessage::create("b", "veth").veth_peer("bp").build()).unwrap();
        let scope = names(&["a", "b"]);
        let want =
            [dummy("a", LinkState::Down, None, None, None), dummy("b", LinkState::Down, None, None, None)];
        let changes = DummyPlugin.plan(&want, &[], &scope).unwrap();
        let err = DummyPlugin.apply(&changes).unwrap_err();
        assert_eq!(changes[err.index].interface, "b", "{}", err.error);
        assert_eq!(err.error.errno, Some(17), "EEXIST: {}", err.error);
    });
}

#[test]
#[ignore = "needs the dummy module: runs in the qemu guest (cargo xtask vm-test)"]
fn dummies_absent_or_not_desired_are_deleted() {
    in_new_netns(|| {
        let scope = names(&["svc0", "svc1"]);
        converge(
            &[dummy("svc0", LinkState::Up, None, None, None), dummy("svc1", LinkState::Up, None, None, None)],
            &scope,
        );
        let changes = converge(&[dummy("svc0", LinkState::Absent, None, None, None)], &scope);
        assert_eq!(
            changes.iter().map(|c| c.description.as_str()).collect::<Vec<_>>(),
            ["delete dummy", "delete dummy"]
        );
        assert!(read(&scope).is_empty());
        assert!(converge(&[], &scope).is_empty(), "nothing left to delete");
    });
}
