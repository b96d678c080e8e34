//! Logging: `tracing` to stderr, its level set by -v/-q or `NETPLUG_LOG` (an env-filter spec).
//! Plugin events arrive here too, forwarded by the SDK under `netplug::plugin::<name>`.
//!
//! When stderr is the journal (a systemd unit's, as `JOURNAL_STREAM` says), events go to
//! journald natively instead: with their priority (error 3, warn 4, info 5, debug 6, trace 7)
//! and their fields as `NETPLUG_<FIELD>=` (so `journalctl NETPLUG_INTERFACE=br0` finds what was
//! done to br0), without timestamps of their own. On a terminal, progress is drawn
//! ([`crate::progress`]).

use std::io::IsTerminal;
use std::sync::OnceLock;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The prefix of netplug's own journal fields.
const JOURNAL_FIELD_PREFIX: &str = "NETPLUG";

pub fn init(verbose: u8, quiet: bool, progress: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("NETPLUG_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let journal = stderr_is_journal()
        .then(|| tracing_journald::layer().ok())
        .flatten()
        .map(|l| l.with_field_prefix(Some(JOURNAL_FIELD_PREFIX.into())));
    let output = match journal {
        Some(journal) => journal.with_filter(filter).boxed(),
        None => tracing_subscriber::fmt::layer()
            .with_writer(|| crate::progress::Stderr)
            .with_target(true)
            .with_ansi(colour())
            .with_filter(filter)
            .boxed(),
    };
    // Progress follows the apply's steps and the plugins' events (a DHCP client's state),
    // whatever the log level.
    let progress = (progress && !quiet && std::io::stderr().is_terminal()).then(|| {
        crate::progress::enable();
        let targets = Targets::new()
            .with_target(crate::progress::APPLY_TARGET, tracing::Level::DEBUG)
            .with_target("netplug::plugin", tracing::Level::DEBUG);
        crate::progress::Follow.with_filter(targets)
    });
    let _ = tracing_subscriber::registry().with(output).with(progress).try_init();
}

/// Whether stderr is the journal: `JOURNAL_STREAM` (set by systemd for a unit whose output goes
/// there) names the device and inode of stderr itself, not of something stderr was redirected
/// to since.
pub fn stderr_is_journal() -> bool {
    static IS: OnceLock<bool> = OnceLock::new();
    *IS.get_or_init(|| {
        let Some(stream) = std::env::var_os("JOURNAL_STREAM") else { return false };
        let Some((dev, ino)) = stream.to_str().and_then(|s| s.split_once(':')) else { return false };
        let Ok(st) = nix::sys::stat::fstat(std::io::stderr()) else { return false };
        dev.parse() == Ok(st.st_dev) && ino.parse() == Ok(st.st_ino)
    })
}

/// Colours only for a person at a terminal who has not asked for none (https://no-color.org:
/// `NO_COLOR` set to anything but the empty string).
pub fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
