//! `netplug name MAC` and `netplug mac NAME` (`virsh iface-name` / `iface-mac`, netcf's
//! `ncf_lookup_by_mac_string` and `ncf_if_mac_string`): live state first, then definitions.

use std::process::ExitCode;

use anyhow::{bail, Result};
use netplug_core::show;
use netplug_core::store::Store;

use serde_json::json;

use crate::exit::usage;
use crate::{report, Cli};

/// Where an interface was found: the kernel, or the stored definitions.
const LIVE: &str = "live";
const DEFINITION: &str = "definition";

#[derive(clap::Args, Debug)]
pub struct NameArgs {
    #[arg(value_name = "MAC")]
    pub mac: String,
}

#[derive(clap::Args, Debug)]
pub struct MacArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// Every interface with this MAC: a bond and its slaves, or a bridge and its first port, can
/// share one, so all are printed, live ones first.
pub fn name(cli: &Cli, args: &NameArgs) -> Result<ExitCode> {
    // Written as `<hwaddr>` accepts it (`-` or `:` separators, any case).
    let want = match netplug_core::dialect::native::parse_mac(args.mac.trim()) {
        Ok(mac) => mac,
        Err(why) => bail!("{}: not a MAC address: {why}", args.mac),
    };
    let (registry, _) = super::plugins(cli);
    // (name, where it was found)
    let mut names: Vec<(String, &str)> = Vec::new();
    for i in show::live_config(&registry, None)?.interfaces {
        if i.mac.as_deref().map(str::to_ascii_lowercase).as_deref() == Some(want.as_str()) {
            names.push((i.name, LIVE));
        }
    }
    let loaded = Store::new(&cli.config_dir).load(&registry)?;
    for i in loaded.config.interfaces {
        if i.mac.as_deref().map(str::to_ascii_lowercase).as_deref() == Some(want.as_str())
            && !names.iter().any(|(n, _)| *n == i.name)
        {
            names.push((i.name, DEFINITION));
        }
    }
    if names.is_empty() {
        return Err(usage(format!("no interface has MAC address {}", args.mac)));
    }
    if cli.json {
        let found: Vec<_> = names.iter().map(|(n, source)| json!({ "name": n, "source": source })).collect();
        report::print_json(json!({ "mac": want, "interfaces": found }));
        return Ok(ExitCode::SUCCESS);
    }
    for (n, _) in names {
        println!("{n}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn mac(cli: &Cli, args: &MacArgs) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let live = show::live_config(&registry, Some(std::slice::from_ref(&args.name)))?;
    let (mac, source) = match live.get(&args.name) {
        Some(i) => (i.mac.clone(), LIVE),
        None => {
            let loaded = Store::new(&cli.config_dir).load(&registry)?;
            match loaded.config.get(&args.name) {
                Some(i) => (i.mac.clone(), DEFINITION),
                None => {
                    return Err(usage(format!(
                        "{}: no such interface in the kernel or among the definitions",
                        args.name
                    )))
                }
            }
        }
    };
    match mac {
        Some(m) if cli.json => report::print_json(json!({ "name": args.name, "mac": m, "source": source })),
        Some(m) => println!("{m}"),
        None => bail!("{}: has no MAC address (not in the kernel, none defined)", args.name),
    }
    Ok(ExitCode::SUCCESS)
}
