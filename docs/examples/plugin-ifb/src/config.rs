//! The vocabulary: `<ifb>` takes no attribute or child of its own. Whatever else is written
//! there is a mistake, reported at its place with a hint when it is close to a word of
//! netplug's envelope (`mtuu` → `mtu`) or of its feature elements (`<statc>` → `<static>`).

use netplug_plugin_sdk::schema::{
    check_children_hinting, check_specs, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS,
};
use netplug_plugin_sdk::{Item, Validation};

/// Check every `<ifb>` item.
pub fn validate(items: &[Item]) -> Validation {
    let mut out = Validation::default();
    for item in items {
        let (element, name) = (&item.element, item.interface.as_str());
        out.diagnostics.extend(check_specs(element, &[], ENVELOPE_ATTRIBUTES, name));
        out.diagnostics.extend(check_children_hinting(element, &[], FEATURE_ELEMENTS, name));
    }
    out
}

#[cfg(test)]
mod tests;
