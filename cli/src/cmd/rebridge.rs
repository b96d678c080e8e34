//! `netplug bridge IFACE BRIDGE` and `netplug unbridge BRIDGE` (`virsh iface-bridge` /
//! `iface-unbridge`): put a bridge over an interface and move its IP configuration onto it,
//! in one apply that is verified and rolls back whole, then store the new definitions.
//!
//! An interface that is not defined is taken as the kernel has it. Its addresses added by hand
//! are first adopted (an apply that declares them, which changes nothing visible but makes
//! them netplug's), so the second apply may move them; routes netplug did not add are not
//! read and so not moved.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use netplug_core::apply::ApplyOptions;
use netplug_core::model::{Config, Interface};
use netplug_core::ownership::Ownership;
use netplug_core::rebridge::{self, BridgeOptions};
use netplug_core::registry::Registry;
use netplug_core::show;
use netplug_core::store::Store;
use netplug_core::validate::{self, ValidateOptions};

use serde_json::json;

use crate::exit::usage;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct BridgeArgs {
    #[arg(value_name = "IFACE")]
    pub iface: String,
    #[arg(value_name = "BRIDGE")]
    pub bridge: String,
    /// Create the bridge with spanning tree off.
    #[arg(long)]
    pub no_stp: bool,
    /// Forward delay in seconds (default: the kernel's 15 with STP, 0 without).
    #[arg(long, value_name = "S")]
    pub delay: Option<f64>,
    /// Only store the definitions; change nothing in the kernel.
    #[arg(long)]
    pub no_start: bool,
}

#[derive(clap::Args, Debug)]
pub struct UnbridgeArgs {
    #[arg(value_name = "BRIDGE")]
    pub bridge: String,
    /// Only store the definitions; change nothing in the kernel.
    #[arg(long)]
    pub no_start: bool,
}

pub fn bridge(cli: &Cli, args: &BridgeArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let _lock = super::engine::lock(cli)?;
    let (registry, _) = super::plugins(cli);
    let store = Store::new(&cli.config_dir);
    if store.contains(&args.bridge) {
        return Err(usage(format!("{}: already defined; undefine it or choose another name", args.bridge)));
    }
    let (base, defined) = definition_or_live(cli, &registry, &args.iface)?;
    if base.master.is_some() {
        bail!("{}: is already a port of {}", args.iface, base.master.as_deref().unwrap_or_default());
    }
    let delay = args.delay.or(args.no_stp.then_some(0.0));
    let opts = BridgeOptions { stp: !args.no_stp, delay };
    let (port, br, warnings) = match rebridge::bridge(&base, &args.bridge, &opts, &registry) {
        Ok(made) => made,
        Err(diagnostics) => bail!("{}: cannot be made: {}", args.bridge, said(&diagnostics)),
    };
    for w in &warnings {
        eprintln!("netplug: warning: {}: {}", args.bridge, w.message);
    }
    let mut config = Config { interfaces: vec![port, br] };
    check(&mut config, &registry)?;
    if !args.no_start {
        if !defined {
            let adopt = Config { interfaces: vec![base.clone()] };
            let code = super::apply::apply_config(
                cli,
                &adopt,
                &registry,
                &ApplyOptions::default(),
                started,
                None,
                false,
            )?;
            if code != ExitCode::SUCCESS {
                return Ok(code);
            }
        }
        let code = super::apply::apply_config(
            cli,
            &config,
            &registry,
            &ApplyOptions::default(),
            started,
            None,
            true,
        )?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    let netns = super::txn::here(cli)?.ino;
    let mut record = Ownership::load(&cli.state_dir, netns)?;
    if !defined {
        // The port's definition was made for this bridge: `undefine BRIDGE` takes it along.
        record.defined_with.insert(args.iface.clone(), args.bridge.clone());
        record.save(&cli.state_dir, netns)?;
    }
    let mut defined = Vec::new();
    for i in &config.interfaces {
        defined.push(json!({ "name": i.name, "path": store.define(i)?, "replaced": false }));
    }
    if cli.json && args.no_start {
        crate::report::print_json(json!({ "defined": defined, "undefined": [] }));
    }
    if !cli.quiet && !cli.json {
        println!("{} is now a port of {}; definitions of both stored", args.iface, args.bridge);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn unbridge(cli: &Cli, args: &UnbridgeArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let _lock = super::engine::lock(cli)?;
    let (registry, _) = super::plugins(cli);
    let store = Store::new(&cli.config_dir);
    let (br, _) = definition_or_live(cli, &registry, &args.bridge)?;
    if br.kind != rebridge::KIND {
        bail!("{}: is a {}, not a bridge", args.bridge, br.kind);
    }
    let members = rebridge::members(&br, &registry);
    let [member] = members.as_slice() else {
        bail!(
            "{}: has {} ports; unbridge moves the configuration back to exactly one",
            args.bridge,
            members.len()
        );
    };
    let (port, _) = definition_or_live(cli, &registry, member)?;
    let (freed, gone) = rebridge::unbridge(&br, &port, &registry);
    let mut config = Config { interfaces: vec![freed, gone] };
    check(&mut config, &registry)?;
    if !args.no_start {
        let code = super::apply::apply_config(
            cli,
            &config,
            &registry,
            &ApplyOptions::default(),
            started,
            None,
            true,
        )?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    let path = store.define(&config.interfaces[0])?;
    let mut undefined = Vec::new();
    if store.contains(&args.bridge) {
        store.undefine(&args.bridge)?;
        undefined.push(&args.bridge);
    }
    let netns = super::txn::here(cli)?.ino;
    let mut record = Ownership::load(&cli.state_dir, netns)?;
    record.forget_definition(member);
    record.forget_definition(&args.bridge);
    record.save(&cli.state_dir, netns)?;
    if cli.json && args.no_start {
        let defined = json!({ "name": config.interfaces[0].name, "path": path, "replaced": true });
        crate::report::print_json(json!({ "defined": [defined], "undefined": undefined }));
    }
    if !cli.quiet && !cli.json {
        println!("{} removed; {} carries its configuration again", args.bridge, member);
    }
    Ok(ExitCode::SUCCESS)
}

/// The stored definition of `name` (validated with the rest of the store, so its master is
/// known), or else its live state as a definition; whether it was defined.
fn definition_or_live(cli: &Cli, registry: &Registry, name: &str) -> Result<(Interface, bool)> {
    let mut loaded = Store::new(&cli.config_dir).load(registry)?;
    if loaded.config.get(name).is_some() {
        let opts = ValidateOptions { sources: Some(&loaded.sources), exists_in_kernel: None };
        validate::validate(&mut loaded.config, registry, &opts);
        let i = loaded.config.get(name).expect("present before validation").clone();
        return Ok((i, true));
    }
    let live = show::live_config(registry, Some(&[name.to_string()]))?;
    let Some(i) = live.get(name).cloned() else {
        return Err(usage(format!("{name}: neither defined nor present in the kernel")));
    };
    // Only what a user configures: a definition must not pin the device's facts.
    let mut one = Config { interfaces: vec![i] };
    show::configured(&mut one, registry, None);
    let i = one.interfaces.pop().expect("one interface");
    Ok((i, false))
}

/// Validate a configuration built from definitions; its errors are this verb's.
fn check(config: &mut Config, registry: &Registry) -> Result<()> {
    let diagnostics = validate::validate(config, registry, &ValidateOptions::default());
    let errors: Vec<String> =
        diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    if !errors.is_empty() {
        bail!("the result would not be valid: {}", errors.join("; "));
    }
    Ok(())
}

/// The errors among `diagnostics`, or all of them when there is none (a missing translation).
fn said(diagnostics: &[netplug_core::sdk::Diagnostic]) -> String {
    let errors: Vec<&str> = diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.as_str()).collect();
    if errors.is_empty() {
        "no installed plugin translates libvirt's bridge".to_string()
    } else {
        errors.join("; ")
    }
}
