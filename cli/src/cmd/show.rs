//! `netplug show [NAME...]`: the kernel's live state in netplug's XML (or libvirt's): what a
//! user configures, which applies back as a no-op, or with `--observed` the device's facts too.

use std::process::ExitCode;

use anyhow::Result;
use netplug_core::dialect::native;
use netplug_core::{show, xml};

use serde_json::json;

use crate::exit::usage;
use crate::{report, Cli};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Interfaces to show (default: every interface a plugin recognises).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Print libvirt's dialect instead of the native one.
    #[arg(long)]
    pub libvirt: bool,
    /// Also print what the kernel observes rather than what a user configures: MAC addresses,
    /// `<ethtool>` settings (speed, duplex, offloads, channels), addresses the kernel or a DHCP
    /// client added, leases, a WireGuard peer's last handshake and byte counters. Without it,
    /// the output can be applied as it is.
    #[arg(long)]
    pub observed: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let names = (!args.names.is_empty()).then_some(args.names.as_slice());
    let mut config = show::live_config(&registry, names)?;
    for n in &args.names {
        if config.get(n).is_none() {
            return Err(usage(format!("{n}: no such interface (or no plugin recognises it)")));
        }
    }
    if !args.observed {
        show::configured(&mut config, &registry, Some(&definitions(cli, &registry)));
    }
    if cli.json {
        let interfaces: Vec<_> = config.interfaces.iter().map(|i| report::interface_json(i, true)).collect();
        report::print_json(json!({ "interfaces": interfaces }));
        return Ok(ExitCode::SUCCESS);
    }
    let text = if args.libvirt {
        super::libvirt_document(&config.interfaces, &registry)
    } else {
        xml::write(&native::write(&config))
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The stored definitions as they are written (unvalidated: only which attributes each sets
/// is asked), so that `show` keeps an option a definition sets even at the kernel's default.
/// None when the store cannot be read.
pub fn definitions(cli: &Cli, registry: &netplug_core::registry::Registry) -> netplug_core::model::Config {
    netplug_core::store::Store::new(&cli.config_dir).load(registry).map(|l| l.config).unwrap_or_default()
}
