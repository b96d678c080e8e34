//! The vocabulary, against documents as netplug reads them.

use netplug_plugin_sdk::LinkState;
use netplug_plugin_testing::{diagnostic_lines, items_from_xml, validate_xml};

use crate::IfbPlugin;

#[test]
fn an_item_is_the_element_without_the_envelope() {
    let xml = r#"<interfaces>
  <ifb name="ifb0" mtu="9000" state="down"><static ipaddr="192.0.2.1/24"/></ifb>
  <interface device="eth0"/>
</interfaces>"#;
    let items = items_from_xml(&IfbPlugin, xml);
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0].interface, "ifb0");
    assert!(items[0].element.attributes.is_empty() && items[0].element.children.is_empty());
    let envelope = items[0].envelope.as_ref().expect("a kind item carries its envelope");
    assert_eq!((envelope.mtu, envelope.state), (Some(9000), LinkState::Down));
    assert!(validate_xml(&IfbPlugin, xml).diagnostics.is_empty());
}

#[test]
fn anything_of_its_own_is_a_mistake_with_a_hint() {
    let xml = r#"<ifb name="ifb0" mtuu="9000" numtxqueues="2">
  <statc ipaddr="192.0.2.1/24"/>
</ifb>"#;
    let v = validate_xml(&IfbPlugin, xml);
    assert_eq!(
        diagnostic_lines(&v),
        [
            "1:18 error mtuu: unknown attribute `mtuu` on <ifb>",
            "1:30 error numtxqueues: unknown attribute `numtxqueues` on <ifb>",
            "2:3 error statc: unknown element <statc> in <ifb>",
        ]
    );
    assert_eq!(v.diagnostics[0].help.as_deref(), Some("did you mean `mtu`?"));
    assert_eq!(v.diagnostics[2].help.as_deref(), Some("did you mean <static>?"));
}
