//! What `plan`, `apply` and `check` share: load plugins and documents, validate against the
//! kernel too (a port that is neither defined nor present is an error now), and prepare a run.

use std::path::PathBuf;
use std::time::Duration;

use netplug_core::load::Loaded;
use netplug_core::lock::Lock;
use netplug_core::registry::Registry;
use netplug_core::validate::ValidateOptions;

use crate::Cli;

/// Take the lock every verb that changes the store or the kernel holds, so two netplug
/// processes never interleave.
/// What a netplug that died left behind in this namespace — an apply it did not finish, an
/// apply not confirmed in time — is rolled back here, before anything else happens (see
/// `txn::recover`).
pub fn lock(cli: &Cli) -> anyhow::Result<Lock> {
    let lock = lock_only(cli)?;
    super::txn::recover(cli)?;
    Ok(lock)
}

/// [`lock`] without looking at the journals: for `rollback --discard`, the way out of one
/// that cannot be read.
pub fn lock_only(cli: &Cli) -> anyhow::Result<Lock> {
    Ok(Lock::acquire(&cli.run_dir, Duration::from_secs_f64(cli.wait.max(0.0)))?)
}

/// Load and validate for a verb that will touch the kernel. `None` means diagnostics with
/// errors were printed and the caller should exit 1.
pub fn prepare(cli: &Cli, files: &[PathBuf], registry: &Registry) -> Option<Loaded> {
    prepare_loaded(cli, super::read_documents(files, registry), registry)
}

/// [`prepare`] for documents already loaded (from the store, say).
pub fn prepare_loaded(cli: &Cli, mut loaded: Loaded, registry: &Registry) -> Option<Loaded> {
    let exists = |name: &str| device_exists(registry, name);
    let opts = ValidateOptions { sources: Some(&loaded.sources), exists_in_kernel: Some(&exists) };
    let (mut diagnostics, items) =
        netplug_core::validate::validate_for_run(&mut loaded.config, registry, &opts);
    loaded.validated = Some(items);
    loaded.diagnostics.append(&mut diagnostics);
    loaded.diagnostics.sort_by_key(|d| (d.span.file, d.span.line, d.span.col));
    loaded.diagnostics.dedup();
    if loaded.has_errors() {
        super::print_diagnostics(cli, &loaded);
        return None;
    }
    crate::report::diagnostics(false, &loaded.sources, &loaded.diagnostics);
    Some(loaded)
}

/// Whether a device exists, asked of the plugin of physical devices, which reports any link by
/// name. It is only consulted for references the documents do not define, so it costs nothing
/// in the common case.
fn device_exists(registry: &Registry, name: &str) -> bool {
    let Some(physical) = registry.physical() else {
        // Without the plugin we cannot look; do not turn a warning into a false error.
        return true;
    };
    let _watch = netplug_core::watchdog::watch(&physical.info.name, "read");
    match physical.plugin.read(Some(&[name.to_string()])) {
        Ok(items) => items.iter().any(|i| i.interface == name),
        Err(_) => true,
    }
}
