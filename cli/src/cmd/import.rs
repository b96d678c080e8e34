//! `netplug import --from SOURCE [PATH]`: read the configuration a host already has (ifupdown,
//! ifcfg, netplan, networkd) and print it as a native document, or store it with `--define`.
//! What the native dialect cannot say is listed on stderr by file and line. Nothing is applied
//! and the source files are only read.

use std::cell::OnceCell;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use netplug_core::load::{self, Loaded};
use netplug_core::validate::ValidateOptions;
use netplug_import::Source;
use serde_json::json;

use crate::exit::Exit;
use crate::Cli;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    /// /etc/network/interfaces (ifupdown, ifupdown2)
    Ifupdown,
    /// /etc/sysconfig/network-scripts (RHEL/Fedora initscripts' ifcfg-* and route-* files)
    Ifcfg,
    /// /etc/netplan (netplan YAML; a directory or one file)
    Netplan,
    /// /etc/systemd/network (systemd-networkd .netdev and .network files)
    Networkd,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The configuration system to read.
    #[arg(long, value_enum)]
    pub from: From,
    /// Its file or directory (default: where that system keeps it).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Store the imported interfaces as definitions instead of printing them.
    #[arg(long)]
    pub define: bool,
    /// Fail (exit 1, defining nothing) when anything could not be imported.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (source, name) = match args.from {
        From::Ifupdown => (Source::Ifupdown, "ifupdown"),
        From::Ifcfg => (Source::Ifcfg, "ifcfg"),
        From::Netplan => (Source::Netplan, "netplan"),
        From::Networkd => (Source::Networkd, "networkd"),
    };
    let path = args.path.as_deref().unwrap_or(source.default_path());
    let links = LiveLinks { cli, table: OnceCell::new() };
    let import = netplug_import::import(source, Some(path), &links)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let text = netplug_import::native::write(&import.document);
    let refused = args.strict && !import.unsupported.is_empty();
    if cli.json && !args.define {
        let unsupported: Vec<_> = import
            .unsupported
            .iter()
            .map(|u| json!({"file": u.origin.file, "line": u.origin.line, "construct": u.what, "reason": u.why}))
            .collect();
        let document = (!refused).then_some(&text);
        crate::report::print_json(json!({"from": name, "unsupported": unsupported, "document": document}));
        return Ok(Exit::failed_if(refused));
    }
    for u in &import.unsupported {
        eprintln!("netplug: warning: {u}");
    }
    if refused {
        return Ok(Exit::Failed.into());
    }
    if !args.define {
        print!("{text}");
        return Ok(Exit::Ok.into());
    }
    // Defining goes through validation as `netplug define` does; problems point into the
    // generated document, which is printed with them so the lines can be found.
    let (registry, _) = super::plugins(cli);
    let mut loaded = Loaded::default();
    let label = format!("<import of {}>", path.display());
    let (interfaces, diagnostics, _) = load::load_str(&label, &text, &mut loaded.sources, &registry);
    loaded.config.interfaces = interfaces;
    loaded.diagnostics = diagnostics;
    let opts = ValidateOptions { sources: Some(&loaded.sources), ..Default::default() };
    let mut more = netplug_core::validate::validate(&mut loaded.config, &registry, &opts);
    loaded.diagnostics.append(&mut more);
    if super::print_diagnostics(cli, &loaded) {
        eprint!("{label}:\n{text}");
        return Ok(Exit::Failed.into());
    }
    super::define::store(cli, &loaded)?;
    Ok(Exit::Ok.into())
}

/// The kernel's links that own their MAC address (NICs, and veths standing in for them or being
/// them), read through the plugins the first time a source matches by MAC address.
struct LiveLinks<'a> {
    cli: &'a Cli,
    table: OnceCell<Vec<(String, String)>>,
}

impl LiveLinks<'_> {
    fn read(&self) -> Vec<(String, String)> {
        // Every link asked for by name, as the plugins' dump of all links leaves veths out;
        // /proc/net/dev lists the names in the namespace this thread entered (`--netns`).
        let names: Vec<String> = std::fs::read_to_string("/proc/net/dev")
            .unwrap_or_default()
            .lines()
            .skip(2)
            .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_string()))
            .collect();
        let (registry, _) = super::plugins(self.cli);
        let live = match netplug_core::show::live_config(&registry, Some(&names)) {
            Ok(config) => config.interfaces,
            Err(e) => {
                eprintln!("netplug: warning: cannot read the links to match MAC addresses: {e}");
                Vec::new()
            }
        };
        // Whatever the kind (containers' and test hosts' "NICs" are veths), leave out the links
        // that carry another's MAC address: one stacked on a parent (a VLAN) and a master with
        // ports (a bond or bridge takes a port's), so a source's MAC names its own device.
        let masters: std::collections::HashSet<String> =
            live.iter().filter_map(|i| i.master.clone()).collect();
        live.into_iter()
            .filter(|i| i.parent.is_none() && !masters.contains(&i.name))
            .filter_map(|i| Some((i.name, i.mac?)))
            .collect()
    }
}

impl netplug_import::Links for LiveLinks<'_> {
    fn by_mac(&self, mac: &str) -> Vec<String> {
        let table = self.table.get_or_init(|| self.read());
        table.iter().filter(|(_, m)| m.eq_ignore_ascii_case(mac)).map(|(n, _)| n.clone()).collect()
    }
}
