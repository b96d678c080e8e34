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
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use netplug_core::apply::RollbackReport;
use netplug_core::journal::{self, Journal, Purpose};
use netplug_core::registry::Registry;
use netplug_core::store::Store;

use serde_json::json;

use crate::exit::{usage, Exit};
use crate::report::note;
use crate::Cli;

pub fn begin(cli: &Cli) -> Result<ExitCode> {
    let _lock = super::engine::lock(cli)?;
    let path = journal::transaction_path(&cli.state_dir);
    if Journal::load(&path)?.is_some() {
        return Err(usage(format!(
            "a transaction is already open (since {}); commit or roll it back first",
            path.display()
        )));
    }
    let mut j = Journal::new(Purpose::Transaction);
    j.store = Some(read_store(&Store::new(&cli.config_dir))?);
    j.save(&path)?;
    transaction_json(cli, "open");
    note(
        cli,
        format_args!("transaction open: changes from now on can be rolled back with `netplug rollback`"),
    );
    Ok(ExitCode::SUCCESS)
}

pub fn commit(cli: &Cli) -> Result<ExitCode> {
    let _lock = super::engine::lock(cli)?;
    let path = journal::transaction_path(&cli.state_dir);
    if Journal::load(&path)?.is_none() {
        return Err(usage("no transaction is open"));
    }
    Journal::remove(&path)?;
    transaction_json(cli, "committed");
    note(cli, format_args!("transaction committed"));
    Ok(ExitCode::SUCCESS)
}

pub fn rollback(cli: &Cli) -> Result<ExitCode> {
    let _lock = super::engine::lock(cli)?;
    let (registry, _) = super::plugins(cli);
    match roll_back_transaction(cli, &registry)? {
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

/// `netplug confirm`: keep what a pending `apply --confirm` did.
pub fn confirm(cli: &Cli) -> Result<ExitCode> {
    let path = journal::confirm_path(&cli.state_dir);
    if Journal::load(&path)?.is_none() {
        return Err(usage("no confirmed apply is waiting"));
    }
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
    let path = journal::transaction_path(&cli.state_dir);
    let Some(j) = Journal::load(&path)? else { return Ok(None) };
    let report = j.roll_back(registry);
    if let Some(files) = &j.store {
        restore_store(&Store::new(&cli.config_dir), files)?;
    }
    // Keep the journal if the kernel could not be put back, so a later rollback can retry.
    if report.errors.is_empty() && report.verified {
        Journal::remove(&path)?;
    }
    Ok(Some(report))
}

/// Roll back a confirmed apply whose deadline passed without confirmation (its netplug was
/// killed, or the machine rebooted). Called by every verb that takes the lock.
pub fn roll_back_expired_confirm(cli: &Cli, registry: &Registry) -> Result<()> {
    let path = journal::confirm_path(&cli.state_dir);
    let Some(j) = Journal::load(&path)? else { return Ok(()) };
    let holder_alive = matches!(j.purpose, Purpose::Confirm { pid, .. } if pid != std::process::id()
        && Path::new(&format!("/proc/{pid}")).exists());
    if !j.expired() && holder_alive {
        return Ok(());
    }
    eprintln!("netplug: an apply was not confirmed in time; rolling it back");
    let report = j.roll_back(registry);
    report_rollback(cli, "unconfirmed apply", &report);
    if report.errors.is_empty() && report.verified {
        Journal::remove(&path)?;
    }
    Ok(())
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
