use std::sync::Arc;

use netplug_plugin_sdk::{Plugin, PluginInfo};

use super::*;

struct Fake(PluginInfo);
impl Plugin for Fake {
    fn info(&self) -> PluginInfo {
        self.0.clone()
    }
}

fn info(name: &str, kinds: &[&str], elements: &[&str], vocabulary: &str) -> PluginInfo {
    PluginInfo {
        name: name.into(),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        elements: elements.iter().map(|e| e.to_string()).collect(),
        vocabulary: vocabulary.into(),
        ..Default::default()
    }
}

fn assemble(infos: Vec<PluginInfo>) -> Assembled {
    let mut registry = Registry::new();
    for i in infos {
        registry.register(Arc::new(Fake(i)), "builtin").unwrap();
    }
    relaxng(&registry)
}

fn grammar(defines: &str) -> String {
    format!("<grammar xmlns=\"{RELAXNG_NS}\">{defines}</grammar>")
}

#[test]
fn a_vocabulary_is_renamed_into_its_plugin_and_wrapped_in_the_envelope() {
    let a = assemble(vec![info(
        "veth",
        &["veth"],
        &[],
        &grammar(
            "<define name=\"veth\"><attribute name=\"peer\"><ref name=\"peer\"/></attribute></define>\
             <define name=\"peer\"><ref name=\"ifname\"/></define>",
        ),
    )]);
    assert_eq!(a.plugins[0].vocabulary, Vocabulary::Declared, "{:?}", a.plugins);
    for wanted in [
        "<define name=\"netplug.kind.veth\">",
        "<element name=\"veth\">",
        "<ref name=\"plugin.veth.veth\"/>",
        "<define name=\"plugin.veth.veth\" datatypeLibrary=\"\">",
        "<ref name=\"plugin.veth.peer\"/>",
        "<ref name=\"ifname\"/>",
        "<ref name=\"netplug.envelope\"/>",
    ] {
        assert!(a.text.contains(wanted), "no {wanted} in\n{}", a.text);
    }
}

#[test]
fn a_plugin_without_a_vocabulary_takes_any_content() {
    let a = assemble(vec![info("wg", &["wireguard"], &["peer"], "")]);
    assert_eq!(a.plugins[0].vocabulary, Vocabulary::Open);
    assert!(a.text.contains("<element name=\"wireguard\">"), "{}", a.text);
    assert!(a.text.contains("<element name=\"peer\">\n"), "{}", a.text);
    assert!(a.text.contains("<ref name=\"netplug.anything\"/>"), "{}", a.text);
}

#[test]
fn a_vocabulary_breaking_the_rules_is_refused_and_its_plugin_kept_open() {
    for (vocabulary, why) in [
        ("<grammar", "not well-formed XML"),
        ("<grammar/>", "root is not"),
        (&grammar("<start><empty/></start>") as &str, "<start> at the top"),
        (&grammar("<define name=\"other\"><empty/></define>"), "no <define name=\"x\"> for its kind x"),
        (
            &grammar("<define name=\"x\"><ref name=\"nowhere\"/></define>"),
            "<ref name=\"nowhere\"> names neither",
        ),
        (
            &grammar("<define name=\"x\"><externalRef href=\"/etc/passwd\"/></define>"),
            "<externalRef> is not supported",
        ),
    ] {
        let a = assemble(vec![info("x", &["x"], &[], vocabulary)]);
        let p = &a.plugins[0];
        assert_eq!(p.vocabulary, Vocabulary::Refused, "{vocabulary}");
        assert!(p.reason.as_deref().unwrap().contains(why), "{vocabulary}: {:?}", p.reason);
        assert!(a.text.contains("<element name=\"x\">"), "{}", a.text);
    }
}

#[test]
fn device_settings_leave_out_or_cut_down_feature_elements() {
    let ethtool = grammar(
        "<define name=\"eth\"><empty/></define>\
         <define name=\"ethtool\"><optional><element name=\"ethtool\">\
         <optional><attribute name=\"speed\"/></optional>\
         <zeroOrMore><element name=\"feature\"><attribute name=\"name\"/></element></zeroOrMore>\
         </element></optional></define>",
    );
    let mut bridge = info("bridge", &["bridge"], &[], &grammar("<define name=\"bridge\"><empty/></define>"));
    bridge.device_settings.insert("ethtool".into(), Vec::new());
    let mut vlan = info("vlan", &["vlan"], &[], &grammar("<define name=\"vlan\"><empty/></define>"));
    vlan.device_settings.insert("ethtool".into(), vec!["feature".into()]);
    let a = assemble(vec![info("ethernet", &["eth"], &["ethtool"], &ethtool), bridge, vlan]);
    let kind = |k: &str| {
        let start = a.text.find(&format!("<define name=\"netplug.kind.{k}\">")).unwrap();
        let end = start + a.text[start..].find("</define>").unwrap();
        a.text[start..end].to_string()
    };
    assert!(kind("eth").contains("<ref name=\"plugin.ethernet.ethtool\"/>"));
    assert!(!kind("bridge").contains("ethtool"), "{}", kind("bridge"));
    assert!(kind("vlan").contains("<ref name=\"plugin.ethernet.ethtool.for.vlan\"/>"));
    let start = a.text.find("<define name=\"plugin.ethernet.ethtool.for.vlan\"").unwrap();
    let copy = &a.text[start..start + a.text[start..].find("</define>").unwrap()];
    assert!(!copy.contains("speed") && copy.contains("<element name=\"feature\">"), "{copy}");
}
