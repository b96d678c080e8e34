//! `netplug list`: the defined interfaces and whether each is active — it exists in the kernel
//! and is up (`virsh iface-list`).

use std::process::ExitCode;

use anyhow::Result;
use netplug_core::sdk::LinkState;
use netplug_core::show;
use netplug_core::store::Store;
use serde_json::json;

use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Active and inactive definitions.
    #[arg(long, conflicts_with = "inactive")]
    pub all: bool,
    /// Only inactive definitions.
    #[arg(long)]
    pub inactive: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let loaded = Store::new(&cli.config_dir).load(&registry)?;
    let names: Vec<String> = loaded.config.interfaces.iter().map(|i| i.name.clone()).collect();
    let live = show::live_config(&registry, Some(&names))?;
    let mut rows = Vec::new();
    for iface in &loaded.config.interfaces {
        let state = live.get(&iface.name).map(|l| l.state);
        let active = state == Some(LinkState::Up);
        if (active && args.inactive) || (!active && !args.all && !args.inactive) {
            continue;
        }
        let mac = live.get(&iface.name).and_then(|l| l.mac.clone()).or_else(|| iface.mac.clone());
        rows.push((iface, active, mac));
    }
    if cli.json {
        let out: Vec<_> = rows
            .iter()
            .map(|(i, active, mac)| {
                json!({"name": i.name, "kind": i.kind, "active": active, "mac": mac, "startmode": i.start_mode.as_str()})
            })
            .collect();
        crate::report::print_json(json!({ "interfaces": out }));
    } else {
        println!("{:<16} {:<10} {:<10} {:<19} start", "name", "kind", "state", "mac");
        for (i, active, mac) in rows {
            let state = if active { "active" } else { "inactive" };
            let mac = mac.unwrap_or_else(|| "-".into());
            println!("{:<16} {:<10} {:<10} {:<19} {}", i.name, i.kind, state, mac, i.start_mode.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}
