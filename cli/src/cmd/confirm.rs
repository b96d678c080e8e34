//! `apply --confirm SECS`: apply, then keep the change only if it is confirmed in time — by
//! `netplug confirm` from another shell (proof the operator still gets in), or by a health
//! check netplug runs itself — and otherwise roll it back, bonds and bridges included.
//!
//! The pending rollback is a journal on disk written before the first change, so if this
//! process is killed or the machine reboots, the next netplug that takes the lock (or the boot
//! service's `apply --all`) rolls it back once the deadline has passed.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use netplug_core::health;
use netplug_core::journal::{self, Journal};
use netplug_core::registry::Registry;

use crate::Cli;

#[derive(clap::Args, Debug, Default)]
pub struct ConfirmArgs {
    /// Roll the apply back unless it is confirmed within SECS seconds (by `netplug confirm`
    /// or a passing health check).
    #[arg(long = "confirm", value_name = "SECS")]
    pub seconds: Option<u64>,
    /// Health check: confirm once the default gateway answers ICMP echo.
    #[arg(long, requires = "seconds")]
    pub check_gateway: bool,
    /// Health check: confirm once HOST answers ICMP echo.
    #[arg(long, value_name = "HOST", requires = "seconds")]
    pub check_ping: Option<IpAddr>,
}

/// Wait for confirmation after a successful apply; roll back at the deadline.
pub fn wait(cli: &Cli, registry: &Registry, args: &ConfirmArgs) -> Result<ExitCode> {
    let path = journal::path(&cli.state_dir, journal::Kind::Confirm, &super::txn::here(cli)?);
    let secs = args.seconds.unwrap_or(0);
    if Journal::load(&path)?.is_none() {
        // Nothing changed, so there is nothing to confirm or roll back.
        return Ok(ExitCode::SUCCESS);
    }
    crate::report::note(
        cli,
        format_args!("waiting up to {secs} s for `netplug confirm`; without it the change is rolled back"),
    );
    loop {
        let Some(j) = Journal::load(&path)? else {
            // `netplug confirm` removed the journal.
            return Ok(ExitCode::SUCCESS);
        };
        if let Some(host) = check_target(args) {
            if health::ping(host, Duration::from_millis(500)).is_ok() {
                Journal::remove(&path)?;
                crate::report::note(cli, format_args!("confirmed: {host} answers"));
                return Ok(ExitCode::SUCCESS);
            }
        } else {
            std::thread::sleep(Duration::from_millis(100));
        }
        if j.expired() {
            eprintln!("netplug: not confirmed within {secs} s; rolling back");
            let report = j.roll_back(registry);
            let code = super::txn::report_rollback(cli, "unconfirmed apply", &report);
            if report.errors.is_empty() && report.verified {
                super::apply::restore_ownership(cli, &j.ownership_before());
                Journal::remove(&path)?;
            }
            // The apply itself did not stand: say so in the exit status either way.
            let _ = code;
            return Ok(crate::exit::Exit::Failed.into());
        }
    }
}

fn check_target(args: &ConfirmArgs) -> Option<IpAddr> {
    args.check_ping.or_else(|| args.check_gateway.then(health::default_gateway).flatten())
}
