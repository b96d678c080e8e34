//! The `netplug` command: clap definitions and glue. The work happens in `netplug-core` and the
//! plugins; this crate parses arguments, sets up logging, and prints results. It is a library
//! (the binary only calls [`main`]) so that xtask can build the man pages and shell
//! completions from the same clap definitions ([`command`]).

mod cmd;
mod daemon;
mod exit;
mod logging;
mod progress;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

/// Declarative configuration of Linux host network interfaces.
#[derive(Parser, Debug)]
#[command(name = "netplug", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Act inside the named network namespace (as created by `ip netns add NAME`).
    #[arg(long, global = true, value_name = "NAME")]
    pub netns: Option<String>,

    // The options that say where netplug keeps its files, and `--wait`, come before the verb:
    // they are set once per installation (mostly through the environment), and each option
    // made global is copied into every subcommand at every start, about 18 µs apiece.
    /// Where interface definitions are stored (before the verb).
    #[arg(long, value_name = "DIR", env = "NETPLUG_CONFIG_DIR", default_value = "/etc/netplug")]
    pub config_dir: PathBuf,

    /// Where the lock, leases and other state of running netplug processes live (before the
    /// verb).
    #[arg(long, value_name = "DIR", env = "NETPLUG_RUN_DIR", default_value = "/run/netplug")]
    pub run_dir: PathBuf,

    /// Where transactions and pending confirmations are journaled, kept across reboots (before
    /// the verb).
    #[arg(long, value_name = "DIR", env = "NETPLUG_STATE_DIR", default_value = "/var/lib/netplug")]
    pub state_dir: PathBuf,

    /// How long to wait for another netplug to finish before giving up, in seconds (before the
    /// verb).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub wait: f64,

    /// Look for plugins in DIR first (repeatable; before the verb); then NETPLUG_PLUGIN_PATH,
    /// then the installed default.
    #[arg(long = "plugin-dir", value_name = "DIR", action = ArgAction::Append)]
    pub plugin_dirs: Vec<PathBuf>,

    /// More logging (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
// Each subcommand's arguments are built only when it runs: building all of them was a sixth of
// the start-up of every run.
#[command(defer = true)]
pub enum Command {
    /// Check documents without touching the kernel; print every problem as FILE:LINE:COL.
    Validate(cmd::validate::Args),
    /// Convert documents between the native and the libvirt dialect.
    Convert(cmd::convert::Args),
    /// Print the ordered steps an apply of these documents would take.
    Order(cmd::order::Args),
    /// Print the changes an apply would make, changing nothing.
    Plan(cmd::apply::PlanArgs),
    /// Make the kernel match the documents: in order, verified, rolled back on any failure.
    Apply(cmd::apply::Args),
    /// Report drift between the documents and the kernel; exit 1 if any.
    Check(cmd::check::Args),
    /// Print live state in netplug's XML (or libvirt's, with --libvirt).
    Show(cmd::show::Args),
    /// Validate documents and store their interfaces as definitions (replacing earlier ones).
    Define(cmd::define::DefineArgs),
    /// Read the host's existing configuration (ifupdown, networkd…) as a native document, or
    /// define it; nothing is applied.
    Import(cmd::import::Args),
    /// Remove stored definitions (the kernel is not touched).
    Undefine(cmd::define::UndefineArgs),
    /// List defined interfaces and whether each is active (exists and is up).
    List(cmd::list::Args),
    /// Print an interface's live state, or with --inactive its stored definition.
    Dumpxml(cmd::dumpxml::Args),
    /// Bring defined interfaces up, with their ports and parents.
    Start(cmd::lifecycle::Args),
    /// Take defined interfaces and their ports down (virtual links are deleted).
    Stop(cmd::lifecycle::Args),
    /// Edit a stored definition in $VISUAL/$EDITOR; it is validated before it is saved.
    Edit(cmd::edit::Args),
    /// Print the interfaces with this MAC address (live first, then definitions).
    Name(cmd::lookup::NameArgs),
    /// Print an interface's MAC address.
    Mac(cmd::lookup::MacArgs),
    /// Put a new bridge over an interface and move its IP configuration onto the bridge.
    Bridge(cmd::rebridge::BridgeArgs),
    /// Remove a bridge and move its IP configuration back to its one port.
    Unbridge(cmd::rebridge::UnbridgeArgs),
    /// Open a transaction: later changes can be undone with `rollback` until `commit`.
    Begin,
    /// Close the open transaction, keeping its changes.
    Commit,
    /// Undo everything since `begin`: the kernel and the stored definitions (--discard: drop
    /// the journals instead, changing nothing).
    Rollback(cmd::txn::RollbackArgs),
    /// Keep what a waiting `apply --confirm` applied.
    Confirm,
    /// List the plugins found, what they handle, and whether they loaded.
    Plugins(cmd::plugins::Args),
    /// Print the RelaxNG schema of the native dialect, with every loaded plugin's vocabulary
    /// (for editors and `xmllint --relaxng`).
    Schema(cmd::schema::Args),
    /// Keep interfaces as defined: onboot at start, hotplug and ifplug as devices and carrier
    /// come and go, DHCP leases renewed. Runs until SIGTERM; SIGHUP reloads the definitions.
    Daemon(cmd::daemon::Args),
    /// Each defined interface's kind, start mode, state and leases, and whether the daemon runs.
    Status(cmd::status::Args),
    /// Wait until every onboot interface (or each NAME) is up with all its definition says
    /// (addresses, routes, a DHCP lease), or a timeout passes (exit 1).
    WaitOnline(cmd::wait_online::Args),
    /// For the shell completions: list the live devices (of `--netns NAME`'s namespace).
    #[command(name = "__complete", hide = true)]
    Complete(cmd::complete::Args),
}

/// The whole of `netplug`: parse the command line, run the verb, return its exit status.
pub fn main() -> ExitCode {
    // Like every Unix filter: `netplug show | head` ends quietly when head stops reading,
    // instead of panicking on the broken pipe.
    // SAFETY: restoring the default disposition of one signal before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        placement_hint(&e);
        e.exit()
    });
    // Plugins keep their state (DHCP leases) under the run directory and read it from the
    // environment: make `--run-dir` theirs too. Set before any thread exists.
    std::env::set_var("NETPLUG_RUN_DIR", &cli.run_dir);
    // The daemon runs for good and edit hands the terminal to an editor: no progress line.
    let progress = !matches!(cli.command, Command::Daemon(_) | Command::Edit(_));
    logging::init(cli.verbose, cli.quiet, progress);
    let result = cmd::run(&cli);
    progress::finish();
    match result {
        Ok(code) => code,
        Err(e) => {
            let exit = exit::of_error(&e);
            // In the journal, `<3>` gives the line its priority (error).
            let priority = if logging::stderr_is_journal() { "<3>" } else { "" };
            eprintln!("{priority}{}", report::error_line(&e, exit));
            exit.into()
        }
    }
}

/// The clap definition of the command line, for generating man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// For one of netplug's own options (those of `Cli` that are not global) given after the verb,
/// where clap can only say it does not know it: say where it goes, and exit.
fn placement_hint(e: &clap::Error) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else { return };
    let command = <Cli as clap::CommandFactory>::command();
    let given = arg.split('=').next().and_then(|a| a.strip_prefix("--"));
    let mut own = command.get_arguments().filter(|a| !a.is_global_set()).filter_map(|a| a.get_long());
    let Some(option) = own.find(|long| Some(*long) == given) else { return };
    let option = format!("--{option}");
    let verbs: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
    let verb = std::env::args().skip(1).find(|a| verbs.contains(&a.as_str())).unwrap_or("VERB".into());
    eprintln!(
        "error: {option} is netplug's own option and goes before the verb: netplug {option} ... {verb} ..."
    );
    std::process::exit(exit::Exit::Usage.code().into());
}
