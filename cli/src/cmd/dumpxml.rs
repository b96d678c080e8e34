//! `netplug dumpxml NAME`: an interface's live state, or with `--inactive` its stored
//! definition (`virsh iface-dumpxml`), in either dialect. Live state is what a user configures,
//! as `show` prints it (it applies back as a no-op); `--observed` adds the device's facts.

use std::process::ExitCode;

use anyhow::Result;
use netplug_core::dialect::native;
use netplug_core::store::Store;
use netplug_core::{load, show, xml};

use serde_json::json;

use crate::exit::usage;
use crate::{report, Cli};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The stored definition rather than the live state.
    #[arg(long)]
    pub inactive: bool,
    /// libvirt's dialect instead of the native one.
    #[arg(long)]
    pub libvirt: bool,
    /// Also print what the kernel observes rather than what a user configures: the MAC address,
    /// `<ethtool>` settings (speed, duplex, offloads, channels), addresses the kernel or a DHCP
    /// client added, leases (as `show --observed`).
    #[arg(long, conflicts_with = "inactive")]
    pub observed: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let interfaces = if args.inactive {
        let store = Store::new(&cli.config_dir);
        let text = store.read(&args.name)?;
        if !args.libvirt && !cli.json {
            print!("{text}");
            return Ok(ExitCode::SUCCESS);
        }
        let label = store.path_of(&args.name).display().to_string();
        load::load_str(&label, &text, &mut Default::default(), &registry).0
    } else {
        let mut live = show::live_config(&registry, Some(std::slice::from_ref(&args.name)))?;
        if live.get(&args.name).is_none() {
            return Err(usage(format!(
                "{}: no such interface in the kernel (or no plugin recognises it)",
                args.name
            )));
        }
        if !args.observed {
            show::configured(&mut live, &registry, Some(&super::show::definitions(cli, &registry)));
        }
        live.interfaces
    };
    if cli.json {
        let Some(i) = interfaces.iter().find(|i| i.name == args.name) else {
            return Err(usage(format!("{}: the stored definition does not define it", args.name)));
        };
        let definition = if args.inactive { "definition" } else { "live" };
        report::print_json(
            json!({ "source": definition, "interface": report::interface_json(i, !args.inactive) }),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let text = if args.libvirt {
        super::libvirt_document(&interfaces, &registry)
    } else {
        xml::write(&native::write(&netplug_core::model::Config { interfaces }))
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
