//! `netplug apply FILE...` and `netplug plan FILE...`: make the kernel match the documents, or
//! show what that would take.
//!
//! `apply FILE` governs exactly the interfaces the files name: within each, the file is the
//! whole truth (what netplug configured there and the file no longer lists is removed), and no
//! other interface is touched. Every apply is verified, and any failure rolls back at once.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use netplug_core::apply::{ApplyError, ApplyOptions, Run};
use netplug_core::journal::{self, Identity, Journal, Kind, Purpose};
use netplug_core::lifecycle;
use netplug_core::model::Config;
use netplug_core::ownership::{self, Ownership};
use netplug_core::plan::{Snapshot, Step};
use netplug_core::registry::Registry;
use netplug_core::sdk::Phase;
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
    /// Also remove interfaces netplug created that neither these documents nor the definitions
    /// describe any more (`apply --all` does this unless `--no-prune`).
    #[arg(long, conflicts_with = "no_prune")]
    pub prune: bool,
    /// With `--all`: leave interfaces netplug created and no longer defines in place.
    #[arg(long)]
    pub no_prune: bool,
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
        // Validate every definition (masters and parents are filled in by validation, and the
        // boot set and pruning need them), then apply what boots.
        let Some(all) =
            super::engine::prepare_loaded(cli, Store::new(&cli.config_dir).load(&registry)?, &registry)
        else {
            return Ok(Exit::Failed.into());
        };
        let mut config = lifecycle::boot_set(&all.config);
        if !args.no_prune {
            let defined = |n: &str| all.config.get(n).is_some();
            add_prune(cli, &registry, &mut config, &all.config, &defined)?;
        }
        let opts = ApplyOptions { inject_failure_at: args.inject_failure_at };
        let (code, _) = apply_available(cli, &config, &registry, &opts, started, args.confirm.seconds)?;
        return confirm_after(cli, &registry, args, code);
    }
    let loaded = super::read_documents(&args.files, &registry);
    let Some(mut loaded) = super::engine::prepare_loaded(cli, loaded, &registry) else {
        return Ok(Exit::Failed.into());
    };
    let opts = ApplyOptions { inject_failure_at: args.inject_failure_at };
    if args.prune {
        let store = Store::new(&cli.config_dir);
        let mut config = loaded.config.clone();
        let described = |n: &str| loaded.config.get(n).is_some() || store.contains(n);
        add_prune(cli, &registry, &mut config, &loaded.config, &described)?;
        if config.interfaces.len() > loaded.config.interfaces.len() {
            return apply_config(cli, &config, &registry, &opts, started, args.confirm.seconds, true)
                .and_then(|code| confirm_after(cli, &registry, args, code));
        }
    }
    let run = Run::with_items(&loaded.config, &registry, loaded.validated.take());
    let code = apply_run(cli, run, &opts, started, args.confirm.seconds, true)?;
    confirm_after(cli, &registry, args, code)
}

/// With `--confirm`, wait for the confirmation of what was applied (all of it, or the part a
/// partial boot could apply).
fn confirm_after(cli: &Cli, registry: &Registry, args: &Args, code: ExitCode) -> Result<ExitCode> {
    let partial = code == Exit::Partial.into();
    if (code == ExitCode::SUCCESS || partial) && args.confirm.seconds.is_some() {
        let confirmed = super::confirm::wait(cli, registry, &args.confirm)?;
        return Ok(if partial && confirmed == ExitCode::SUCCESS { code } else { confirmed });
    }
    Ok(code)
}

/// Add to `config`, as `absent`, the interfaces netplug created that `described` no longer
/// names and nothing still uses (see `docs/ownership.md`); say what is pruned and what is kept.
pub fn add_prune(
    cli: &Cli,
    registry: &Registry,
    config: &mut Config,
    definitions: &Config,
    described: &dyn Fn(&str) -> bool,
) -> Result<()> {
    let netns = super::txn::here(cli)?.ino;
    let mut record = match Ownership::load(&cli.state_dir, netns) {
        Ok(r) => r,
        Err(e) => {
            // Deleting nothing is the safe answer to a record that cannot be read.
            tracing::warn!("{e}; pruning nothing");
            eprintln!("netplug: warning: {e}; pruning nothing");
            return Ok(());
        }
    };
    let in_run = |n: &str| described(n) || config.get(n).is_some();
    if !record.created.keys().any(|n| !in_run(n)) {
        // Nothing to consider: spare the dump of every link.
        return Ok(());
    }
    let live = ownership::live_links(registry)?;
    if record.forget_gone(&live) {
        save_ownership(cli, &record, netns);
    }
    let (prune, kept) = ownership::prune_set(&record, &in_run, definitions, &live);
    for (name, user) in &kept {
        if !cli.quiet && !cli.json {
            println!(
                "keeping {name}: netplug created it and nothing defines it, but it is still used by {user}"
            );
        }
    }
    for i in prune {
        if !cli.quiet && !cli.json {
            println!("pruning {} ({}): netplug created it and nothing describes it any more", i.name, i.kind);
        }
        config.interfaces.push(i);
    }
    Ok(())
}

/// Apply what can be applied of `config`: an interface whose plan fails on its own account (a
/// device that is not there) is left out with everything that depends on it — its masters and
/// what is stacked on it — and the rest is applied. Returns the exit status (0, 1, or
/// [`Exit::Partial`] when something was left out) and the interfaces whose own plan failed.
pub fn apply_available(
    cli: &Cli,
    config: &Config,
    registry: &Registry,
    opts: &ApplyOptions,
    started: Instant,
    confirm_within: Option<u64>,
) -> Result<(ExitCode, Vec<String>)> {
    let mut config = config.clone();
    let mut left_out: Vec<(String, Vec<String>, String)> = Vec::new();
    loop {
        let run = Run::new(&config, registry);
        let failed = match run.plan() {
            Err(e) => match e.error.interface.clone().filter(|n| config.get(n).is_some()) {
                Some(name) => (name, e.to_string()),
                None => break,
            },
            Ok(_) => break,
        };
        let dependents = lifecycle::dependents(&config, &failed.0);
        config.interfaces.retain(|i| i.name != failed.0 && !dependents.contains(&i.name));
        left_out.push((failed.0, dependents, failed.1));
    }
    for (name, dependents, why) in &left_out {
        let with = if dependents.is_empty() {
            String::new()
        } else {
            format!(" (and {}, which depend on it)", dependents.join(", "))
        };
        eprintln!("netplug: error: {name} cannot be configured{with}: {why}");
    }
    let failed: Vec<String> = left_out.iter().map(|(n, _, _)| n.clone()).collect();
    if config.interfaces.is_empty() {
        if !left_out.is_empty() {
            eprintln!("netplug: nothing was changed");
            return Ok((Exit::Failed.into(), failed));
        }
        return Ok((ExitCode::SUCCESS, failed));
    }
    let code = apply_config(cli, &config, registry, opts, started, confirm_within, true)?;
    if code == ExitCode::SUCCESS && !left_out.is_empty() {
        let names: Vec<&str> = left_out.iter().map(|(n, _, _)| n.as_str()).collect();
        eprintln!(
            "netplug: applied the rest; not configured: {} (exit status {})",
            names.join(", "),
            Exit::Partial.code()
        );
        return Ok((Exit::Partial.into(), failed));
    }
    Ok((code, failed))
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
    // What the ownership record said of this run's interfaces before its first change, for a
    // verified rollback to put back.
    let mut owned_before = BTreeMap::new();
    let mut enslaving = Vec::new();
    let mut record = |before: &Snapshot, steps: &[Step]| {
        let owned = load_ownership(cli, here.ino);
        let j = journal_before(cli, &here, config, before, confirm_within, owned.as_ref())
            .map_err(|e| crate::report::error_text(e.as_ref()))?;
        owned_before = j.ownership_before();
        // Journal-style: what the run will create is recorded before it exists, so that a kill
        // at any point leaves nothing netplug made out of the record.
        if let Some(mut owned) = owned {
            let mut changed = owned.note_intent(config, run.registry, steps);
            // The enslavements it makes, likewise: which ports are not in their master yet
            // only the live links say (read only when the run enslaves something).
            if steps.iter().any(|s| s.change.phase == Phase::Enslave) {
                match ownership::live_links(run.registry) {
                    Ok(live) => {
                        enslaving = owned.note_enslaving(config, &live);
                        changed |= !enslaving.is_empty();
                    }
                    // Unrecorded, such a port keeps its master from being pruned: the safe side.
                    Err(e) => tracing::warn!("recording the enslavements of this run: {e}"),
                }
            }
            if changed {
                save_ownership(cli, &owned, here.ino);
            }
        }
        Ok(())
    };
    let span = tracing::info_span!("apply", interface = %interface_names(config)).entered();
    let result = run.apply_recorded(opts, &mut record);
    drop(span);
    crate::progress::finish();
    match &result {
        Ok(steps) => record_ownership(cli, config, run.registry, steps),
        Err(e) if e.rollback().is_some_and(|r| r.errors.is_empty() && r.verified) => {
            restore_ownership(cli, &owned_before);
            forget_enslaving(cli, &enslaving);
        }
        // Not rolled back whole: what the run created may still be there; the record keeps it.
        Err(_) => {}
    }
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

/// After a verified apply: note what netplug created and deleted (see `docs/ownership.md`).
/// A record that cannot be read is left alone: an interface missing from it is only never
/// pruned, which is the safe side.
fn record_ownership(cli: &Cli, config: &Config, registry: &Registry, steps: &[Step]) {
    let Ok(netns) = super::txn::here(cli).map(|h| h.ino) else { return };
    if let Some(mut record) = load_ownership(cli, netns) {
        if record.note_applied(config, registry, steps) {
            save_ownership(cli, &record, netns);
        }
    }
}

/// After a verified rollback (of a run, a transaction, an unconfirmed apply): the record of
/// the interfaces it covered goes back to what it was before they were first touched.
pub fn restore_ownership(cli: &Cli, before: &BTreeMap<String, Option<String>>) {
    if before.is_empty() {
        return;
    }
    let Ok(netns) = super::txn::here(cli).map(|h| h.ino) else { return };
    if let Some(mut record) = load_ownership(cli, netns) {
        if record.restore(before) {
            save_ownership(cli, &record, netns);
        }
    }
}

/// After a verified rollback of a run: the enslavements it recorded before its first change
/// are undone, so they leave the record. (A rollback by a later netplug leaves them to the next
/// pruning run, which forgets what the kernel no longer shows.)
fn forget_enslaving(cli: &Cli, added: &[(String, String)]) {
    if added.is_empty() {
        return;
    }
    let Ok(netns) = super::txn::here(cli).map(|h| h.ino) else { return };
    if let Some(mut record) = load_ownership(cli, netns) {
        if record.forget_enslaved(added) {
            save_ownership(cli, &record, netns);
        }
    }
}

/// The ownership record of namespace `netns`; `None`, with a warning, when it cannot be read
/// (it is then never overwritten).
fn load_ownership(cli: &Cli, netns: u64) -> Option<Ownership> {
    Ownership::load(&cli.state_dir, netns)
        .inspect_err(|e| {
            tracing::warn!("recording what netplug created: {e:#}");
            eprintln!("netplug: warning: recording what netplug created: {e:#}");
        })
        .ok()
}

fn save_ownership(cli: &Cli, record: &Ownership, netns: u64) {
    if let Err(e) = record.save(&cli.state_dir, netns) {
        tracing::warn!("recording what netplug created: {e:#}");
        eprintln!("netplug: warning: recording what netplug created: {e:#}");
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
    owned: Option<&Ownership>,
) -> Result<Journal> {
    if let Some((path, mut j)) = journal::find(&cli.state_dir, Kind::Transaction, here)? {
        j.record(config, before);
        if let Some(o) = owned {
            j.record_ownership(&o.created);
        }
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
    if let Some(o) = owned {
        j.record_ownership(&o.created);
    }
    j.save(&journal::path(&cli.state_dir, kind, here))?;
    Ok(j)
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
