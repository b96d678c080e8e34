//! One module per verb. Each takes the parsed global options and returns its exit status (the
//! table in `crate::exit`); an error returned ends the run with the status it maps to.

pub mod apply;
pub mod check;
pub mod complete;
pub mod confirm;
pub mod convert;
pub mod daemon;
pub mod define;
pub mod dumpxml;
pub mod edit;
mod engine;
pub mod import;
pub mod lifecycle;
pub mod list;
pub mod lookup;
pub mod order;
pub mod plugins;
pub mod rebridge;
pub mod schema;
pub mod show;
pub mod status;
pub mod txn;
pub mod validate;
pub mod wait_online;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use netplug_core::host::{self, LoadReport, SearchPath};
use netplug_core::load::{self, Loaded};
use netplug_core::registry::Registry;
use netplug_core::validate::ValidateOptions;

use crate::exit::{Exit, Refused};
use crate::{Cli, Command};

pub fn run(cli: &Cli) -> Result<ExitCode> {
    if let Some(verb) = changes_the_kernel(&cli.command) {
        require_net_admin(verb)?;
    }
    if let Some(ns) = &cli.netns {
        netplug_core::netns::enter(ns)?;
    }
    if !matches!(cli.command, Command::Validate(_) | Command::Convert(_) | Command::Order(_)) {
        check_own_dirs(cli)?;
    }
    match &cli.command {
        Command::Validate(a) => validate::run(cli, a),
        Command::Convert(a) => convert::run(cli, a),
        Command::Order(a) => order::run(cli, a),
        Command::Plugins(a) => plugins::run(cli, a),
        Command::Schema(a) => schema::run(cli, a),
        Command::Plan(a) => apply::plan(cli, a),
        Command::Apply(a) => apply::run(cli, a),
        Command::Check(a) => check::run(cli, a),
        Command::Show(a) => show::run(cli, a),
        Command::Define(a) => define::define(cli, a),
        Command::Import(a) => import::run(cli, a),
        Command::Undefine(a) => define::undefine(cli, a),
        Command::List(a) => list::run(cli, a),
        Command::Dumpxml(a) => dumpxml::run(cli, a),
        Command::Start(a) => lifecycle::start(cli, a),
        Command::Stop(a) => lifecycle::stop(cli, a),
        Command::Edit(a) => edit::run(cli, a),
        Command::Name(a) => lookup::name(cli, a),
        Command::Mac(a) => lookup::mac(cli, a),
        Command::Bridge(a) => rebridge::bridge(cli, a),
        Command::Unbridge(a) => rebridge::unbridge(cli, a),
        Command::Begin => txn::begin(cli),
        Command::Commit => txn::commit(cli),
        Command::Rollback(a) => txn::rollback(cli, a),
        Command::Confirm => txn::confirm(cli),
        Command::Daemon(a) => daemon::run(cli, a),
        Command::Status(a) => status::run(cli, a),
        Command::WaitOnline(a) => wait_online::run(cli, a),
        Command::Complete(a) => complete::run(cli, a),
    }
}

/// Refuse directories of netplug's own files that others could change (see
/// `host::check_dir`): what is in them — definitions, journals, the plugin index — decides what
/// netplug does as root. Verbs that only read documents use none of them.
fn check_own_dirs(cli: &Cli) -> Result<()> {
    for (what, dir) in [("configuration", &cli.config_dir), ("run", &cli.run_dir), ("state", &cli.state_dir)]
    {
        host::check_dir(dir).map_err(|e| {
            anyhow::anyhow!(
                "the {what} directory {}: refused: {e}; netplug acts as root on what it keeps there, so \
                 only root or the user running netplug may be able to change it",
                dir.display()
            )
        })?;
    }
    Ok(())
}

/// The verb's name when it changes network interfaces (and so needs CAP_NET_ADMIN).
fn changes_the_kernel(command: &Command) -> Option<&'static str> {
    Some(match command {
        Command::Apply(a) if !a.dry_run => "apply",
        Command::Start(_) => "start",
        Command::Stop(_) => "stop",
        Command::Bridge(a) if !a.no_start => "bridge",
        Command::Unbridge(a) if !a.no_start => "unbridge",
        Command::Rollback(a) if !a.discard => "rollback",
        Command::Daemon(_) => "daemon",
        _ => return None,
    })
}

/// Refuse, before touching anything (the lock, the journal, the kernel), a verb that would
/// change interfaces without the capability to: otherwise it would fail half-way, on the first
/// file or netlink request it is not allowed.
fn require_net_admin(verb: &str) -> Result<()> {
    use caps::{CapSet, Capability};
    // When the capabilities cannot be read, let the kernel be the judge.
    if caps::has_cap(None, CapSet::Effective, Capability::CAP_NET_ADMIN).unwrap_or(true) {
        return Ok(());
    }
    Err(Refused {
        exit: Exit::Permission,
        message: format!("`netplug {verb}` changes network interfaces and needs root (CAP_NET_ADMIN)"),
    }
    .into())
}

/// Load the plugins on the search path this invocation names.
pub fn plugins(cli: &Cli) -> (Registry, Vec<LoadReport>) {
    let mut index = host::PluginIndex::in_dir(&cli.run_dir);
    // The index keeps no vocabularies (they are large and only `schema` reads them).
    let opening = if matches!(cli.command, Command::Plugins(_) | Command::Schema(_)) {
        host::Opening::Now
    } else {
        host::Opening::OnFirstUse
    };
    host::load_all_indexed(&SearchPath::new(cli.plugin_dirs.clone()), &mut index, opening)
}

/// Read documents (parse them; see `load::load_files`): a libvirt one with the plugins of its
/// kinds, which translate their subtrees.
pub fn read_documents(files: &[PathBuf], registry: &Registry) -> Loaded {
    load::load_files(files, registry)
}

/// Read documents and validate them with the plugins: the first stage of every verb that
/// takes files. Diagnostics from both stages are in `loaded.diagnostics`, sorted.
pub fn load_and_validate(cli: &Cli, files: &[PathBuf], registry: &Registry) -> Loaded {
    let _ = cli;
    let mut loaded = read_documents(files, registry);
    let opts = ValidateOptions { sources: Some(&loaded.sources), ..Default::default() };
    let mut diagnostics = netplug_core::validate::validate(&mut loaded.config, registry, &opts);
    loaded.diagnostics.append(&mut diagnostics);
    loaded.diagnostics.sort_by_key(|d| (d.span.file, d.span.line, d.span.col));
    loaded.diagnostics.dedup();
    loaded
}

/// Print diagnostics (text to stderr, or the diagnostics document to stdout) and say whether any
/// is an error. Under `--json` the document is printed only when they are the result: from `validate`, or
/// with errors (the verb stops there); warnings before a verb's own document go to stderr.
pub fn print_diagnostics(cli: &Cli, loaded: &Loaded) -> bool {
    let document = cli.json && (loaded.has_errors() || matches!(cli.command, Command::Validate(_)));
    crate::report::diagnostics(document, &loaded.sources, &loaded.diagnostics);
    loaded.has_errors()
}

/// Interfaces as a libvirt document, for `show --libvirt` and `dumpxml --libvirt`, warning on
/// stderr about each interface or setting left out because libvirt's dialect has no form for
/// it (a veth, a VXLAN…), as `convert` does.
pub fn libvirt_document(
    interfaces: &[netplug_core::model::Interface],
    registry: &netplug_core::registry::Registry,
) -> String {
    let (text, dropped) = netplug_core::dialect::libvirt::write_document(interfaces, registry);
    for d in &dropped {
        eprintln!("netplug: warning: dropped (libvirt cannot express it): {d}");
    }
    text
}
