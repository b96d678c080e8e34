//! `netplug daemon`: one long-running process that keeps interfaces as their definitions say
//! while the world changes under them.
//!
//! * At start it applies every `onboot` definition, as `apply --all` does, and again every
//!   30 s until that succeeds (a DHCP server may come up later). What cannot be configured
//!   because its device is missing is left out, with what depends on it, and the boot apply
//!   runs again when that device appears. Unlike `apply --all` it does
//!   not roll back an open transaction: a daemon restart is not a boot.
//! * `hotplug` interfaces are brought up when their device appears; `ifplug` interfaces when
//!   carrier comes, and taken back to the bare link (up, without addresses, DHCP or routes)
//!   when it goes, as ifplugd did, so that carrier can be seen coming back.
//! * Leases are kept: the DHCP plugin reports when each lease next needs attention (T1, T2, a
//!   retry, its end) and plans the renewal itself; the daemon sleeps until the earliest such
//!   time (and never longer than a few seconds) and then re-applies that interface's
//!   definition, which renews.
//! * Like `apply --all`, the onboot pass prunes what netplug created and no longer defines, and
//!   so does a reload (`--no-prune` keeps it all; see `docs/ownership.md`).
//! * SIGHUP reloads the definitions; SIGTERM and SIGINT end it at once, releasing nothing and
//!   deconfiguring nothing: leases are recorded under the run directory and a new daemon
//!   carries on with them.
//!
//! Every change is an ordinary verified apply that rolls back on failure, under the lock, taken
//! only for that apply: other netplug verbs run while the daemon waits.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use netplug_core::apply::ApplyOptions;
use netplug_core::journal::Whereabouts;
use netplug_core::lifecycle;
use netplug_core::model::{Config, StartMode};
use netplug_core::rebridge::is_ip_configuration;
use netplug_core::registry::Registry;
use netplug_core::store::Store;
use netplug_netlink::Socket;

use crate::daemon::links::{self, Change, Links, Watcher};
use crate::daemon::signals::{self, Signals};
use crate::daemon::{leases, notify, pidfile};
use crate::Cli;

/// The longest the daemon sleeps, so nothing it could have missed waits longer than this.
const TICK: Duration = Duration::from_secs(5);
/// How long before an apply that failed is tried again, while its reason still holds (the
/// device is there, carrier is up, the lease is due).
const RETRY: Duration = Duration::from_secs(30);

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Leave interfaces netplug created and no longer defines in place: the start and the
    /// reload (SIGHUP) prune them otherwise, as `apply --all` does.
    #[arg(long)]
    pub no_prune: bool,
}

/// What to make of an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Goal {
    /// Its whole definition, with its ports and parents (as `netplug start`).
    Up,
    /// An `ifplug` interface without carrier: the link up, so carrier can be seen, and none of
    /// its IP configuration.
    LinkOnly,
}

/// How an apply went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Applied,
    Failed,
    /// Another netplug held the lock too long: nothing was tried.
    Busy,
}

struct Daemon<'a> {
    cli: &'a Cli,
    /// Whether the onboot pass and a reload prune what netplug created and no longer defines.
    prune: bool,
    registry: Registry,
    /// The validated definitions (masters and parents filled in).
    definitions: Config,
    links: Links,
    sock: Socket,
    /// Interfaces whose last link-driven apply failed: the goal and when to try again.
    retry: HashMap<String, (Goal, Instant)>,
    /// Interfaces whose last lease-driven apply failed, and when to try again.
    lease_retry: HashMap<String, Instant>,
    /// Leased interfaces that are not defined, warned about once.
    undefined: HashSet<String>,
    /// When to try the `onboot` apply again, after it failed (a DHCP server not up yet).
    boot_retry: Option<Instant>,
    /// `onboot` interfaces the last boot apply left out because their device was missing:
    /// the boot apply runs again when one appears.
    boot_missing: HashSet<String>,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let signals = Signals::install().context("installing signal handlers")?;
    let _pid = pidfile::acquire(&cli.run_dir)?;
    let (registry, _) = super::plugins(cli);
    let Some(definitions) = load(cli, &registry)? else {
        return Ok(ExitCode::from(1));
    };
    // Subscribe before the first dump, so no change falls between the two.
    let mut watcher = Watcher::open().context("subscribing to link notifications")?;
    let sock = Socket::route().context("opening an rtnetlink socket")?;
    let mut d = Daemon {
        cli,
        prune: !args.no_prune,
        registry,
        definitions,
        links: Links::default(),
        sock,
        retry: HashMap::new(),
        lease_retry: HashMap::new(),
        undefined: HashSet::new(),
        boot_retry: None,
        boot_missing: HashSet::new(),
    };
    tracing::info!(definitions = d.definitions.interfaces.len(), "netplug daemon starting");
    d.boot();
    // What the boot apply did shows in the dump below; its notifications need no handling.
    watcher.drain().context("reading link notifications")?;
    d.rescan("present at start")?;
    notify::notify("READY=1");
    tracing::info!("netplug daemon ready");
    loop {
        let next_lease = d.keep_leases();
        let timeout = d.sleep_for(next_lease);
        tracing::debug!(?next_lease, ?timeout, "waiting");
        let ready = signals::wait(&[signals.fd(), watcher.fd()], timeout.as_millis() as i32)
            .context("waiting for events")?;
        let got = signals.take();
        if got.stop {
            break;
        }
        if got.reload {
            notify::notify("RELOADING=1");
            d.reload()?;
            notify::notify("READY=1");
        }
        if ready[1] {
            watcher.drain().context("reading link notifications")?;
            d.links_changed()?;
        }
        d.retry_due();
        d.unconfirmed();
        if d.boot_retry.is_some_and(|at| at <= Instant::now()) {
            d.boot();
        }
    }
    notify::notify("STOPPING=1");
    tracing::info!("netplug daemon stopping; leases, addresses and routes stay for the next one");
    Ok(ExitCode::SUCCESS)
}

/// The stored definitions, validated; `None` (diagnostics printed) if they have errors.
fn load(cli: &Cli, registry: &Registry) -> Result<Option<Config>> {
    let loaded = Store::new(&cli.config_dir).load(registry)?;
    Ok(super::engine::prepare_loaded(cli, loaded, registry).map(|l| l.config))
}

/// An `ifplug` interface's definition without its IP configuration, with what it needs.
fn link_only(definitions: &Config, name: &str, registry: &Registry) -> Result<Config, lifecycle::NotDefined> {
    let mut config = lifecycle::start_set(definitions, name)?;
    if let Some(i) = config.interfaces.iter_mut().find(|i| i.name == name) {
        i.element.children.retain(|c| !is_ip_configuration(c, registry));
    }
    Ok(config)
}

impl Daemon<'_> {
    fn start_mode(&self, name: &str) -> Option<StartMode> {
        self.definitions.get(name).map(|i| i.start_mode)
    }

    /// What a `hotplug` or `ifplug` interface should be now, from the links seen last; `None`
    /// for other start modes and for devices that are not there.
    fn wanted(&self, name: &str) -> Option<Goal> {
        let carrier = self.links.carrier(name)?;
        match self.start_mode(name)? {
            StartMode::Hotplug => Some(Goal::Up),
            StartMode::Ifplug if carrier => Some(Goal::Up),
            StartMode::Ifplug => Some(Goal::LinkOnly),
            _ => None,
        }
    }

    /// An `apply --confirm` whose netplug died before its deadline is rolled back here once the
    /// deadline passes, rather than whenever a netplug next runs: taking the lock does it (see
    /// `engine::lock`). A waiting netplug holds the lock, so this never races it.
    fn unconfirmed(&self) {
        let due = super::txn::here(self.cli)
            .and_then(|here| {
                let found = netplug_core::journal::list(&self.cli.state_dir)?;
                Ok(found.iter().any(|f| {
                    f.journal.as_ref().is_ok_and(|j| j.expired() && j.whereabouts(&here) == Whereabouts::Here)
                }))
            })
            .unwrap_or_else(|e| {
                tracing::warn!("reading the journals: {}", crate::report::error_text(e.as_ref()));
                false
            });
        if due {
            if let Err(e) = super::engine::lock(self.cli) {
                tracing::warn!(
                    "an unconfirmed apply is due for rollback: {}; trying again shortly",
                    crate::report::error_text(e.as_ref())
                );
            }
        }
    }

    /// Apply `config` under the lock, which is held for this apply only.
    fn apply(&self, config: &Config, why: &str) -> Outcome {
        let names: Vec<&str> = config.interfaces.iter().map(|i| i.name.as_str()).collect();
        let names = names.join(", ");
        tracing::debug!("{why}: taking the lock for {names}");
        let lock = match super::engine::lock(self.cli) {
            Ok(lock) => lock,
            Err(e) => {
                tracing::warn!(
                    "{why}: {names}: {}; trying again shortly",
                    crate::report::error_text(e.as_ref())
                );
                return Outcome::Busy;
            }
        };
        tracing::info!(interface = %names, "{why}: applying {names}");
        let opts = ApplyOptions::default();
        let result =
            super::apply::apply_config(self.cli, config, &self.registry, &opts, Instant::now(), None, true);
        drop(lock);
        match result {
            Ok(code) if code == ExitCode::SUCCESS => Outcome::Applied,
            Ok(_) => {
                tracing::error!("{why}: {names}: the apply failed and was rolled back");
                Outcome::Failed
            }
            Err(e) => {
                tracing::error!("{why}: {names}: {}", crate::report::error_text(e.as_ref()));
                Outcome::Failed
            }
        }
    }

    /// Apply every `onboot` definition and what it needs, as `apply --all` does: whatever can
    /// be, leaving out interfaces whose device is missing (and what depends on them) until it
    /// appears; try again later if the apply fails, as a DHCP client keeps asking.
    fn boot(&mut self) {
        let mut boot = lifecycle::boot_set(&self.definitions);
        self.boot_retry = None;
        if boot.interfaces.is_empty() && !self.prune {
            return;
        }
        let names: Vec<&str> = boot.interfaces.iter().map(|i| i.name.as_str()).collect();
        let names = names.join(", ");
        let lock = match super::engine::lock(self.cli) {
            Ok(lock) => lock,
            Err(e) => {
                tracing::warn!(
                    interface = %names,
                    "onboot: {names}: {}; trying again shortly",
                    crate::report::error_text(e.as_ref())
                );
                self.boot_retry = Some(Instant::now() + TICK);
                return;
            }
        };
        if self.prune {
            // As `apply --all`: what netplug created and nothing defines any more goes, in
            // the same verified run.
            let defined = |n: &str| self.definitions.get(n).is_some();
            let booting = boot.interfaces.len();
            if let Err(e) =
                super::apply::add_prune(self.cli, &self.registry, &mut boot, &self.definitions, &defined)
            {
                tracing::warn!("onboot: pruning: {e:#}; pruning nothing");
            }
            let pruned: Vec<&str> = boot.interfaces[booting..].iter().map(|i| i.name.as_str()).collect();
            if !pruned.is_empty() {
                let pruned = pruned.join(", ");
                tracing::info!(interface = %pruned, "onboot: pruning {pruned}: netplug created them and nothing defines them");
            }
        }
        if boot.interfaces.is_empty() {
            return;
        }
        tracing::info!(interface = %names, "onboot: applying {names}");
        let opts = ApplyOptions::default();
        let result =
            super::apply::apply_available(self.cli, &boot, &self.registry, &opts, Instant::now(), None);
        drop(lock);
        match result {
            Ok((code, missing)) => {
                self.boot_missing = missing.into_iter().collect();
                if !self.boot_missing.is_empty() {
                    let mut m: Vec<&str> = self.boot_missing.iter().map(String::as_str).collect();
                    m.sort_unstable();
                    tracing::warn!(
                        "onboot: not configured yet: {}; applying again when they appear",
                        m.join(", ")
                    );
                }
                if code == crate::exit::Exit::Failed.into() {
                    tracing::error!("onboot: the apply failed and was rolled back");
                    self.boot_retry = Some(Instant::now() + RETRY);
                }
            }
            Err(e) => {
                tracing::error!("onboot: {names}: {e:#}");
                self.boot_retry = Some(Instant::now() + RETRY);
            }
        }
    }

    /// Make `name` what `goal` says; remember a failure to try again later.
    fn act(&mut self, name: &str, goal: Goal, why: &str) {
        let config = match goal {
            Goal::Up => lifecycle::start_set(&self.definitions, name),
            Goal::LinkOnly => link_only(&self.definitions, name, &self.registry),
        };
        let Ok(config) = config else { return };
        let why = match goal {
            Goal::Up => format!("{name} {why}"),
            Goal::LinkOnly => format!("{name} {why} (link only, no carrier)"),
        };
        match self.apply(&config, &why) {
            Outcome::Applied => {
                self.retry.remove(name);
            }
            Outcome::Failed => {
                self.retry.insert(name.to_string(), (goal, Instant::now() + RETRY));
            }
            Outcome::Busy => {
                self.retry.insert(name.to_string(), (goal, Instant::now() + TICK));
            }
        }
    }

    /// Dump the links afresh and act on every `hotplug` and `ifplug` definition whose device
    /// is there.
    fn rescan(&mut self, why: &str) -> Result<()> {
        let now = links::dump(&mut self.sock).context("dumping links")?;
        self.links.update(now);
        let names: Vec<String> = self
            .definitions
            .interfaces
            .iter()
            .filter(|i| matches!(i.start_mode, StartMode::Hotplug | StartMode::Ifplug))
            .map(|i| i.name.clone())
            .collect();
        for name in names {
            if let Some(goal) = self.wanted(&name) {
                self.act(&name, goal, why);
            }
        }
        Ok(())
    }

    /// After link notifications: dump, compare, and act on what changed.
    fn links_changed(&mut self) -> Result<()> {
        let now = links::dump(&mut self.sock).context("dumping links")?;
        for change in self.links.update(now) {
            match change {
                Change::Appeared { name, carrier } => {
                    tracing::debug!(interface = %name, carrier, "link appeared");
                    if self.boot_missing.contains(&name) {
                        tracing::info!(interface = %name, "appeared; it was missing at boot");
                        self.boot();
                    }
                    if let Some(goal) = self.wanted(&name) {
                        self.act(&name, goal, "appeared");
                    }
                }
                Change::Carrier { name, up } => {
                    tracing::debug!(interface = %name, up, "carrier changed");
                    if self.start_mode(&name) == Some(StartMode::Ifplug) {
                        if let Some(goal) = self.wanted(&name) {
                            self.act(&name, goal, if up { "carrier came" } else { "carrier went" });
                        }
                    }
                }
                Change::Gone { name } => {
                    tracing::debug!(interface = %name, "link gone");
                    self.retry.remove(&name);
                }
            }
        }
        Ok(())
    }

    /// Try again what failed, if it is still wanted.
    fn retry_due(&mut self) {
        let now = Instant::now();
        let due: Vec<(String, Goal)> =
            self.retry.iter().filter(|(_, (_, at))| *at <= now).map(|(n, (g, _))| (n.clone(), *g)).collect();
        for (name, goal) in due {
            if self.wanted(&name) == Some(goal) {
                self.act(&name, goal, "again after a failure");
            } else {
                self.retry.remove(&name);
            }
        }
    }

    /// Re-apply the definitions of interfaces whose leases need attention now; the next time
    /// one will (wall-clock seconds), if any.
    fn keep_leases(&mut self) -> Option<u64> {
        let times = match leases::next_times(&self.registry) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("reading leases: {e}");
                return None;
            }
        };
        let now = leases::now();
        let started = Instant::now();
        self.lease_retry.retain(|_, at| *at > started);
        let mut applied = false;
        for (name, &next) in &times {
            if next > now || self.lease_retry.contains_key(name) {
                continue;
            }
            if self.definitions.get(name).is_none() {
                if self.undefined.insert(name.clone()) {
                    tracing::warn!(
                        interface = %name,
                        "holds a lease but has no definition, so it cannot be renewed; `netplug define` it"
                    );
                }
                continue;
            }
            let Ok(config) = lifecycle::start_set(&self.definitions, name) else { continue };
            applied = true;
            // Even after a success, not again within a tick: an apply that left the lease due
            // (it cannot renew it) must not be repeated in a tight loop.
            let pause = match self.apply(&config, &format!("{name} lease due")) {
                Outcome::Applied | Outcome::Busy => TICK,
                Outcome::Failed => RETRY,
            };
            self.lease_retry.insert(name.clone(), Instant::now() + pause);
        }
        let times = if applied { leases::next_times(&self.registry).unwrap_or_default() } else { times };
        let now = leases::now();
        times
            .iter()
            .filter(|(name, _)| self.definitions.get(name).is_some())
            .map(|(_, &t)| t)
            .filter(|&t| t > now)
            .min()
    }

    /// How long to sleep: until the next lease time or retry, and never more than [`TICK`].
    fn sleep_for(&self, next_lease: Option<u64>) -> Duration {
        let mut wait = TICK;
        if let Some(t) = next_lease {
            wait = wait.min(Duration::from_secs(t.saturating_sub(leases::now())));
        }
        let now = Instant::now();
        let retries = self.retry.values().map(|(_, at)| at).chain(self.lease_retry.values());
        for at in retries.chain(self.boot_retry.as_ref()) {
            wait = wait.min(at.saturating_duration_since(now));
        }
        wait.max(Duration::from_millis(10))
    }

    /// SIGHUP: read the definitions again; bring `hotplug`/`ifplug` interfaces that are
    /// present in line with them. Definitions with errors are refused and the old ones kept.
    /// After a reload: remove what netplug created and the definitions no longer describe
    /// (`undefine` then `systemctl reload`), as the onboot pass does, without re-applying the
    /// boot set.
    fn prune_undefined(&mut self) {
        let mut config = Config::default();
        let defined = |n: &str| self.definitions.get(n).is_some();
        let lock = match super::engine::lock(self.cli) {
            Ok(lock) => lock,
            Err(e) => {
                tracing::warn!(
                    "reload: pruning: {}; pruning at the next reload",
                    crate::report::error_text(e.as_ref())
                );
                return;
            }
        };
        if let Err(e) =
            super::apply::add_prune(self.cli, &self.registry, &mut config, &self.definitions, &defined)
        {
            tracing::warn!("reload: pruning: {e:#}; pruning nothing");
        }
        if config.interfaces.is_empty() {
            return;
        }
        let names: Vec<&str> = config.interfaces.iter().map(|i| i.name.as_str()).collect();
        let names = names.join(", ");
        tracing::info!(interface = %names, "reload: pruning {names}");
        let opts = ApplyOptions::default();
        let result =
            super::apply::apply_config(self.cli, &config, &self.registry, &opts, Instant::now(), None, true);
        drop(lock);
        if !matches!(result, Ok(code) if code == ExitCode::SUCCESS) {
            tracing::error!("reload: pruning {names} failed and was rolled back");
        }
    }

    fn reload(&mut self) -> Result<()> {
        tracing::info!("reloading definitions");
        match load(self.cli, &self.registry)? {
            Some(definitions) => {
                self.definitions = definitions;
                self.retry.clear();
                self.lease_retry.clear();
                self.undefined.clear();
                if self.prune {
                    self.prune_undefined();
                }
                self.rescan("present at reload")
            }
            None => {
                tracing::error!("the definitions have errors; keeping the previous ones");
                Ok(())
            }
        }
    }
}
