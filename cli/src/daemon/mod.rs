//! The parts of `netplug daemon` that apply nothing themselves: signals and the poll loop's
//! wake-ups, link notifications and what changed, lease times, the pid file and systemd's
//! readiness notification. The loop that decides what to apply is `cmd::daemon`.

pub mod leases;
pub mod links;
pub mod notify;
pub mod pidfile;
pub mod signals;
