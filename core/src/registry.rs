//! The set of plugins a run uses, and which one handles each kind and element.
//!
//! Core talks to every plugin through the SDK's [`Plugin`] trait, whether the plugin was loaded
//! from a shared object (the host wraps the FFI in that trait) or lives in the same process
//! (tests). Routing is by name: a kind (`bond`) goes to the plugin that lists it in `kinds`, a
//! child element (`static`) to the one that lists it in `elements`.

use std::collections::HashMap;
use std::sync::Arc;

use netplug_plugin_sdk::{Plugin, PluginInfo};

use crate::model::DEVICE_ELEMENT;

/// The package that holds, or provides, the plugin for a kind or child element: the packaging
/// rule (`docs/packaging.md`) is `netplug-plugin-NAME`, where a package whose plugin handles
/// several names provides the others (`netplug-plugin-macvlan` provides
/// `netplug-plugin-macvtap`). Core names no plugin of its own: a missing plugin's hint is this.
pub fn package_for(name: &str) -> String {
    format!("netplug-plugin-{name}")
}

/// The help of a diagnostic about `<name>` that no installed plugin handles.
pub fn install_hint(name: &str) -> String {
    format!("install the plugin for <{name}>: package {}", package_for(name))
}

/// A plugin and what it said about itself when registered.
#[derive(Clone)]
pub struct Registered {
    pub plugin: Arc<dyn Plugin>,
    pub info: PluginInfo,
    /// Where it came from: a file path, or `builtin` for in-process plugins.
    pub origin: String,
}

/// Why a plugin could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("{origin}: plugin '{plugin}' claims {what} '{name}', already claimed by plugin '{other}' ({other_origin})")]
    Conflict {
        origin: String,
        plugin: String,
        what: &'static str,
        name: String,
        other: String,
        other_origin: String,
    },
    #[error("{origin}: a plugin named '{plugin}' is already loaded from {other_origin}")]
    DuplicateName { origin: String, plugin: String, other_origin: String },
}

/// Every plugin of a run, indexed by the kinds and elements they claim.
#[derive(Clone, Default)]
pub struct Registry {
    plugins: Vec<Registered>,
    kinds: HashMap<String, usize>,
    elements: HashMap<String, usize>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a plugin; refuse one whose name, kinds or elements another plugin already claims.
    pub fn register(
        &mut self,
        plugin: Arc<dyn Plugin>,
        origin: impl Into<String>,
    ) -> Result<(), RegistryError> {
        let origin = origin.into();
        let info = plugin.info();
        if let Some(other) = self.plugins.iter().find(|r| r.info.name == info.name) {
            return Err(RegistryError::DuplicateName {
                origin,
                plugin: info.name,
                other_origin: other.origin.clone(),
            });
        }
        let index = self.plugins.len();
        for (what, names, map) in
            [("kind", &info.kinds, &self.kinds), ("element", &info.elements, &self.elements)]
        {
            for name in names {
                if let Some(&i) = map.get(name) {
                    let other = &self.plugins[i];
                    return Err(RegistryError::Conflict {
                        origin,
                        plugin: info.name.clone(),
                        what,
                        name: name.clone(),
                        other: other.info.name.clone(),
                        other_origin: other.origin.clone(),
                    });
                }
            }
        }
        for k in &info.kinds {
            self.kinds.insert(k.clone(), index);
        }
        for e in &info.elements {
            self.elements.insert(e.clone(), index);
        }
        self.plugins.push(Registered { plugin, info, origin });
        Ok(())
    }

    pub fn plugins(&self) -> &[Registered] {
        &self.plugins
    }

    /// The plugin that creates interfaces of `kind`.
    pub fn for_kind(&self, kind: &str) -> Option<&Registered> {
        self.kinds.get(kind).map(|&i| &self.plugins[i])
    }

    /// The plugin that owns child element `name`.
    pub fn for_element(&self, name: &str) -> Option<&Registered> {
        self.elements.get(name).map(|&i| &self.plugins[i])
    }

    /// Whether `kind` is a physical device (its plugin says so): never created or deleted.
    pub fn is_physical(&self, kind: &str) -> bool {
        self.for_kind(kind).is_some_and(|r| r.info.physical)
    }

    /// The first plugin of physical devices, which reports any existing link by name.
    pub fn physical(&self) -> Option<&Registered> {
        self.plugins.iter().find(|r| r.info.physical)
    }

    /// The kind of the native dialect's `<interface device=..>` ([`DEVICE_ELEMENT`]): the first
    /// kind of the plugin of physical devices (`ethernet`, netplug's own). With no such plugin,
    /// the element's own word, which no plugin handles, so validation says what to install.
    pub fn device_kind(&self) -> &str {
        self.physical().and_then(|r| r.info.kinds.first()).map_or(DEVICE_ELEMENT, String::as_str)
    }

    /// The kind a native top-level element stands for.
    pub fn kind_of_element<'a>(&'a self, element: &'a str) -> &'a str {
        if element == DEVICE_ELEMENT {
            self.device_kind()
        } else {
            element
        }
    }

    /// The native top-level element of a kind: the reverse of [`Registry::kind_of_element`].
    pub fn element_of_kind<'a>(&'a self, kind: &'a str) -> &'a str {
        if kind == self.device_kind() {
            DEVICE_ELEMENT
        } else {
            kind
        }
    }

    /// Every kind some plugin creates.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// Every child element some plugin owns.
    pub fn elements(&self) -> impl Iterator<Item = &str> {
        self.elements.keys().map(String::as_str)
    }
}
