//! The plugin side of the ABI: [`export_plugin!`](crate::export_plugin) and the root module
//! it exports.
//!
//! `call` decodes its request, calls the safe [`Plugin`] trait and encodes the answer, inside
//! `catch_unwind`: a panic must never cross into the host (that would abort netplug half-way
//! through an apply), so it becomes an error naming the plugin, the method, the panic message
//! and where it happened.
//!
//! The plugin value is created on the first call that needs it, not when the file is loaded,
//! so loading every installed plugin stays cheap. A plugin's constructor should therefore be
//! cheap too; sockets and the like are opened on first use.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Once, OnceLock};

use abi_stable::library::CheckTypeLayout;
use abi_stable::marker_type::ErasedPrefix;
use abi_stable::prefix_type::{PrefixRef, WithMetadata};
use abi_stable::std_types::{RErr, ROk, RResult, RSlice, RStr, RVec};

use crate::abi::{self, level, method, HostCallbacksRef, InfoAnswer, PluginModule, PluginModuleRef};
use crate::diagnostic::Diagnostic;
use crate::element::Span;
use crate::plugin::{ApplyError, Plugin, PluginError, Validation};

/// Export a [`Plugin`] from a `cdylib` so `netplug` can load it.
///
/// The argument is an expression that builds the plugin; it is evaluated once, on the first
/// call that needs the plugin (not when the file is loaded). Call the macro once per crate,
/// anywhere at module level.
///
/// ```
/// use netplug_plugin_sdk::{Plugin, PluginInfo};
///
/// #[derive(Default)]
/// pub struct Veth;
///
/// impl Plugin for Veth {
///     fn info(&self) -> PluginInfo {
///         PluginInfo {
///             name: "veth".into(),
///             version: env!("CARGO_PKG_VERSION").into(),
///             kinds: vec!["veth".into()],
///             ..Default::default()
///         }
///     }
/// }
///
/// netplug_plugin_sdk::export_plugin!(Veth::default());
/// ```
///
/// It expands to the `abi_stable` library header `netplug` looks for, under the symbol name
/// `abi_stable` looks up (`abi_stable::library::ROOT_MODULE_LOADER_NAME`; a test keeps the
/// two equal), built by [`header`] and [`load`] so the plugin crate need not depend on
/// `abi_stable` itself.
#[macro_export]
macro_rules! export_plugin {
    ($constructor:expr $(,)?) => {
        const _: () = {
            fn __netplug_new_plugin() -> ::std::boxed::Box<dyn $crate::Plugin> {
                ::std::boxed::Box::new($constructor)
            }

            extern "C" fn __netplug_load() -> $crate::export::RootModuleResult {
                $crate::export::load(__netplug_new_plugin, ::core::env!("CARGO_PKG_NAME"))
            }

            #[unsafe(no_mangle)]
            pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::export::LibHeader =
                $crate::export::header(__netplug_load);
        };
    };
}

/// `abi_stable`'s types the macro names, so a plugin need not depend on `abi_stable`.
pub use abi_stable::library::{LibHeader, RootModuleResult};

/// The library header [`export_plugin!`](crate::export_plugin) exports: `abi_stable`'s, for
/// the root module [`abi::PluginModule`], with its layout included so the host checks it.
/// `loader` must answer [`load`].
pub const fn header(loader: extern "C" fn() -> RootModuleResult) -> LibHeader {
    // SAFETY: `loader` answers `load`, whose module is a `PrefixRef<PluginModule>` erased, as
    // `from_constructor` requires for the module type `PluginModuleRef`.
    unsafe { LibHeader::from_constructor::<PluginModuleRef>(loader, CheckTypeLayout::Yes) }
}

/// The root module, remembering how to build the plugin (`constructor`) and the crate's name
/// (for messages until the plugin has said its own). Called by `abi_stable` on the host's
/// behalf, once the header has been checked.
pub fn load(constructor: Constructor, crate_name: &'static str) -> RootModuleResult {
    // A second call (the same file loaded twice) keeps the first constructor: it is the same.
    let _ = CONSTRUCTOR.set((constructor, crate_name));
    let module: PrefixRef<_> = PrefixRef::from_ref(&MODULE);
    // SAFETY: erased here, and cast back to `PluginModule`'s prefix only by a host that
    // checked this file's layout against `PluginModuleRef`.
    ROk(unsafe { module.cast::<ErasedPrefix>() })
}

/// How to build the plugin value, as the export macro wraps the author's expression.
pub type Constructor = fn() -> Box<dyn Plugin>;

/// The constructor and crate name given to the export macro. One per plugin file: each
/// `cdylib` has its own copy of the SDK's statics.
static CONSTRUCTOR: OnceLock<(Constructor, &'static str)> = OnceLock::new();
/// The plugin value, built on first use.
static INSTANCE: OnceLock<Box<dyn Plugin>> = OnceLock::new();
/// The name the plugin gives in `info`, for messages; the crate name until the plugin value
/// is built.
static NAME: OnceLock<String> = OnceLock::new();

static MODULE: WithMetadata<PluginModule> = WithMetadata::new(PluginModule { init, call });

fn plugin_name() -> &'static str {
    NAME.get().map(String::as_str).or_else(|| CONSTRUCTOR.get().map(|c| c.1)).unwrap_or("unknown")
}

fn plugin() -> Result<&'static dyn Plugin, PluginError> {
    let (constructor, _) = CONSTRUCTOR
        .get()
        .ok_or_else(|| PluginError::new("plugin called before its root module was loaded"))?;
    Ok(INSTANCE
        .get_or_init(|| {
            let plugin = constructor();
            let _ = NAME.set(plugin.info().name);
            plugin
        })
        .as_ref())
}

thread_local! {
    /// True while this thread is inside one of the functions below, so the panic hook knows
    /// the panic will be caught and reported as an error.
    static IN_CALL: Cell<bool> = const { Cell::new(false) };
    /// Where the last caught panic happened, recorded by the hook (the payload has no location).
    static PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

static PANIC_HOOK: Once = Once::new();

/// Replace the plugin's own panic hook (each `cdylib` has its own standard library, so this
/// does not touch the host's): a panic inside a call is reported as that call's error, not
/// printed to netplug's terminal; a panic on a thread the plugin spawned is logged at error.
pub(crate) fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let at = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            if IN_CALL.with(Cell::get) {
                PANIC_AT.with(|p| *p.borrow_mut() = at);
            } else if crate::log::has_host() {
                let message = panic_message(info.payload());
                let at = at.map(|a| format!(" at {a}")).unwrap_or_default();
                crate::log::emit(level::ERROR, "panic", &format!("plugin thread panicked{at}: {message}"));
            } else {
                // Not loaded by a host (the SDK's own tests): behave as usual.
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not a string)".to_string()
    }
}

/// Run `f`, turning a panic into a `PluginError` such as
/// `plugin 'bond' panicked in plan: index out of bounds (at src/netlink.rs:12:5)`.
fn guard<T>(method: &str, f: impl FnOnce() -> Result<T, PluginError>) -> Result<T, PluginError> {
    let outer = IN_CALL.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_CALL.with(|c| c.set(outer));
    result.unwrap_or_else(|payload| {
        let at = PANIC_AT.with(|p| p.borrow_mut().take()).map(|a| format!(" (at {a})")).unwrap_or_default();
        Err(PluginError::new(format!(
            "plugin '{}' panicked in {method}: {}{at}",
            plugin_name(),
            panic_message(payload.as_ref())
        )))
    })
}

/// Decode `method`'s request and run `f` on it with the plugin, guarded.
fn serve<'a, R: serde::Deserialize<'a>, T>(
    method: &str,
    request: &'a [u8],
    f: impl FnOnce(&dyn Plugin, R) -> Result<T, PluginError>,
) -> Result<T, PluginError> {
    guard(method, || {
        let request = abi::decode(request).map_err(|e| {
            PluginError::new(format!("plugin '{}' could not read the {method} request: {e}", plugin_name()))
        })?;
        f(plugin()?, request)
    })
}

fn answer<T: serde::Serialize>(result: Result<T, PluginError>) -> RResult<RVec<u8>, RVec<u8>> {
    match result {
        Ok(v) => ROk(abi::encode(&v)),
        Err(e) => RErr(abi::encode(&e)),
    }
}

extern "C" fn init(host: HostCallbacksRef) {
    // Nothing here may unwind into the host; there is nothing useful to report either.
    let _ = panic::catch_unwind(|| {
        crate::log::install(host);
        install_panic_hook();
    });
}

extern "C" fn call(name: RStr<'_>, request: RSlice<'_, u8>) -> RResult<RVec<u8>, RVec<u8>> {
    let (name, request) = (name.as_str(), request.as_slice());
    match name {
        method::INFO => answer(guard("info", || {
            let info = plugin()?.info();
            Ok(InfoAnswer { info, sdk_version: abi::SDK_VERSION.to_string() })
        })),
        method::VALIDATE => {
            let result = serve(name, request, |p, r: abi::Validate| Ok(p.validate(&r.items)));
            // Validation has nowhere else to report a failure.
            ROk(abi::encode(&result.unwrap_or_else(|e| Validation {
                diagnostics: vec![Diagnostic::error(Span::default(), e.message)],
                ..Validation::default()
            })))
        }
        method::READ => answer(serve(name, request, |p, r: abi::Read| p.read(r.names.as_deref()))),
        method::PLAN => answer(serve(name, request, |p, r: abi::Plan| p.plan(&r.desired, &r.live, &r.scope))),
        method::READ_PLAN => {
            answer(serve(name, request, |p, r: abi::ReadPlan| p.read_plan(&r.desired, &r.scope, r.keep_live)))
        }
        method::APPLY => {
            // A panic or an unreadable request is charged to change 0: which changes ran
            // before a panic is unknown, and core rolls back to its snapshot whatever it says.
            let result = serve(name, request, |p, r: abi::Apply| Ok(p.apply(&r.changes)));
            match result {
                Ok(Ok(())) => ROk(abi::encode(&())),
                Ok(Err(e)) => RErr(abi::encode(&e)),
                Err(error) => RErr(abi::encode(&ApplyError { index: 0, error })),
            }
        }
        method::REMOVE => answer(serve(name, request, |p, r: abi::Remove| p.remove(&r.interface, &r.live))),
        method::LIBVIRT_TO_NATIVE => answer(serve(name, request, |p, r| p.libvirt_to_native(&r))),
        method::LIBVIRT_FROM_NATIVE => answer(serve(name, request, |p, r| p.libvirt_from_native(&r))),
        other => answer::<()>(Err(PluginError::new(format!(
            "plugin '{}' does not know the method '{other}' (it was built for ABI {}.{})",
            plugin_name(),
            abi::MAJOR,
            abi::MINOR
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_symbol_is_abi_stables_root_module_loader() {
        assert_eq!(abi_stable::library::ROOT_MODULE_LOADER_NAME, "_1as_0lib_1header_0root_bmodule_bloader");
    }

    #[test]
    fn a_panic_becomes_an_error_naming_the_method() {
        install_panic_hook();
        let err = guard("plan", || -> Result<(), PluginError> { panic!("boom {}", 7) }).unwrap_err();
        assert!(err.message.contains("panicked in plan: boom 7"), "{}", err.message);
        assert!(err.message.contains("export.rs"), "location missing: {}", err.message);
    }
}
