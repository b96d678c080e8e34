//! The native dialect: top-level elements as interfaces, read into the model's common envelope.

use netplug_plugin_sdk::{Diagnostic, Element};

use crate::model::{Config, Interface};

/// Read every interface of a native document (one interface element, or `<interfaces>`).
pub fn read(root: &Element) -> (Vec<Interface>, Vec<Diagnostic>) {
    let _ = root;
    (Vec::new(), Vec::new())
}

/// Write a configuration as a native document.
pub fn write(config: &Config) -> Element {
    let _ = config;
    Element::new("interfaces")
}
