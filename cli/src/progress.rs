//! Progress for a person at a terminal: a run that takes longer than about a second shows one
//! line on stderr, `netplug: applying 3/12: br0 (DHCPv4 selecting)`, redrawn as it moves and
//! cleared at the end. Nothing is drawn when stderr is not a terminal (a pipe, the journal),
//! under `--quiet`, or for a run that ends quickly.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Cli;

/// How long a run goes before it shows progress.
const QUIET_FOR: Duration = Duration::from_secs(1);

pub struct Progress {
    label: &'static str,
    total: usize,
    started: Instant,
    enabled: bool,
    bar: Option<ProgressBar>,
    /// The last state set, drawn when the bar appears.
    done: usize,
    message: String,
}

impl Progress {
    pub fn new(cli: &Cli, label: &'static str, total: usize) -> Progress {
        Progress {
            label,
            total,
            started: Instant::now(),
            enabled: !cli.quiet && std::io::stderr().is_terminal(),
            bar: None,
            done: 0,
            message: String::new(),
        }
    }

    /// `done` of the total are finished; `message` says what is being waited for.
    pub fn set(&mut self, done: usize, message: String) {
        self.done = done;
        self.message = message;
        self.draw();
    }

    /// Redraw if due: call now and then while waiting.
    pub fn draw(&mut self) {
        if !self.enabled || self.started.elapsed() < QUIET_FOR {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(self.total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("netplug: {prefix} {pos}/{len}: {wide_msg}")
                .expect("the template is valid");
            bar.set_style(style);
            bar.set_prefix(self.label);
            bar
        });
        bar.set_message(self.message.clone());
        bar.set_position(self.done as u64);
    }

    /// Clear the line: the result is printed next.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
