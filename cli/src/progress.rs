//! Progress for a person at a terminal: a run that takes longer than about a second shows one
//! line on stderr, `netplug: applying 3/12: eth0 [dhcp]: DHCPv4 selecting`, redrawn as it moves
//! and cleared before the result is printed. Nothing is drawn when stderr is not a terminal (a
//! pipe, the journal), under `--quiet`, for the daemon, or for a run that ends quickly.
//!
//! An apply's progress is read from the events it logs anyway ([`Follow`]): core's at the start
//! of each plugin's batch of steps (which step of how many, for which interface), and the
//! plugins' own (a DHCP client's state), so nothing below the CLI knows about terminals.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;

/// Where core logs each batch of an apply's steps.
pub const APPLY_TARGET: &str = "netplug_core::apply";

/// How long a run goes before it shows progress.
const QUIET_FOR: Duration = Duration::from_secs(1);

struct Bar {
    bar: ProgressBar,
    /// Something has been reported: there is progress to show.
    moving: AtomicBool,
}

static BAR: OnceLock<Bar> = OnceLock::new();

/// Prepare the progress line (hidden), and show it once the run has gone on for a second and
/// has something to show. Called once, at start, when stderr is a terminal.
pub fn enable() {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template("netplug: {prefix} {pos}/{len}: {wide_msg}")
        .expect("the template is valid");
    bar.set_style(style);
    if BAR.set(Bar { bar: bar.clone(), moving: AtomicBool::new(false) }).is_err() {
        return;
    }
    let _ = std::thread::Builder::new().name("progress".into()).spawn(move || {
        std::thread::sleep(QUIET_FOR);
        let moving = &BAR.get().expect("set above").moving;
        while !bar.is_finished() {
            if moving.load(Ordering::Relaxed) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(200));
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

/// `done` of `total` steps of `what` (`applying`, `waiting for`) are finished; `message` says
/// what is under way.
pub fn update(what: &'static str, done: usize, total: usize, message: String) {
    if let Some(b) = BAR.get() {
        b.bar.set_prefix(what);
        b.bar.set_length(total as u64);
        b.bar.set_message(message);
        b.bar.set_position(done as u64);
        b.moving.store(true, Ordering::Relaxed);
    }
}

/// Replace what is under way, keeping the count.
pub fn message(message: String) {
    if let Some(b) = BAR.get() {
        b.bar.set_message(message);
    }
}

/// Write to stderr with the progress line out of the way (it is drawn again after).
pub struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BAR.get() {
            Some(b) => b.bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Clear the line for good: the result is printed next.
pub fn finish() {
    if let Some(b) = BAR.get() {
        b.bar.finish_and_clear();
    }
}

/// A layer that turns an apply's events into progress.
pub struct Follow;

impl<S: Subscriber> tracing_subscriber::Layer<S> for Follow {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if event.metadata().target() == APPLY_TARGET {
            if let (Some(done), Some(total)) = (fields.done, fields.total) {
                let what = format!("{} [{}]", fields.interface, fields.plugin);
                CURRENT.with(|c| *c.borrow_mut() = what.clone());
                update(PHASE.get(), done as usize, total as usize, what);
            } else if fields.message.ends_with("rolling back") {
                // Core's warning that a step failed: the batches from here on undo.
                PHASE.set("rolling back");
            }
        } else {
            // A plugin's event, while its batch runs.
            let current = CURRENT.with(|c| c.borrow().clone());
            message(format!("{current}: {}", fields.message));
        }
    }
}

thread_local! {
    /// What the batches on this thread do: `applying`, or after a failure `rolling back`.
    static PHASE: std::cell::Cell<&'static str> = const { std::cell::Cell::new("applying") };
    /// The batch under way on this thread: `interface [plugin]`.
    static CURRENT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

#[derive(Default)]
struct Fields {
    message: String,
    interface: String,
    plugin: String,
    done: Option<u64>,
    total: Option<u64>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "done" => self.done = Some(value),
            "total" => self.total = Some(value),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "interface" => self.interface = value.to_string(),
            "plugin" => self.plugin = value.to_string(),
            "message" => self.message = value.to_string(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        match field.name() {
            "interface" => self.interface = text,
            "plugin" => self.plugin = text,
            "message" => self.message = text,
            _ => {}
        }
    }
}
