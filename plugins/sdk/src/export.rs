//! The plugin side of the ABI: [`export_plugin!`](crate::export_plugin) and the `extern "C"`
//! functions behind the root module it exports.
//!
//! Each function decodes its request (JSON, or the [compact form](crate::compact) where the
//! host chose it), calls the safe [`Plugin`] trait and encodes the answer, inside
//! `catch_unwind`: a panic must never cross into the host (that would abort netplug half-way
//! through an apply), so it becomes an error naming the plugin, the method, the panic message
//! and where it happened.
//!
//! The plugin value is created on the first call that needs it, not when the file is loaded,
//! so loading every installed plugin stays cheap. A plugin's constructor should therefore be
//! cheap too; sockets and the like are opened on first use.

use std::any::Any;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Once, OnceLock};

use abi_stable::prefix_type::WithMetadata;
use abi_stable::std_types::{RErr, ROk, RResult, RStr, RString};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::compact;
use crate::diagnostic::Diagnostic;
use crate::element::Span;
use crate::ffi::{
    level, ApplyRequest, HostCallbacksRef, InfoAnswer, PlanRequest, PluginModule, ReadRequest, RemoveRequest,
    ValidateRequest, WireFeatures, WIRE_ABI,
};
use crate::memo;
use crate::plugin::{ApplyError, Change, Plugin, PluginError, Validation};

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
/// It expands to the `abi_stable` library header `netplug` looks for (what
/// `#[export_root_module]` would produce, spelled with `$crate` paths so the plugin crate need
/// not depend on `abi_stable` itself).
#[macro_export]
macro_rules! export_plugin {
    ($constructor:expr $(,)?) => {
        const _: () = {
            fn __netplug_new_plugin() -> ::std::boxed::Box<dyn $crate::Plugin> {
                ::std::boxed::Box::new($constructor)
            }

            fn __netplug_root_module() -> $crate::export::__private::PluginModuleRef {
                $crate::export::__private::root_module(__netplug_new_plugin, ::core::env!("CARGO_PKG_NAME"))
            }

            extern "C" fn __netplug_load_root_module() -> $crate::export::__private::RootModuleResult {
                $crate::export::__private::__call_root_module_loader(__netplug_root_module)
            }

            // The symbol name is abi_stable's mangling of "lib_header.root module loader"
            // (`abi_stable::library::ROOT_MODULE_LOADER_NAME`; a test keeps them equal).
            #[unsafe(no_mangle)]
            pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::export::__private::LibHeader =
                unsafe {
                    $crate::export::__private::LibHeader::from_constructor::<
                        $crate::export::__private::PluginModuleRef,
                    >(__netplug_load_root_module, $crate::export::__private::CheckTypeLayout::Yes)
                };
        };
    };
}

/// What [`export_plugin!`](crate::export_plugin) expands to refers to these; not for direct use.
#[doc(hidden)]
pub mod __private {
    pub use crate::ffi::PluginModuleRef;
    pub use abi_stable::library::{__call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult};

    /// Remember how to build the plugin, and hand out the module of `extern "C"` functions.
    pub fn root_module(constructor: super::Constructor, crate_name: &'static str) -> PluginModuleRef {
        // A second call (the same file loaded twice) keeps the first constructor: it is the
        // same one.
        let _ = super::CONSTRUCTOR.set((constructor, crate_name));
        PluginModuleRef(abi_stable::prefix_type::PrefixRef::from_ref(&super::MODULE))
    }
}

/// How to build the plugin value, as the export macro wraps the author's expression.
type Constructor = fn() -> Box<dyn Plugin>;

/// The constructor and crate name given to the export macro. One per plugin file: each
/// `cdylib` has its own copy of the SDK's statics.
static CONSTRUCTOR: OnceLock<(Constructor, &'static str)> = OnceLock::new();
/// The plugin value, built on first use.
static INSTANCE: OnceLock<Box<dyn Plugin>> = OnceLock::new();
/// The name the plugin gives in `info`, for messages; the crate name until the plugin value
/// is built.
static NAME: OnceLock<String> = OnceLock::new();

static MODULE: WithMetadata<PluginModule> =
    WithMetadata::new(PluginModule { abi: WIRE_ABI, init, info, validate, read, plan, apply, remove });

fn plugin_name() -> &'static str {
    NAME.get().map(String::as_str).or_else(|| CONSTRUCTOR.get().map(|c| c.1)).unwrap_or("unknown")
}

fn plugin() -> Result<&'static dyn Plugin, PluginError> {
    let (constructor, _) = CONSTRUCTOR
        .get()
        .ok_or_else(|| PluginError::new("plugin called before its root module was loaded"))?;
    Ok(INSTANCE
        .get_or_init(|| {
            // A host that opens this file from its plugin index does not call `info`; the
            // plugin's messages still carry the name it gives itself.
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

fn decode<T: DeserializeOwned>(method: &str, request: RStr<'_>) -> Result<T, PluginError> {
    serde_json::from_str(request.as_str()).map_err(|e| unreadable(method, e))
}

fn unreadable(method: &str, e: impl std::fmt::Display) -> PluginError {
    PluginError::new(format!("plugin '{}' could not read the {method} request: {e}", plugin_name()))
}

fn encode<T: Serialize>(value: &T) -> RString {
    // The SDK's types are plain data with string keys; serialising them cannot fail.
    serde_json::to_string(value).expect("SDK types serialise to JSON").into()
}

fn answer<T: Serialize>(result: Result<T, PluginError>) -> RResult<RString, RString> {
    match result {
        Ok(v) => ROk(encode(&v)),
        Err(e) => RErr(encode(&e)),
    }
}

/// Like [`answer`], for an answer already encoded (one the plugin also keeps).
fn answer_encoded(result: Result<RString, PluginError>) -> RResult<RString, RString> {
    match result {
        Ok(json) => ROk(json),
        Err(e) => RErr(encode(&e)),
    }
}

extern "C" fn init(host: HostCallbacksRef) {
    // Nothing here may unwind into the host; there is nothing useful to report either.
    let _ = panic::catch_unwind(|| {
        crate::log::install(host);
        install_panic_hook();
    });
}

extern "C" fn info() -> RResult<RString, RString> {
    answer(guard("info", || {
        let plugin = plugin()?;
        Ok(InfoAnswer {
            info: plugin.info(),
            wire: WireFeatures { memo: true, compact: compact::VERSION },
            records: plugin.records().map(str::to_string),
        })
    }))
}

extern "C" fn validate(request: RStr<'_>) -> RString {
    let in_compact = compact::is_compact(request.as_str());
    let result = guard("validate", || {
        let (items, keep_as) = if in_compact {
            compact::read_validate_request(request.as_str()).map_err(|e| unreadable("validate", e))?
        } else {
            let request: ValidateRequest = decode("validate", request)?;
            (request.items.into_owned(), request.keep_as)
        };
        let items = std::sync::Arc::new(items);
        let validation = plugin()?.validate(&items);
        memo::keep_items(keep_as, items);
        Ok(validation)
    });
    let validation = result.unwrap_or_else(|e| Validation {
        diagnostics: vec![Diagnostic::error(Span::default(), e.message)],
        ..Validation::default()
    });
    if in_compact {
        compact::validation(&validation).into()
    } else {
        encode(&validation)
    }
}

extern "C" fn read(request: RStr<'_>) -> RResult<RString, RString> {
    answer_encoded(guard("read", || {
        let request: ReadRequest = decode("read", request)?;
        if let (true, Some(id)) = (request.quiet, request.keep_as) {
            // A quiet read is verification's: it answers an empty list, the host names it in
            // the plan that follows, and that plan does the reading, so a plugin's own
            // `replan` can compare the kernel with the desired items without building items.
            memo::keep_unread(id, request.names.map(Cow::into_owned));
            return Ok(RString::from("[]"));
        }
        let items = plugin()?.read(request.names.as_deref())?;
        let answer =
            if request.compact == compact::VERSION { compact::items(&items).into() } else { encode(&items) };
        memo::keep_items(request.keep_as, std::sync::Arc::new(items));
        Ok(answer)
    }))
}

extern "C" fn plan(request: RStr<'_>) -> RResult<RString, RString> {
    answer_encoded(guard("plan", || {
        let request: PlanRequest = decode("plan", request)?;
        let desired = memo::items(request.desired_ref, request.desired.into_owned())?;
        let changes = match memo::unread(request.live_ref) {
            Some(names) if names.as_deref().map(Vec::as_slice) == Some(&request.scope[..]) => {
                plugin()?.replan(&desired, &request.scope)?
            }
            Some(names) => {
                let live = plugin()?.read(names.as_deref().map(Vec::as_slice))?;
                plugin()?.plan(&desired, &live, &request.scope)?
            }
            None => {
                let live = memo::items(request.live_ref, request.live.into_owned())?;
                plugin()?.plan(&desired, &live, &request.scope)?
            }
        };
        let answer = if request.compact == compact::VERSION {
            compact::changes(&changes).into()
        } else {
            encode(&changes)
        };
        memo::keep_changes(request.keep_as, std::sync::Arc::new(changes));
        Ok(answer)
    }))
}

extern "C" fn apply(request: RStr<'_>) -> RResult<RString, RString> {
    // A panic or an unreadable request is charged to change 0: which changes ran before a
    // panic is unknown, and core rolls back to its snapshot whatever the index says.
    let result = guard("apply", || {
        let request: ApplyRequest = decode("apply", request)?;
        let picked;
        let changes: &[Change] = match &request.from_plan {
            Some(picks) => {
                picked = memo::picks(picks.plan, &picks.indices)?;
                &picked
            }
            None => &request.changes,
        };
        Ok(plugin()?.apply(changes))
    });
    match result {
        Ok(Ok(())) => ROk(encode(&())),
        Ok(Err(e)) => RErr(encode(&e)),
        Err(error) => RErr(encode(&ApplyError { index: 0, error })),
    }
}

extern "C" fn remove(request: RStr<'_>) -> RResult<RString, RString> {
    answer(guard("remove", || {
        let request: RemoveRequest = decode("remove", request)?;
        plugin()?.remove(&request.interface, &request.live)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_symbol_is_abi_stables_root_module_loader() {
        assert_eq!(abi_stable::library::ROOT_MODULE_LOADER_NAME, "_1as_0lib_1header_0root_bmodule_bloader");
    }

    /// Answers `plan` and `replan` differently, so a test sees which one a request reached.
    struct Replanner;

    impl Plugin for Replanner {
        fn info(&self) -> crate::PluginInfo {
            crate::PluginInfo { name: "replanner".into(), ..Default::default() }
        }

        fn plan(
            &self,
            _: &[crate::Item],
            _: &[crate::Item],
            scope: &[String],
        ) -> Result<Vec<Change>, PluginError> {
            Ok(scope.iter().map(|s| change(s, "planned")).collect())
        }

        fn replan(&self, _: &[crate::Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
            Ok(scope.iter().map(|s| change(s, "replanned")).collect())
        }
    }

    fn change(interface: &str, description: &str) -> Change {
        Change {
            interface: interface.into(),
            phase: crate::Phase::Create,
            description: description.into(),
            payload: String::new(),
        }
    }

    fn described(answer: RResult<RString, RString>) -> Vec<String> {
        let changes: Vec<Change> = match answer {
            ROk(json) => serde_json::from_str(&json).unwrap(),
            RErr(e) => panic!("{e}"),
        };
        changes.into_iter().map(|c| c.description).collect()
    }

    /// Verification's quiet read is left to the plan that names it, which calls the plugin's
    /// own `replan` when it covers the same interfaces (and reads and plans otherwise).
    /// (The only test here that builds the plugin: a process has one.)
    #[test]
    fn a_plan_naming_a_quiet_read_reaches_the_plugins_replan() {
        let _ = __private::root_module(|| Box::new(Replanner), "replanner");
        let read_quietly = |id: u64, names: &str| {
            let request = format!(r#"{{"names":{names},"keep_as":{id},"quiet":true}}"#);
            match read(RStr::from_str(&request)) {
                ROk(json) => assert_eq!(json.as_str(), "[]"),
                RErr(e) => panic!("{e}"),
            }
        };
        let plan_naming = |id: u64, scope: &str| {
            let request = format!(r#"{{"desired":[],"live":[],"scope":{scope},"live_ref":{id}}}"#);
            plan(RStr::from_str(&request))
        };
        read_quietly(9_000_001, r#"["a","b"]"#);
        assert_eq!(described(plan_naming(9_000_001, r#"["a","b"]"#)), ["replanned", "replanned"]);
        assert_eq!(described(plan_naming(9_000_001, r#"["a"]"#)), ["planned"], "other interfaces");
        match plan_naming(9_000_002, r#"["a"]"#) {
            RErr(e) => assert!(e.contains(crate::ffi::MEMO_MISS), "{e}"),
            ROk(json) => panic!("a list never kept was found: {json}"),
        }
    }

    #[test]
    fn a_panic_becomes_an_error_naming_the_method() {
        install_panic_hook();
        let err = guard("plan", || -> Result<(), PluginError> { panic!("boom {}", 7) }).unwrap_err();
        assert!(err.message.contains("panicked in plan: boom 7"), "{}", err.message);
        assert!(err.message.contains("export.rs"), "location missing: {}", err.message);
    }
}
