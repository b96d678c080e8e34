//! Validation: core's checks of the envelope and of everything that spans interfaces, and the
//! orchestration that hands each plugin the items of its vocabulary.
//!
//! Every problem is reported, not just the first, each pinned to the place in the documents
//! that must change. The work is linear in the size of the documents: each plugin is called
//! once with all its items and cross-interface checks use hash maps, so 10,000 interfaces
//! validate in milliseconds.

mod gateway;
mod refs;

use std::collections::HashMap;

use netplug_plugin_sdk::schema::did_you_mean;
use netplug_plugin_sdk::{Dependency, Diagnostic, Item, Nexthop, Span, Subnet};

use crate::items::{
    child_owner, feature_items, kind_item, kind_plugin_index, ChildOwner, ValidatedItems, WELL_KNOWN_FEATURES,
};
use crate::model::{Config, Interface};
use crate::registry::{install_hint, Registry};
use crate::source::SourceMap;

/// What a run knows beyond the documents.
#[derive(Clone, Copy, Default)]
pub struct ValidateOptions<'a> {
    /// Whether a device exists in the kernel. Given by `plan`/`apply`: a reference to an
    /// interface the documents do not define is then an error unless the device exists. Without
    /// it (`netplug validate` on another machine) such a reference is only a warning.
    pub exists_in_kernel: Option<&'a dyn Fn(&str) -> bool>,
    /// The files read, so messages about another place can say `FILE:LINE:COL`.
    pub sources: Option<&'a SourceMap>,
}

/// Everything validation learnt: the diagnostics, and the facts plugins reported that later
/// stages use. The dependencies between interfaces are in the configuration too, as each
/// interface's `master`, `parent` and `requires`, which is what ordering reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// In document order.
    pub dependencies: Vec<Dependency>,
    pub subnets: Vec<Subnet>,
    pub nexthops: Vec<Nexthop>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Check a configuration and fill in each interface's `master`, `parent` and `requires`; returns every
/// problem, sorted by file, line and column.
pub fn validate(config: &mut Config, registry: &Registry, opts: &ValidateOptions) -> Vec<Diagnostic> {
    check(config, registry, opts).diagnostics
}

/// [`validate`], keeping the items it built for the run that follows (see [`ValidatedItems`]).
pub fn validate_for_run(
    config: &mut Config,
    registry: &Registry,
    opts: &ValidateOptions,
) -> (Vec<Diagnostic>, ValidatedItems) {
    let (report, items) = check_keeping_items(config, registry, opts);
    (report.diagnostics, ValidatedItems::new(items, config))
}

/// [`validate`], returning also the dependencies, subnets and next hops plugins reported.
pub fn check(config: &mut Config, registry: &Registry, opts: &ValidateOptions) -> Report {
    check_keeping_items(config, registry, opts).0
}

/// [`check`], and the items each plugin was given, indexed like the registry's plugins.
fn check_keeping_items(
    config: &mut Config,
    registry: &Registry,
    opts: &ValidateOptions,
) -> (Report, Vec<Vec<Item>>) {
    // Membership comes only from this run's dependencies; a second validation starts afresh.
    for iface in &mut config.interfaces {
        iface.master = None;
        iface.parent = None;
        iface.requires.clear();
    }
    let mut diags = duplicates(config, opts);

    let mut per_plugin: Vec<Vec<Item>> = vec![Vec::new(); registry.plugins().len()];
    for iface in &config.interfaces {
        match kind_plugin_index(&iface.kind, registry) {
            Some(p) => per_plugin[p].push(kind_item(iface, registry)),
            None => diags.push(unknown_kind(iface, registry)),
        }
        for (p, item) in feature_items(iface, registry) {
            per_plugin[p].push(item);
        }
        if let Some(kind) = registry.for_kind(&iface.kind) {
            device_settings(iface, &kind.info, &mut diags);
        }
        for child in &iface.element.children {
            if child_owner(&child.name, registry) == ChildOwner::MissingFeature {
                diags.push(
                    Diagnostic::error(
                        child.span,
                        format!("no installed plugin handles element <{}>", child.name),
                    )
                    .on_interface(&iface.name)
                    .on_attribute(&child.name)
                    .with_help(install_hint(&child.name)),
                );
            }
        }
    }

    let mut report = Report::default();
    for (reg, items) in registry.plugins().iter().zip(&per_plugin) {
        if items.is_empty() {
            continue;
        }
        let watch = crate::watchdog::watch(&reg.info.name, "validate");
        let v = reg.plugin.validate(items);
        drop(watch);
        diags.extend(v.diagnostics);
        report.dependencies.extend(v.dependencies);
        report.subnets.extend(v.subnets);
        report.nexthops.extend(v.nexthops);
    }
    // Plugins answer in registration order; the documents' order reads better and makes
    // "the second reference" mean the second one written.
    report.dependencies.sort_by_key(|d| position(d.span));

    refs::check(config, &report.dependencies, opts, &mut diags);
    gateway::check(&report.subnets, &report.nexthops, &mut diags);

    diags.sort_by_key(|d| position(d.span));
    report.diagnostics = diags;
    (report, per_plugin)
}

/// Device settings (`<ethtool>`) the interface's kind plugin says its devices do not take
/// (`PluginInfo::device_settings`): refused where they are written, so nothing is planned that
/// the kernel would not keep and a rollback would have to fight.
fn device_settings(iface: &Interface, kind: &netplug_plugin_sdk::PluginInfo, out: &mut Vec<Diagnostic>) {
    for el in &iface.element.children {
        let Some(accepted) = kind.device_settings.get(&el.name) else { continue };
        let refuse = |span: Span, what: String, attribute: &str| {
            let help = if accepted.is_empty() {
                format!("remove <{}>", el.name)
            } else {
                format!("a {} takes only: {}", iface.kind, accepted.join(", "))
            };
            Diagnostic::error(span, what).on_interface(&iface.name).on_attribute(attribute).with_help(help)
        };
        if accepted.is_empty() {
            let what = format!(
                "a {} takes no <{}> settings (its {} plugin says so)",
                iface.kind, el.name, kind.name
            );
            out.push(refuse(el.span, what, &el.name));
            continue;
        }
        for a in el.attributes.iter().filter(|a| !accepted.contains(&a.name)) {
            let what = format!("a {} does not take <{}> {}", iface.kind, el.name, a.name);
            out.push(refuse(a.span, what, &a.name));
        }
        for c in el.children.iter().filter(|c| !accepted.contains(&c.name)) {
            let what = format!("a {} does not take <{}> <{}>", iface.kind, el.name, c.name);
            out.push(refuse(c.span, what, &c.name));
        }
    }
}

fn position(span: Span) -> (u32, u32, u32) {
    (span.file, span.line, span.col)
}

/// Where a span is, for a message about another place than the one it is pinned to.
pub(crate) fn describe(span: Span, here: Span, opts: &ValidateOptions) -> String {
    match opts.sources {
        Some(sources) => sources.location(span),
        None if span.file == here.file => format!("line {}, column {}", span.line, span.col),
        None => format!("line {}, column {} of file #{}", span.line, span.col, span.file),
    }
}

/// Every interface name defined more than once, reported at each later definition.
fn duplicates(config: &Config, opts: &ValidateOptions) -> Vec<Diagnostic> {
    let mut first: HashMap<&str, Span> = HashMap::with_capacity(config.interfaces.len());
    let mut out = Vec::new();
    for iface in &config.interfaces {
        if let Some(&span) = first.get(iface.name.as_str()) {
            out.push(
                Diagnostic::error(
                    iface.name_span,
                    format!(
                        "duplicate interface {}, first defined at {}",
                        iface.name,
                        describe(span, iface.name_span, opts)
                    ),
                )
                .on_interface(&iface.name)
                .on_attribute(Interface::name_attribute_of(&iface.element.name)),
            );
        } else {
            first.insert(&iface.name, iface.name_span);
        }
    }
    out
}

/// The diagnostic for an interface whose kind no plugin handles: "did you mean" when an
/// installed kind is close (a typo), else the package that would hold the kind's plugin. Core
/// knows no kind of its own, so it cannot tell a kind whose plugin is missing from a word no
/// plugin will ever have; the hint says what to install if it is a kind.
fn unknown_kind(iface: &Interface, registry: &Registry) -> Diagnostic {
    let element = &iface.element.name;
    let is_feature = WELL_KNOWN_FEATURES.contains(&iface.kind.as_str());
    let unknown = || Diagnostic::error(iface.element.span, format!("unknown element <{element}>"));
    // `<interface>` is a candidate when a plugin of physical devices is installed.
    let candidates: Vec<&str> =
        registry.kinds().map(|k| registry.element_of_kind(k)).filter(|c| c != element).collect();
    let d = if is_feature || registry.for_element(element).is_some() {
        unknown().with_help(format!("<{element}> belongs inside an interface"))
    } else if let Some(s) = did_you_mean(element, candidates) {
        unknown().with_help(format!("did you mean <{s}>?"))
    } else {
        Diagnostic::error(iface.element.span, format!("no installed plugin handles <{element}>"))
            .with_help(install_hint(element))
    };
    // An element that is not an interface may have no name to speak of.
    if iface.name.is_empty() {
        d
    } else {
        d.on_interface(&iface.name)
    }
}
