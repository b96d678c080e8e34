//! `netplug wait-online [NAME...]`: wait until every `onboot` interface (or each NAME) is
//! online, or a timeout passes; what `netplug-wait-online.service` runs to order
//! `network-online.target`, as `systemd-networkd-wait-online` does for networkd.
//!
//! Online means the kernel matches the interface's whole definition and the link is up: a plan
//! for it finds nothing left to do, so its addresses, routes and DHCP lease are all there. That
//! asks the plugins rather than reading a kind's vocabulary here, so a plugin's own kind is
//! waited for like any other. Nothing is changed and no lock is taken.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use netplug_core::apply::Run;
use netplug_core::lifecycle;
use netplug_core::model::Config;
use netplug_core::sdk::LinkState;
use netplug_core::show;
use netplug_core::store::Store;
use serde_json::json;

use crate::exit::{usage, Exit};
use crate::{progress, Cli};

/// How often to look again.
const POLL: Duration = Duration::from_millis(250);

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Interfaces to wait for (default: every `onboot` definition and what it needs).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Give up after SECS seconds (exit 1).
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub timeout: f64,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.timeout.max(0.0));
    let (registry, _) = super::plugins(cli);
    let stored = Store::new(&cli.config_dir).load(&registry)?;
    let Some(all) = super::engine::prepare_loaded(cli, stored, &registry) else {
        return Ok(Exit::Failed.into());
    };
    let wanted = if args.names.is_empty() {
        lifecycle::boot_set(&all.config)
    } else {
        let mut c = Config::default();
        for n in &args.names {
            match all.config.get(n) {
                Some(i) => c.interfaces.push(i.clone()),
                None => return Err(usage(format!("{n}: no such defined interface"))),
            }
        }
        c
    };
    let names: Vec<String> = wanted.interfaces.iter().map(|i| i.name.clone()).collect();
    loop {
        let missing = missing(&wanted, &registry)?;
        progress::update("waiting for", names.len() - missing.len(), names.len(), waiting_line(&missing));
        let done = missing.is_empty();
        if done || Instant::now() >= deadline {
            progress::finish();
            report(cli, &names, &missing, started);
            return Ok(Exit::failed_if(!done));
        }
        std::thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// For each interface not yet online, what it still lacks (the plan's descriptions, or its
/// link state), by name.
fn missing(
    wanted: &Config,
    registry: &netplug_core::registry::Registry,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (plan, _) = Run::new(wanted, registry).plan()?;
    for s in &plan.steps {
        missing.entry(s.change.interface.clone()).or_default().push(s.change.description.clone());
    }
    let names: Vec<String> = wanted.interfaces.iter().map(|i| i.name.clone()).collect();
    let live = show::live_config(registry, Some(&names))?;
    for i in &wanted.interfaces {
        let state = live.get(&i.name).map(|l| l.state).unwrap_or(LinkState::Absent);
        if i.state == LinkState::Up && state != LinkState::Up {
            missing.entry(i.name.clone()).or_default().push(format!("link {state}"));
        }
    }
    Ok(missing)
}

fn waiting_line(missing: &BTreeMap<String, Vec<String>>) -> String {
    missing.iter().map(|(n, what)| format!("{n} ({})", what.join(", "))).collect::<Vec<_>>().join("; ")
}

fn report(cli: &Cli, names: &[String], missing: &BTreeMap<String, Vec<String>>, started: Instant) {
    if cli.json {
        let interfaces: Vec<_> = names
            .iter()
            .map(|n| {
                let waiting: &[String] = missing.get(n).map(Vec::as_slice).unwrap_or_default();
                json!({ "name": n, "online": waiting.is_empty(), "waiting_for": waiting })
            })
            .collect();
        crate::report::print_json(json!({ "online": missing.is_empty(), "interfaces": interfaces }));
    } else if missing.is_empty() {
        crate::report::note(
            cli,
            format_args!("online: {} interface(s) in {:.1} s", names.len(), started.elapsed().as_secs_f64()),
        );
    } else {
        eprintln!(
            "netplug: not online after {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            waiting_line(missing)
        );
    }
}
