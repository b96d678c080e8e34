//! `<ethtool>` against the real kernel on veths: offloads, channels, what the veth driver does
//! not have (rings, fixed features, link settings), and refusals the kernel only reports in its
//! reply.

mod common;

use std::io::ErrorKind;

use common::*;
use netplug_plugin_ethernet::ethtool::DeviceState;
use netplug_plugin_ethernet::EthernetPlugin;
use netplug_plugin_sdk::netlink::{Channels, Ethtool, LinkMessage, Socket};
use netplug_plugin_sdk::Plugin;
use netplug_plugin_testing::in_new_netns;

fn with_ethtool(xml: &str) -> Vec<netplug_plugin_sdk::Item> {
    desired(envelope("eth0"), Some(xml))
}

#[test]
fn offloads_go_off_and_back_on() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        assert_eq!(feature("eth0", "tx-checksum-ip-generic").as_deref(), Some("on"));
        assert_eq!(feature("eth0", "rx-gro").as_deref(), Some("off"));
        assert_eq!(feature("eth0", "loopback"), None, "fixed features are not reported");

        let off = with_ethtool(
            r#"<ethtool>
                <feature name="tx-checksum-ip-generic" state="off"/>
                <feature name="generic-receive-offload" state="on"/>
            </ethtool>"#,
        );
        let changes = converge(&off, &["eth0"]).unwrap();
        assert_eq!(
            described(&changes),
            ["eth0: set features tx-checksum-ip-generic off (was on), rx-gro on (was off)"]
        );
        assert_eq!(feature("eth0", "tx-checksum-ip-generic").as_deref(), Some("off"));
        assert_eq!(feature("eth0", "rx-gro").as_deref(), Some("on"));
        assert_eq!(plan(&off, &["eth0"]).unwrap(), [], "re-plan is empty");

        let on = with_ethtool(
            r#"<ethtool>
                <feature name="tx-checksum-ip-generic" state="on"/>
                <feature name="rx-gro" state="off"/>
            </ethtool>"#,
        );
        converge(&on, &["eth0"]).unwrap();
        assert_eq!(feature("eth0", "tx-checksum-ip-generic").as_deref(), Some("on"));
        assert_eq!(feature("eth0", "rx-gro").as_deref(), Some("off"));
        assert_eq!(plan(&on, &["eth0"]).unwrap(), []);
    });
}

#[test]
fn a_fixed_or_unknown_feature_is_a_plan_error() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        let err =
            plan(&with_ethtool(r#"<ethtool><feature name="loopback" state="on"/></ethtool>"#), &["eth0"])
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "eth0: feature loopback is fixed off by the driver; it cannot be turned on"
        );
        // Fixed, and already as desired: nothing to do.
        let fine = with_ethtool(r#"<ethtool><feature name="loopback" state="off"/></ethtool>"#);
        assert_eq!(plan(&fine, &["eth0"]).unwrap(), []);
        let err =
            plan(&with_ethtool(r#"<ethtool><feature name="rx-nope" state="on"/></ethtool>"#), &["eth0"])
                .unwrap_err();
        assert!(err.to_string().starts_with("eth0: unknown feature rx-nope"), "{err}");
    });
}

#[test]
fn a_feature_the_kernel_keeps_off_is_an_apply_error() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        // TCP segmentation needs checksumming: with it off, the kernel takes the request
        // without error and leaves segmentation off, saying so only in its reply.
        converge(
            &with_ethtool(r#"<ethtool><feature name="tx-checksum-ip-generic" state="off"/></ethtool>"#),
            &["eth0"],
        )
        .unwrap();
        assert_eq!(feature("eth0", "tx-tcp-segmentation").as_deref(), Some("off"));
        let want = with_ethtool(r#"<ethtool><feature name="tx-tcp-segmentation" state="on"/></ethtool>"#);
        let changes = plan(&want, &["eth0"]).unwrap();
        assert_eq!(described(&changes), ["eth0: set feature tx-tcp-segmentation on (was off)"]);
        let err = EthernetPlugin.apply(&changes).unwrap_err();
        assert_eq!(err.index, 0);
        assert_eq!(
            err.error.to_string(),
            "eth0: set feature tx-tcp-segmentation on (eth0 kept it off; it may depend on another feature)"
        );
    });
}

#[test]
fn veth_channels_change_and_read_back() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", false);
        let max = Ethtool::open().unwrap().channels("eth0").unwrap();
        let (_, ethtool) = read("eth0");
        let channels = ethtool.element.child("channels").expect("veths have channels");
        assert_eq!((channels.value("rx"), channels.value("tx")), (Some("1"), Some("1")));

        let want = with_ethtool(r#"<ethtool><channels rx="2" tx="1"/></ethtool>"#);
        if max.rx_max < Some(2) {
            // One CPU: the veth has one queue each way, and 2 is beyond the maximum.
            let err = plan(&want, &["eth0"]).unwrap_err();
            assert_eq!(err.to_string(), "eth0: channels rx 2 is beyond the driver's maximum of 1");
            return;
        }
        let changes = converge(&want, &["eth0"]).unwrap();
        assert_eq!(described(&changes), ["eth0: set channels rx 2 (was 1)", "eth0: set up"]);
        let live = Ethtool::open().unwrap().channels("eth0").unwrap();
        assert_eq!((live.rx, live.tx), (Some(2), Some(1)));
        assert_eq!(plan(&want, &["eth0"]).unwrap(), []);

        let beyond = max.rx_max.unwrap() + 1;
        let err = plan(&with_ethtool(&format!(r#"<ethtool><channels rx="{beyond}"/></ethtool>"#)), &["eth0"])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("eth0: channels rx {beyond} is beyond the driver's maximum of {}", beyond - 1)
        );
        let err =
            plan(&with_ethtool(r#"<ethtool><channels combined="2"/></ethtool>"#), &["eth0"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "eth0: the driver has no combined channels, so combined=\"2\" cannot be set"
        );
        assert!(max.combined_max.is_none(), "{max:?}");
        let _: Channels = max;
    });
}

#[test]
fn what_a_veth_lacks_is_a_clear_error() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        let (_, ethtool) = read("eth0");
        assert!(ethtool.element.child("ring").is_none(), "veths have no rings");
        let err = plan(&with_ethtool(r#"<ethtool><ring rx="512"/></ethtool>"#), &["eth0"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "eth0: the driver does not support ring sizes (ethtool -g), so <ring> cannot be set"
        );

        // A veth reports its link settings but cannot change them: the kernel says so at apply.
        assert_eq!(ethtool.element.value("speed"), Some("10000"));
        assert_eq!(ethtool.element.value("autoneg"), Some("no"));
        let want = with_ethtool(r#"<ethtool speed="1000" duplex="full"/>"#);
        let changes = plan(&want, &["eth0"]).unwrap();
        assert_eq!(described(&changes), ["eth0: set speed 1000 (was 10000)"]);
        let err = EthernetPlugin.apply(&changes).unwrap_err();
        assert_eq!(kind(err.error.errno), Some(ErrorKind::Unsupported), "EOPNOTSUPP");
        assert!(
            err.error.to_string().starts_with("eth0: set speed 1000 duplex full: Operation not supported"),
            "{}",
            err.error
        );
    });
}

#[test]
fn dumps_read_what_one_device_requests_read() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("br0", "bridge").build()).unwrap();
        let mut e = Ethtool::open().unwrap();
        let dumped = DeviceState::dump(&mut e).unwrap();
        let links = s.dump_links().unwrap();
        assert_eq!(dumped.len(), links.len(), "every device has features");
        for link in links {
            let one = DeviceState::query(&mut e, &link.name).unwrap();
            assert_eq!(dumped[&link.index], one, "{}", link.name);
        }
        // Reading many interfaces is the same four dumps as reading one.
        let all = EthernetPlugin.read(Some(&names(&["lo", "eth0", "eth0-p", "br0"]))).unwrap();
        assert_eq!(all.len(), 8);
        let eth0: Vec<_> = all.into_iter().filter(|i| i.interface == "eth0").collect();
        assert!(eth0 == EthernetPlugin.read(Some(&names(&["eth0"]))).unwrap(), "eth0 reads the same");
    });
}
