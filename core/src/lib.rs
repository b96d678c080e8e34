//! This crate provides netplug's engine. Its modules follow the data's path: [`xml`] reads a
//! document keeping every position, [`dialect`] turns either XML dialect into the one
//! [`model`], [`validate`] checks it (calling each plugin for its own vocabulary), [`order`]
//! sorts the dependency graph, and later stages plan, apply, verify and roll back — always by
//! calling plugins, never by building a netlink message here.
//!
//! The main types are [`model::Config`] and [`model::Interface`]: a common envelope (name,
//! kind, start mode, state, MAC, MTU, master, parent) plus the native element tree that the
//! kind's plugin owns. Keeping kind-specific parts as a generic tree, rather than typed structs
//! in core, is what lets a third-party plugin bring a new kind without changing core.

pub mod apply;
pub mod bench;
pub mod dialect;
pub mod health;
pub mod host;
pub mod items;
pub mod journal;
pub mod lifecycle;
pub mod load;
pub mod lock;
pub mod model;
pub mod netns;
pub mod order;
pub mod ownership;
pub mod plan;
pub mod rebridge;
pub mod registry;
pub mod schema;
pub mod show;
pub mod source;
pub mod store;
pub mod validate;
pub mod watchdog;
pub mod xml;

pub use netplug_plugin_sdk as sdk;
