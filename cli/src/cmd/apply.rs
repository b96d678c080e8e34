//! `netplug apply FILE...` and `netplug plan FILE...`: make the kernel match the documents, or
//! show what that would take.
//!
//! `apply FILE` governs exactly the interfaces the files name: within each, the file is the
//! whole truth (what netplug configured there and the file no longer lists is removed), and no
//! other interface is touched. Every apply is verified, and any failure rolls back at once.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use netplug_core::apply::{ApplyError, ApplyOptions, Run};
use netplug_core::journal::{self, Identity, Journal, Kind, Purpose};
use netplug_core::lifecycle;
use netplug_core::model::Config;
use netplug_core::plan::{Snapshot, Step};
use netplug_core::registry::Registry;
use netplug_core::store::Store;
use serde_json::json;

use crate::exit::Exit;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required_unless_present = "all", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Apply every stored `onboot` definition and what it needs (what the boot service runs).
    #[arg(long, conflicts_with = "files")]
    pub all: bool,
    /// Print the plan and change nothing (the same as `netplug plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Testing aid: fail on purpose when reaching step K (1-based), then roll back.
    #[arg(long, value_name = "K", hide = true)]
    pub inject_failure_at: Option<usize>,
    #[command(flatten)]
    pub confirm: super::confirm::ConfirmArgs,
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn plan(cli: &Cli, args: &PlanArgs) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let Some(mut loaded) = super::engine::prepare(cli, &args.files, &registry) else {
        return Ok(Exit::Failed.into());
    };
    let run = Run::with_items(&loaded.config, &registry, loaded.validated.take());
    let (plan, _) = run.plan()?;
    print_steps(cli, &plan.steps, "would");
    Ok(Exit::Ok.into())
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    if args.dry_run {
        return plan(cli, &PlanArgs { files: args.files.clone() });
    }
    let started = Instant::now();
    let _lock = super::engine::lock(cli)?;
    let (registry, _) = super::plugins(cli);
    if args.all {
        // The boot service's run: a transaction left open (by a crash or a reboot) is undone
        // first, as netcf's boot script did, and the definitions it restores are applied.
        if let Some(report) = super::txn::roll_back_transaction(cli, &registry)? {
            super::txn::report_rollback(cli, "uncommitted transaction", &report);
        }
    }
    let loaded = if args.all {
        let mut loaded = Store::new(&cli.config_dir).load()?;
        loaded.config = lifecycle::boot_set(&loaded.config);
        loaded
    } else {
        super::read_documents(&args.files)
    };
    let Some(mut loaded) = super::engine::prepare_loaded(cli, loaded, &registry) else {
        return Ok(Exit::Failed.into());
    };
    let opts = ApplyOptions { inject_failure_at: args.inject_failure_at };
    let run = Run::with_items(&loaded.config, &registry, loaded.validated.take());
    let code = apply_run(cli, run, &opts, started, args.confirm.seconds, true)?;
    if code == ExitCode::SUCCESS && args.confirm.seconds.is_some() {
        return super::confirm::wait(cli, &registry, &args.confirm);
    }
    Ok(code)
}

/// Apply a validated configuration and report the outcome (on success only when `report`: a
/// step that prepares the verb's real apply says nothing); the caller holds the lock.
pub fn apply_config(
    cli: &Cli,
    config: &Config,
    registry: &Registry,
    opts: &ApplyOptions,
    started: Instant,
    confirm_within: Option<u64>,
    report: bool,
) -> Result<ExitCode> {
    apply_run(cli, Run::new(config, registry), opts, started, confirm_within, report)
}

/// [`apply_config`] for a run already prepared.
///
/// Before the first change the run is journaled (see [`journal_before`]); the journal is
/// removed when the run ends with the kernel as the documents say or as it was, and kept
/// when a rollback could not be verified, for the next netplug to try again.
fn apply_run(
    cli: &Cli,
    run: Run<'_>,
    opts: &ApplyOptions,
    started: Instant,
    confirm_within: Option<u64>,
    report: bool,
) -> Result<ExitCode> {
    let config = run.config;
    let here = super::txn::here(cli)?;
    let kind = if confirm_within.is_some() { Kind::Confirm } else { Kind::Run };
    let run_journal = journal::path(&cli.state_dir, kind, &here);
    let mut record = |before: &Snapshot| {
        journal_before(cli, &here, config, before, confirm_within)
            .map_err(|e| crate::report::error_text(e.as_ref()))
    };
    let span = tracing::info_span!("apply", interface = %interface_names(config)).entered();
    let result = run.apply_recorded(opts, &mut record);
    drop(span);
    crate::progress::finish();
    let kept = match &result {
        // A confirmed apply's journal waits for the confirmation.
        Ok(_) => kind == Kind::Confirm,
        Err(e) => e.rollback().is_some_and(|r| !(r.errors.is_empty() && r.verified)),
    };
    if !kept {
        Journal::remove(&run_journal)?;
    }
    match result {
        Ok(_) if !report => Ok(Exit::Ok.into()),
        Ok(steps) => {
            if cli.json {
                crate::report::print_json(json!({
                    "applied": true,
                    "changed": !steps.is_empty(),
                    "verified": true,
                    "steps": crate::report::steps_json(&steps),
                    "error": null,
                    "rollback": null,
                }));
            } else if steps.is_empty() {
                println!("no changes: the kernel already matches");
            } else {
                print_steps(cli, &steps, "applied");
                println!(
                    "applied {} change(s) and verified them in {:.1} ms",
                    steps.len(),
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
            Ok(Exit::Ok.into())
        }
        Err(e) => {
            report_failure(cli, &e);
            if kept {
                eprintln!(
                    "netplug: the journal {} is kept: the next netplug tries the rollback again",
                    run_journal.display()
                );
            }
            Ok(Exit::Failed.into())
        }
    }
}

/// The interfaces an apply governs, for its log events' `interface` field (journal field
/// `NETPLUG_INTERFACE`).
fn interface_names(config: &Config) -> String {
    config.interfaces.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(" ")
}

/// Before the first change: journal the state of what is about to change — in the open
/// transaction's journal, and in the run's own (a confirmed apply's, which also waits for
/// the confirmation), so a netplug that dies from here on is rolled back by the next one.
fn journal_before(
    cli: &Cli,
    here: &Identity,
    config: &Config,
    before: &Snapshot,
    confirm_within: Option<u64>,
) -> Result<()> {
    if let Some((path, mut j)) = journal::find(&cli.state_dir, Kind::Transaction, here)? {
        j.record(config, before);
        j.save(&path)?;
    }
    let (purpose, kind) = match confirm_within {
        Some(secs) => {
            let deadline_ms = journal::now_ms() + secs * 1000;
            (Purpose::Confirm { deadline_ms, pid: std::process::id() }, Kind::Confirm)
        }
        None => (Purpose::Run { pid: std::process::id() }, Kind::Run),
    };
    let mut j = Journal::new(purpose, here.clone());
    j.record(config, before);
    j.save(&journal::path(&cli.state_dir, kind, here))?;
    Ok(())
}

fn report_failure(cli: &Cli, e: &ApplyError) {
    let rollback = e.rollback();
    if cli.json {
        crate::report::print_json(json!({
            "applied": false,
            "changed": false,
            "verified": false,
            "steps": [],
            "error": e.to_string(),
            "rollback": rollback.map(|r| json!({
                "steps": crate::report::steps_json(&r.steps),
                "errors": r.errors,
                "verified": r.verified,
            })),
        }));
        return;
    }
    eprintln!("netplug: error: {e}");
    match rollback {
        None => eprintln!("netplug: nothing was changed"),
        Some(r) if r.errors.is_empty() && r.verified => {
            eprintln!("netplug: rolled back {} change(s); the system is as it was before", r.steps.len())
        }
        Some(r) => {
            for err in &r.errors {
                eprintln!("netplug: rollback error: {err}");
            }
            eprintln!(
                "netplug: rollback {} ({} change(s) attempted)",
                if r.verified {
                    "verified"
                } else {
                    "could NOT be verified: the system may differ from before"
                },
                r.steps.len()
            );
        }
    }
}

/// Print steps as `  N. IFACE: DESCRIPTION [plugin, phase]`, or JSON.
pub fn print_steps(cli: &Cli, steps: &[Step], verb: &str) {
    if cli.json {
        crate::report::print_json(json!({ "steps": crate::report::steps_json(steps) }));
        return;
    }
    if steps.is_empty() {
        println!("no changes: the kernel already matches");
        return;
    }
    if verb == "would" {
        println!("{} change(s) to make:", steps.len());
    }
    // One write for the lot: stdout is line-buffered, and 10,000 steps written line by line
    // to a pipe cost more than applying them.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (i, s) in steps.iter().enumerate() {
        let phase = serde_json::to_value(s.change.phase).ok().and_then(|v| v.as_str().map(str::to_string));
        let _ = writeln!(
            out,
            "{:>5}. {}: {}  [{}, {}]",
            i + 1,
            s.change.interface,
            s.change.description,
            s.plugin,
            phase.unwrap_or_default()
        );
    }
    let _ = out.flush();
}
