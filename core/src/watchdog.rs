//! The plugin time limit: a plugin call that does not return within [`limit`] ends the run.
//!
//! A call into a plugin cannot be cancelled — it runs on netplug's own thread, in the
//! plugin's code, maybe inside a netlink receive that will never be answered — and a netplug
//! stuck there holds the lock forever. So a watchdog thread watches the calls of a run; when one
//! overruns, it says which plugin and which call, and ends the process. The run's journal,
//! written before its first change, is still there: the next netplug to take the lock (the
//! daemon's restart, the boot service, the operator's next command) rolls the run back, exactly
//! as after a kill.
//!
//! The limit is [`DEFAULT_LIMIT`], or `NETPLUG_PLUGIN_TIMEOUT` seconds.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long one plugin call may take by default: far beyond any real call (an apply of
/// 10,000 routes takes seconds), short enough that a hung boot gets its network back.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(120);

/// The exit status of a run the watchdog ended: that of a failed apply (see docs/json.md).
pub const EXIT_STATUS: i32 = 1;

/// The time limit of one plugin call.
pub fn limit() -> Duration {
    static LIMIT: OnceLock<Duration> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("NETPLUG_PLUGIN_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(DEFAULT_LIMIT)
    })
}

/// A plugin call being watched; the watch ends when it is dropped.
#[must_use = "the call is watched until the guard is dropped"]
pub struct Guard {
    id: u64,
}

struct Call {
    id: u64,
    deadline: Instant,
    plugin: String,
    method: &'static str,
}

#[derive(Default)]
struct Watched {
    next_id: u64,
    calls: Vec<Call>,
}

struct Watchdog {
    watched: Mutex<Watched>,
    changed: Condvar,
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let dog: &'static Watchdog =
            Box::leak(Box::new(Watchdog { watched: Mutex::default(), changed: Condvar::new() }));
        std::thread::Builder::new()
            .name("netplug-watchdog".into())
            .spawn(move || dog.watch())
            .expect("start the plugin watchdog thread");
        dog
    })
}

/// Watch a call of `method` into `plugin` until the guard is dropped.
pub fn watch(plugin: &str, method: &'static str) -> Guard {
    let dog = watchdog();
    let mut w = dog.watched.lock().unwrap_or_else(|e| e.into_inner());
    w.next_id += 1;
    let id = w.next_id;
    w.calls.push(Call { id, deadline: Instant::now() + limit(), plugin: plugin.to_string(), method });
    dog.changed.notify_one();
    Guard { id }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let dog = watchdog();
        let mut w = dog.watched.lock().unwrap_or_else(|e| e.into_inner());
        w.calls.retain(|c| c.id != self.id);
    }
}

impl Watchdog {
    fn watch(&self) {
        let mut w = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            let wait = match w.calls.iter().min_by_key(|c| c.deadline) {
                None => Duration::from_secs(3600),
                Some(c) if c.deadline <= now => {
                    // Written straight to the file descriptor: the stuck thread may hold
                    // stderr's lock.
                    let text = format!(
                        "netplug: error: plugin '{}' did not return from {} within {:.0} s (the plugin time \
                         limit); ending this run: the next netplug rolls back what it changed\n",
                        c.plugin,
                        c.method,
                        limit().as_secs_f64()
                    );
                    // SAFETY: writing a buffer we own to fd 2, then ending the process without
                    // running anything of the stuck thread's or the plugins' (exit handlers
                    // could wait for what the stuck thread holds).
                    unsafe {
                        libc::write(2, text.as_ptr().cast(), text.len());
                        libc::_exit(EXIT_STATUS);
                    }
                }
                Some(c) => c.deadline - now,
            };
            w = self.changed.wait_timeout(w, wait).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}
