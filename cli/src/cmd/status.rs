//! `netplug status [NAME...]`: each defined interface's kind, start mode and whether it is
//! active, the leases it holds (address, server, when obtained, renewed and expiring), and
//! whether `netplug daemon` is running to keep them.
//!
//! Leases come from the plugins' live state, as `<lease>` elements inside the `<dhcp>` or
//! `<dhcp6>` they report (times in seconds since 1970), so this verb does not know where or
//! how a plugin stores them.

use std::process::ExitCode;

use anyhow::Result;
use netplug_core::sdk::{Element, LinkState};
use netplug_core::show;
use netplug_core::store::Store;
use serde_json::{json, Value};

use crate::daemon::leases::{self, LEASE};
use crate::daemon::pidfile;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Interfaces to report (default: every defined interface).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

/// One lease as a plugin reported it.
struct Lease {
    /// The element it was reported in (`dhcp`, `dhcp6`).
    client: String,
    attrs: Vec<(String, String)>,
}

impl Lease {
    fn get(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn time(&self, name: &str) -> Option<u64> {
        self.get(name)?.parse().ok()
    }

    fn json(&self) -> Value {
        let mut o = serde_json::Map::new();
        o.insert("client".into(), json!(self.client));
        for (n, v) in &self.attrs {
            o.insert(n.clone(), v.parse::<u64>().map(Value::from).unwrap_or_else(|_| json!(v)));
        }
        Value::Object(o)
    }

    /// `dhcp 192.0.2.50/24 from 192.0.2.1 (bound): obtained …, renews …, expires …`.
    fn text(&self, now: u64) -> String {
        let mut s = self.client.clone();
        if let Some(a) = self.get("address") {
            s.push_str(&format!(" {a}"));
        }
        if let Some(srv) = self.get("server") {
            s.push_str(&format!(" from {srv}"));
        }
        if let Some(state) = self.get("state") {
            s.push_str(&format!(" ({state})"));
        }
        let mut times = Vec::new();
        for (attr, label) in [("obtained", "obtained"), ("renew", "renews"), ("expires", "expires")] {
            if let Some(t) = self.time(attr) {
                times.push(format!("{label} {} ({})", utc(t), relative(t, now)));
            }
        }
        if self.get("expires").is_none() && self.get("address").is_some() {
            times.push("never expires".into());
        }
        if self.get("address").is_none() {
            if let Some(t) = self.time("next") {
                times.push(format!("asks again {} ({})", utc(t), relative(t, now)));
            }
        }
        if !times.is_empty() {
            s.push_str(": ");
            s.push_str(&times.join(", "));
        }
        s
    }
}

/// The leases inside an interface's live element.
fn leases_of(element: &Element) -> Vec<Lease> {
    element
        .children
        .iter()
        .filter_map(|c| {
            let lease = c.child(LEASE)?;
            let attrs = lease.attributes.iter().map(|a| (a.name.clone(), a.value.clone())).collect();
            Some(Lease { client: c.name.clone(), attrs })
        })
        .collect()
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let loaded = Store::new(&cli.config_dir).load(&registry)?;
    let defined = &loaded.config.interfaces;
    for n in &args.names {
        if !defined.iter().any(|i| &i.name == n) {
            return Err(crate::exit::usage(format!("{n}: no such defined interface")));
        }
    }
    let chosen: Vec<_> =
        defined.iter().filter(|i| args.names.is_empty() || args.names.contains(&i.name)).collect();
    let names: Vec<String> = chosen.iter().map(|i| i.name.clone()).collect();
    let live = show::live_config(&registry, Some(&names))?;
    let daemon = pidfile::running(&cli.run_dir);
    let now = leases::now();
    let rows: Vec<_> = chosen
        .iter()
        .map(|i| {
            let l = live.get(&i.name);
            let active = l.is_some_and(|l| l.state == LinkState::Up);
            (i, active, l.map(|l| leases_of(&l.element)).unwrap_or_default())
        })
        .collect();
    if cli.json {
        let interfaces: Vec<Value> = rows
            .iter()
            .map(|(i, active, leases)| {
                json!({
                    "name": i.name,
                    "kind": i.kind,
                    "startmode": i.start_mode.as_str(),
                    "active": active,
                    "leases": leases.iter().map(Lease::json).collect::<Vec<_>>(),
                })
            })
            .collect();
        crate::report::print_json(
            json!({ "daemon": { "running": daemon.is_some(), "pid": daemon }, "interfaces": interfaces }),
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<16} {:<10} {:<8} state", "name", "kind", "start");
    for (i, active, leases) in &rows {
        let state = if *active { "active" } else { "inactive" };
        println!("{:<16} {:<10} {:<8} {state}", i.name, i.kind, i.start_mode.as_str());
        for lease in leases {
            println!("    {}", lease.text(now));
        }
    }
    match daemon {
        Some(pid) => println!("daemon: running (pid {pid})"),
        None => println!("daemon: not running (leases are not renewed; start netplug-daemon.service)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `2025-06-01 12:00:00 UTC` (civil-from-days, Howard Hinnant's algorithm).
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `in 1 min 30 s`, `5 s ago`.
fn relative(t: u64, now: u64) -> String {
    let span = |s: u64| match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    };
    if t >= now {
        format!("in {}", span(t - now))
    } else {
        format!("{} ago", span(now - t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_and_relative() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_767_225_599), "2025-12-31 23:59:59 UTC");
        assert_eq!(relative(1090, 1000), "in 1 min 30 s");
        assert_eq!(relative(1000, 1005), "5 s ago");
        assert_eq!(relative(10_000, 1000), "in 2 h 30 min");
    }

    #[test]
    fn a_reported_lease_reads_as_one_line() {
        let el = Element::new("interface").with_child(
            Element::new("dhcp").with_child(
                Element::new(LEASE)
                    .with_attr("state", "bound")
                    .with_attr("address", "192.0.2.50/24")
                    .with_attr("server", "192.0.2.1")
                    .with_attr("obtained", 1000)
                    .with_attr("renew", 1060)
                    .with_attr("expires", 1120),
            ),
        );
        let leases = leases_of(&el);
        assert_eq!(leases.len(), 1);
        assert_eq!(
            leases[0].text(1010),
            "dhcp 192.0.2.50/24 from 192.0.2.1 (bound): obtained 1970-01-01 00:16:40 UTC (10 s ago), \
             renews 1970-01-01 00:17:40 UTC (in 50 s), expires 1970-01-01 00:18:40 UTC (in 1 min 50 s)"
        );
        assert_eq!(leases[0].json()["expires"], json!(1120));
        assert_eq!(leases[0].json()["address"], json!("192.0.2.50/24"));
    }
}
