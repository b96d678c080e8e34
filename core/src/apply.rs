//! Applying a plan: run its steps plugin by plugin, verify that the kernel now matches, and on
//! any failure — a kernel error at step k, a failed verification — roll back every change made.
//!
//! Consecutive steps of one plugin go to it in one call, so it can batch them into one burst
//! of netlink messages. Failure injection (`inject_failure_at`) stops a run after exactly k-1
//! steps, which is how the tests prove that a failure at every step leaves the system as it was.

use std::collections::HashMap;
use std::time::Duration;

use netplug_plugin_sdk::{Element, Item, PluginError, Span};

use crate::model::Config;
use crate::order::Ranks;
use crate::plan::{self, Plan, PlanError, Snapshot, Step};
use crate::registry::Registry;

/// How many times verification re-reads before it calls a mismatch real: some kernel state
/// (a bond's options, a link's carrier) settles a moment after the request is acknowledged.
pub const VERIFY_ATTEMPTS: u32 = 3;
/// The pause between verification attempts.
pub const VERIFY_DELAY: Duration = Duration::from_millis(50);

/// The phases of what the kernel removes by itself when links change under it (a port put into
/// or taken out of a VRF, a link deleted and created again): addresses and routes. A
/// verification that finds only these missing re-applies them once before it calls a mismatch.
const DROPPED_BY_THE_KERNEL: &[netplug_plugin_sdk::Phase] =
    &[netplug_plugin_sdk::Phase::Address, netplug_plugin_sdk::Phase::Route];

/// How an apply should behave.
#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    /// Fail on purpose when reaching this step (1-based), after the steps before it ran.
    pub inject_failure_at: Option<usize>,
}

/// A step that failed, and how many steps before it had been applied.
#[derive(Debug, Clone, thiserror::Error)]
#[error("step {} ({}: {}): {}", .index + 1, .step.change.interface, .step.change.description, .error)]
pub struct StepError {
    /// 0-based index of the failing step; steps `0..index` were applied.
    pub index: usize,
    pub step: Step,
    pub error: PluginError,
}

/// Run `steps` in order. Returns the index of the failing step and why, if one failed.
pub fn execute(
    registry: &Registry,
    steps: &[Step],
    inject_failure_at: Option<usize>,
) -> Result<(), StepError> {
    let mut start = 0;
    while start < steps.len() {
        let plugin = &steps[start].plugin;
        let mut end = start + 1;
        while end < steps.len() && &steps[end].plugin == plugin {
            end += 1;
        }
        // An injected failure at step k (1-based) cuts the run so steps before k still run.
        let injected = inject_failure_at.map(|k| k.saturating_sub(1)).filter(|&i| i >= start && i < end);
        let run_end = injected.unwrap_or(end);
        if run_end > start {
            let r = registry
                .plugins()
                .iter()
                .find(|r| &r.info.name == plugin)
                .expect("a planned step's plugin is registered");
            let changes: Vec<_> = steps[start..run_end].iter().map(|s| s.change.clone()).collect();
            // `done` and `total` let a front end show progress (the CLI draws it on a terminal).
            tracing::debug!(
                plugin = %plugin,
                interface = %steps[start].change.interface,
                count = changes.len(),
                done = start,
                total = steps.len(),
                "applying"
            );
            let watch = crate::watchdog::watch(plugin, "apply");
            let applied = r.plugin.apply(&changes);
            drop(watch);
            if let Err(e) = applied {
                let index = start + e.index.min(changes.len().saturating_sub(1));
                return Err(StepError { index, step: steps[index].clone(), error: e.error });
            }
        }
        if let Some(i) = injected {
            return Err(StepError {
                index: i,
                step: steps[i].clone(),
                error: PluginError::new("injected failure (--inject-failure-at)"),
            });
        }
        start = end;
    }
    Ok(())
}

/// What rolling back achieved.
#[derive(Debug, Clone, Default)]
pub struct RollbackReport {
    /// Steps planned to restore the snapshot.
    pub steps: Vec<Step>,
    /// Errors met while rolling back (it continues past them).
    pub errors: Vec<String>,
    /// Whether a re-read matched the snapshot afterwards.
    pub verified: bool,
}

/// Why an apply did not complete; the system was rolled back.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{error}")]
    Step { error: StepError, rollback: RollbackReport },
    #[error("could not record the state to roll back to, so nothing was changed: {0}")]
    Journal(String),
    #[error("verification failed: the kernel does not match after applying: {}", describe(.mismatch))]
    Verify { mismatch: Vec<Step>, rollback: RollbackReport },
}

fn describe(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| format!("{}: {}", s.change.interface, s.change.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApplyError {
    /// The rollback that followed the failure, if any.
    pub fn rollback(&self) -> Option<&RollbackReport> {
        match self {
            ApplyError::Plan(_) | ApplyError::Journal(_) => None,
            ApplyError::Step { rollback, .. } | ApplyError::Verify { rollback, .. } => Some(rollback),
        }
    }
}

/// Plans need no positions (validation, which reports them, is over): leave them out of what
/// a plan request carries when the plugin no longer holds the list validation sent it.
fn without_spans(mut desired: HashMap<String, Vec<Item>>) -> HashMap<String, Vec<Item>> {
    fn clear(e: &mut Element) {
        e.span = Span::default();
        for a in &mut e.attributes {
            (a.span, a.value_span) = (Span::default(), Span::default());
        }
        e.children.iter_mut().for_each(clear);
    }
    // In place: `Element::without_spans` copies every string, 10,000 routes' worth.
    desired.values_mut().flatten().for_each(|item| clear(&mut item.element));
    desired
}

/// What [`Run::apply_recorded`] calls before the first change, with the snapshot and the plan.
pub type BeforeFirstChange<'a> = dyn FnMut(&Snapshot, &[Step]) -> Result<(), String> + 'a;

/// The engine's view of one run: the configuration, the plugins involved, the interfaces'
/// ranks in the order of steps ([`crate::order`]) and the desired items per plugin.
pub struct Run<'a> {
    pub config: &'a Config,
    pub registry: &'a Registry,
    pub plugins: Vec<String>,
    pub ranks: Ranks,
    pub desired: HashMap<String, Vec<Item>>,
}

impl<'a> Run<'a> {
    /// Prepare a run; `config` must have been validated (masters and parents filled in).
    pub fn new(config: &'a Config, registry: &'a Registry) -> Self {
        Self::with_items(config, registry, None)
    }

    /// [`Run::new`], taking the desired items from `validated` when validation kept them.
    pub fn with_items(
        config: &'a Config,
        registry: &'a Registry,
        validated: Option<crate::items::ValidatedItems>,
    ) -> Self {
        let desired = match validated {
            Some(v) => v.into_desired(config, registry),
            None => crate::items::desired_by_plugin(config, registry),
        };
        Run {
            config,
            registry,
            plugins: plan::involved_plugins(config, registry),
            // Validation refused cycles; a configuration that was not validated (a journal's,
            // rolled back) keeps each plugin's own order.
            ranks: Ranks::of(config).unwrap_or_default(),
            desired: without_spans(desired),
        }
    }

    pub fn read(&self) -> Result<Snapshot, PlanError> {
        plan::read_live(self.registry, &self.plugins, self.config)
    }

    /// The steps that turn `live` into `desired`.
    pub fn plan_from(
        &self,
        live: &Snapshot,
        desired: &HashMap<String, Vec<Item>>,
    ) -> Result<Vec<Step>, PlanError> {
        plan::plan_changes(self.config, self.registry, &self.plugins, desired, live, &self.ranks)
    }

    /// Read the kernel and plan, changing nothing. The snapshot (the live state a rollback
    /// returns to) is read only when there is something to do: it is empty otherwise.
    pub fn plan(&self) -> Result<(Plan, Snapshot), PlanError> {
        let (steps, live) =
            plan::plan_live(self.config, self.registry, &self.plugins, &self.desired, &self.ranks, true)?;
        let live = live.unwrap_or_default();
        let plan = Plan {
            scope: self.config.interfaces.iter().map(|i| i.name.clone()).collect(),
            plugins: self.plugins.clone(),
            steps,
        };
        Ok((plan, live))
    }

    /// Plan, apply, verify; roll back on any failure. Returns the steps applied.
    pub fn apply(&self, opts: &ApplyOptions) -> Result<Vec<Step>, ApplyError> {
        self.apply_recorded(opts, &mut |_, _| Ok(()))
    }

    /// [`Run::apply`], calling `before` with the live state and the plan's steps once the plan
    /// is known and before the first change (a transaction journals it there, and the
    /// ownership record notes what the run will create). An error from `before` stops the run
    /// with nothing changed.
    pub fn apply_recorded(
        &self,
        opts: &ApplyOptions,
        before: &mut BeforeFirstChange<'_>,
    ) -> Result<Vec<Step>, ApplyError> {
        let (plan, snapshot) = self.plan()?;
        if plan.steps.is_empty() {
            return Ok(Vec::new());
        }
        before(&snapshot, &plan.steps).map_err(ApplyError::Journal)?;
        if let Err(error) = execute(self.registry, &plan.steps, opts.inject_failure_at) {
            tracing::warn!("{error}; rolling back");
            let rollback = self.rollback(&snapshot);
            return Err(ApplyError::Step { error, rollback });
        }
        let mut steps = plan.steps;
        let mut verified = self.verify(&self.desired);
        if let Err(left) = &verified {
            if left.iter().all(|s| DROPPED_BY_THE_KERNEL.contains(&s.change.phase)) {
                // A port entering or leaving a VRF is cycled down and up by the kernel, which
                // flushes its IPv6 addresses and IPv4 routes; a recreated link loses what was
                // configured on it. Other plugins planned against the links as they were, so
                // what the kernel dropped is added again, once, and verified again.
                tracing::info!(
                    count = left.len(),
                    "the kernel dropped addresses or routes while links changed; adding them again"
                );
                let again = left.clone();
                if let Err(error) = execute(self.registry, &again, None) {
                    tracing::warn!("{error}; rolling back");
                    let rollback = self.rollback(&snapshot);
                    return Err(ApplyError::Step { error, rollback });
                }
                steps.extend(again);
                verified = self.verify(&self.desired);
            }
        }
        match verified {
            Ok(()) => Ok(steps),
            Err(mismatch) => {
                tracing::warn!("verification failed; rolling back");
                let rollback = self.rollback(&snapshot);
                Err(ApplyError::Verify { mismatch, rollback })
            }
        }
    }

    /// Re-read and re-plan: the kernel matches when nothing is left to do. Returns what is left.
    pub fn verify(&self, desired: &HashMap<String, Vec<Item>>) -> Result<(), Vec<Step>> {
        let mut left = Vec::new();
        for attempt in 0..VERIFY_ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(VERIFY_DELAY);
            }
            left = match plan::replan_changes(self.config, self.registry, &self.plugins, desired, &self.ranks)
            {
                Ok(steps) if steps.is_empty() => return Ok(()),
                Ok(steps) => steps,
                Err(e) => vec![Step {
                    plugin: e.plugin.clone(),
                    change: netplug_plugin_sdk::Change {
                        interface: String::new(),
                        phase: netplug_plugin_sdk::Phase::Configure,
                        description: format!("re-reading live state failed: {}", e.error),
                        payload: Default::default(),
                    },
                }],
            };
        }
        Err(left)
    }

    /// Plan from the current state back to `snapshot` and apply it, continuing past errors.
    pub fn rollback(&self, snapshot: &Snapshot) -> RollbackReport {
        let mut report = RollbackReport::default();
        // A step can fail because an earlier one left something half-done; a second pass
        // re-plans from what is there now.
        for _pass in 0..2 {
            let steps = match self.read().and_then(|live| self.plan_from(&live, &snapshot.items)) {
                Ok(s) => s,
                Err(e) => {
                    report.errors.push(e.to_string());
                    return report;
                }
            };
            if steps.is_empty() {
                report.verified = true;
                return report;
            }
            let mut rest: &[Step] = &steps;
            while !rest.is_empty() {
                match execute(self.registry, rest, None) {
                    Ok(()) => rest = &[],
                    Err(e) => {
                        report.errors.push(e.to_string());
                        rest = &rest[e.index + 1..];
                    }
                }
            }
            report.steps.extend(steps);
        }
        report.verified = self.verify(&snapshot.items).is_ok();
        report
    }
}
