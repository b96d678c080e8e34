//! Transactions and confirmed applies: `begin`, `commit`, `rollback` (netcf's
//! `ncf_change_begin/commit/rollback`, `virsh iface-begin/-commit/-rollback`) and `confirm`.
//!
//! `begin` opens a journal in the state directory (persistent, so it survives a crash or a
//! reboot) holding the store as it is; each verb that then changes the kernel records the state
//! of the interfaces it is about to touch, the first time it touches them. `rollback` plans
//! the kernel back to those records and restores the store; `commit` just drops the journal.
//! An open transaction is rolled back by the next `apply --all` (what the boot service runs),
//! as netcf's boot script did.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, Result};
use netplug_core::apply::RollbackReport;
use netplug_core::journal::{self, Identity, Journal, Kind, Purpose, Whereabouts};
use netplug_core::registry::Registry;
use netplug_core::store::Store;

use serde_json::json;

use crate::exit::{usage, Exit};
use crate::report::note;
use crate::Cli;

#[derive(clap::Args, Debug, Default)]
pub struct RollbackArgs {
    /// Do not roll back: remove this namespace's journals, and any journal that cannot be
    /// read, leaving the interfaces and definitions as they are now.
    #[arg(long)]
    pub discard: bool,
}

/// The network namespace this invocation acts in, which its journals belong to.
pub fn here(cli: &Cli) -> Result<Identity> {
    Identity::current(cli.netns.as_deref()).context("reading the network namespace's identity")
}

pub fn begin(cli: &Cli) -> Result<ExitCode> {
    let _lock = super::engine::lock(cli)?;
    let here = here(cli)?;
    if let Some((path, _)) = journal::find(&cli.state_dir, Kind::Transaction, &here)? {
        return Err(usage(format!(
            "a transaction is already open (since {}); commit or roll it back first",
            path.display()
        )));
    }
    let mut j = Journal::new(Purpose::Transaction, here.clone());
    j.store = Some(read_store(&Store::new(&cli.config_dir))?);
    j.save(&journal::path(&cli.state_dir, Kind::Transaction, &here))?;
    transaction_json(cli, "open");
    note(
        cli,
        format_args!("transaction open: changes from now on can be rolled back with `netplug rollback`"),
    );
    Ok(ExitCode::SUCCESS)
}

pub fn commit(cli: &Cli) -> Result<ExitCode> {
    let _lock = super::engine::lock(cli)?;
    let Some((path, _)) = journal::find(&cli.state_dir, Kind::Transaction, &here(cli)?)? else {
        return Err(usage("no transaction is open"));
    };
    Journal::remove(&path)?;
    transaction_json(cli, "committed");
    note(cli, format_args!("transaction committed"));
    Ok(ExitCode::SUCCESS)
}

pub fn rollback(cli: &Cli, args: &RollbackArgs) -> Result<ExitCode> {
    if args.discard {
        return discard(cli);
    }
    let _lock = super::engine::lock_only(cli)?;
    let recovered = recover(cli)?;
    let (registry, _) = super::plugins(cli);
    match roll_back_transaction(cli, &registry)? {
        // What taking the lock rolled back (an apply that died, one not confirmed) was what
        // there was to roll back.
        None if recovered > 0 => Ok(ExitCode::SUCCESS),
        None => Err(usage("no transaction is open")),
        Some(report) => {
            if cli.json {
                crate::report::print_json(json!({
                    "rolled_back": crate::report::steps_json(&report.steps),
                    "errors": report.errors,
                    "verified": report.verified,
                }));
            }
            Ok(report_rollback(cli, "transaction", &report))
        }
    }
}

/// `rollback --discard`: the way out of a journal that cannot be read (or rolled back).
fn discard(cli: &Cli) -> Result<ExitCode> {
    let _lock = super::engine::lock_only(cli)?;
    let here = here(cli)?;
    let mut removed = 0;
    for f in journal::list(&cli.state_dir)? {
        let why = match &f.journal {
            Err(e) => format!("unreadable: {e}"),
            Ok(j) if j.whereabouts(&here) == Whereabouts::Here => {
                format!("this namespace's {}", f.kind.describe())
            }
            Ok(_) => continue,
        };
        Journal::remove(&f.path)?;
        removed += 1;
        note(cli, format_args!("removed {} ({why}); nothing was rolled back", f.path.display()));
    }
    if removed == 0 {
        note(cli, format_args!("no journal to discard"));
    }
    Ok(ExitCode::SUCCESS)
}

/// `netplug confirm`: keep what a pending `apply --confirm` did.
pub fn confirm(cli: &Cli) -> Result<ExitCode> {
    let Some((path, _)) = journal::find(&cli.state_dir, Kind::Confirm, &here(cli)?)? else {
        return Err(usage("no confirmed apply is waiting"));
    };
    Journal::remove(&path)?;
    if cli.json {
        crate::report::print_json(json!({ "confirmed": true }));
    }
    note(cli, format_args!("confirmed: the applied configuration stays"));
    Ok(ExitCode::SUCCESS)
}

/// Roll back an open transaction, kernel and store; `None` when none is open. The caller
/// holds the lock.
pub fn roll_back_transaction(cli: &Cli, registry: &Registry) -> Result<Option<RollbackReport>> {
    let Some((path, j)) = journal::find(&cli.state_dir, Kind::Transaction, &here(cli)?)? else {
        return Ok(None);
    };
    let report = j.roll_back(registry);
    if let Some(files) = &j.store {
        restore_store(&Store::new(&cli.config_dir), files)?;
    }
    // Keep the journal if the kernel could not be put back, so a later rollback can retry.
    if report.errors.is_empty() && report.verified {
        super::apply::restore_ownership(cli, &j.ownership_before());
        Journal::remove(&path)?;
    }
    Ok(Some(report))
}

/// What the journals in the state directory ask of a netplug that has just taken the lock:
/// roll back this namespace's apply that died before it finished, and its confirmed apply whose
/// deadline passed unconfirmed (or whose netplug died); discard the journals of namespaces
/// that no longer exist. A journal that cannot be read stops every verb but `rollback
/// --discard`, saying how to get past it.
/// Returns how many journals it rolled back.
pub fn recover(cli: &Cli) -> Result<usize> {
    let found = journal::list(&cli.state_dir)?;
    let mut rolled_back = 0;
    if found.is_empty() {
        return Ok(rolled_back);
    }
    let here = here(cli)?;
    let mut registry = None;
    for f in found {
        let j = f.journal?;
        let what = f.kind.describe();
        match j.whereabouts(&here) {
            Whereabouts::Elsewhere => continue,
            Whereabouts::Gone => {
                let ns = j.netns.as_ref().map(|ns| ns.to_string()).unwrap_or_default();
                eprintln!(
                    "netplug: discarding the journal {} of an {what} in {ns}: that namespace no longer exists",
                    f.path.display()
                );
                Journal::remove(&f.path)?;
                continue;
            }
            Whereabouts::Here => {}
        }
        let earlier_boot = j.netns.as_ref().is_some_and(|ns| ns.boot != here.boot);
        match j.purpose {
            Purpose::Transaction => continue,
            Purpose::Run { .. } if earlier_boot => {
                // What it would undo did not survive the reboot either.
                eprintln!(
                    "netplug: discarding the journal {} of an apply the machine restarted during",
                    f.path.display()
                );
                Journal::remove(&f.path)?;
                continue;
            }
            _ if j.holder_alive() && !j.expired() => continue,
            Purpose::Run { pid } => eprintln!(
                "netplug: an apply (pid {pid}) ended before it finished (killed, crashed or stopped by its \
                 plugin time limit); rolling back its changes"
            ),
            Purpose::Confirm { .. } => {
                eprintln!("netplug: an apply was not confirmed in time; rolling it back")
            }
        }
        let registry = registry.get_or_insert_with(|| super::plugins(cli).0);
        let report = j.roll_back(registry);
        report_rollback(cli, what, &report);
        rolled_back += 1;
        if report.errors.is_empty() && report.verified {
            super::apply::restore_ownership(cli, &j.ownership_before());
            Journal::remove(&f.path)?;
        }
    }
    Ok(rolled_back)
}

/// Print how a rollback went; exit 0 when it was complete and verified.
pub fn report_rollback(cli: &Cli, what: &str, r: &RollbackReport) -> ExitCode {
    for e in &r.errors {
        eprintln!("netplug: rollback error: {e}");
    }
    if r.errors.is_empty() && r.verified {
        note(cli, format_args!("{what} rolled back: {} change(s), verified", r.steps.len()));
        ExitCode::SUCCESS
    } else {
        eprintln!("netplug: {what} rollback could NOT be verified; the journal is kept for another try");
        Exit::Failed.into()
    }
}

/// `begin` and `commit` under `--json`: the transaction's state now.
fn transaction_json(cli: &Cli, state: &str) {
    if cli.json {
        crate::report::print_json(json!({ "transaction": state }));
    }
}

fn read_store(store: &Store) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for path in store.files()? {
        let name = path.file_name().and_then(|n| n.to_str()).context("store file name")?.to_string();
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        files.insert(name, text);
    }
    Ok(files)
}

fn restore_store(store: &Store, files: &BTreeMap<String, String>) -> Result<()> {
    for path in store.files()? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !files.contains_key(name) {
            std::fs::remove_file(&path).with_context(|| path.display().to_string())?;
        }
    }
    for (name, text) in files {
        store.write_atomic(&store.dir().join(name), text.as_bytes())?;
    }
    Ok(())
}
