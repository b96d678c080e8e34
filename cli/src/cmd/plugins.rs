//! `netplug plugins`: every plugin file found, what it handles, and whether it is in use.

use std::process::ExitCode;

use anyhow::Result;
use netplug_core::host::LoadStatus;

use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(cli: &Cli, _args: &Args) -> Result<ExitCode> {
    let (_, reports) = super::plugins(cli);
    if cli.json {
        crate::report::print_json(serde_json::json!({ "plugins": reports }));
        return Ok(ExitCode::SUCCESS);
    }
    if reports.is_empty() {
        eprintln!(
            "no plugins found (searched --plugin-dir, NETPLUG_PLUGIN_PATH and the installed directory)"
        );
        return Ok(ExitCode::SUCCESS);
    }
    for r in &reports {
        let what: Vec<String> = r
            .kinds
            .iter()
            .map(|k| format!("kind {k}"))
            .chain(r.elements.iter().map(|e| format!("<{e}>")))
            .collect();
        println!("{} {}", r.name, r.version.as_deref().unwrap_or("?"));
        println!("    file:     {}", r.path.display());
        if !what.is_empty() {
            println!("    handles:  {}", what.join(", "));
        }
        if let Some(sdk) = &r.sdk_version {
            println!("    sdk:      {sdk}");
        }
        if let Some(abi) = &r.abi_version {
            println!("    abi:      {abi}");
        }
        let abi = match &r.status {
            LoadStatus::Loaded => "ok".to_string(),
            other => other.to_string(),
        };
        println!("    status:   {abi}");
    }
    Ok(ExitCode::SUCCESS)
}
