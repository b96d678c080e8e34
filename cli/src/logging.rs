//! Logging: `tracing` to stderr, its level set by -v/-q or `NETPLUG_LOG` (an env-filter spec).
//! Plugin events arrive here too, forwarded by the SDK under `netplug::plugin::<name>`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("NETPLUG_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(colour())
        .try_init();
}

/// Colours only for a person at a terminal who has not asked for none (https://no-color.org:
/// `NO_COLOR` set to anything but the empty string).
pub fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
