//! Checks on the references between interfaces that plugins report as dependencies: undefined
//! devices, self-references, two masters or parents, removal that contradicts a reference, and
//! cycles. Fills each interface's `master`, `parent` and `requires`.

use std::collections::HashMap;

use netplug_plugin_sdk::{Dependency, Diagnostic, LinkState, Relation, Span};

use super::{describe, ValidateOptions};
use crate::model::Config;
use crate::order::{ends, name_index, Graph};

pub(super) fn check(
    config: &mut Config,
    deps: &[Dependency],
    opts: &ValidateOptions,
    out: &mut Vec<Diagnostic>,
) {
    let names = name_index(config);
    let mut graph = Graph::new(config.interfaces.len());
    // A port requiring its own master (a route of a VRF's port naming the VRF's table) needs
    // no edge or `requires` entry of its own: the master exists before it is given ports, and
    // an edge would close a cycle with the membership.
    let ports: std::collections::HashSet<(&str, &str)> = deps
        .iter()
        .filter(|d| d.relation == Relation::Member)
        .map(|d| (d.from.as_str(), d.to.as_str()))
        .collect();
    // The first master (parent) each interface was given, and where.
    let mut masters: HashMap<&str, (&str, Span)> = HashMap::new();
    let mut parents: HashMap<&str, (&str, Span)> = HashMap::new();
    // What each interface requires, both ends defined, in the order reported.
    let mut requires: Vec<(usize, String)> = Vec::new();

    for dep in deps {
        if dep.from == dep.to {
            out.push(self_reference(dep));
            continue;
        }
        let (from, to) = (names.get(dep.from.as_str()), names.get(dep.to.as_str()));
        if from.is_none() {
            out.extend(undefined(&dep.from, dep, opts));
        }
        if to.is_none() {
            out.extend(undefined(&dep.to, dep, opts));
        }

        let taken = match dep.relation {
            Relation::Member => Some((&mut masters, "enslaved to two masters")),
            Relation::Parent => Some((&mut parents, "stacked on two parents")),
            Relation::Requires => None,
        };
        if let Some((taken, what)) = taken {
            match taken.get(dep.from.as_str()) {
                Some(&(first, _)) if first == dep.to => continue,
                Some(&(first, span)) => {
                    out.push(
                        Diagnostic::error(
                            dep.span,
                            format!("{} is {what}: {first} and {}", dep.from, dep.to),
                        )
                        .on_interface(&dep.from)
                        .with_help(format!("{first} claims it at {}", describe(span, dep.span, opts))),
                    );
                    continue;
                }
                None => {
                    taken.insert(&dep.from, (&dep.to, dep.span));
                }
            }
        }

        if let (Some(&f), Some(&t)) = (from, to) {
            let (fi, ti) = (&config.interfaces[f], &config.interfaces[t]);
            let absent = |i: &crate::model::Interface| i.state == LinkState::Absent;
            // A port being removed while its master stays, or a device staying on a lower
            // device being removed: the documents contradict themselves.
            let contradiction = match dep.relation {
                Relation::Member => absent(fi) && !absent(ti),
                Relation::Parent | Relation::Requires => !absent(fi) && absent(ti),
            };
            if contradiction {
                out.push(removed_but_referenced(dep));
            }
            if dep.relation == Relation::Requires && ports.contains(&(dep.from.as_str(), dep.to.as_str())) {
                continue;
            }
            let (u, l) = ends(dep);
            graph.add(names[u], names[l], dep.span);
            if dep.relation == Relation::Requires {
                requires.push((f, dep.to.clone()));
            }
        }
    }

    for cycle in graph.cycles(config) {
        let closer = cycle.interfaces[cycle.interfaces.len() - 2].clone();
        out.push(Diagnostic::error(cycle.span, cycle.to_string()).on_interface(closer));
    }

    let assign = |taken: &HashMap<&str, (&str, Span)>| -> Vec<(usize, String)> {
        taken.iter().filter_map(|(from, (to, _))| names.get(from).map(|&i| (i, to.to_string()))).collect()
    };
    let (masters, parents) = (assign(&masters), assign(&parents));
    for (i, m) in masters {
        config.interfaces[i].master = Some(m);
    }
    for (i, p) in parents {
        config.interfaces[i].parent = Some(p);
    }
    for (i, r) in requires {
        if !config.interfaces[i].requires.contains(&r) {
            config.interfaces[i].requires.push(r);
        }
    }
}

/// What messages call a master's port, whatever the master's kind and whatever its plugin's
/// vocabulary calls it (`<member>`, `<slave>`): the kernel's word, which core can say without
/// knowing any kind.
const PORT: &str = "port";

fn self_reference(dep: &Dependency) -> Diagnostic {
    let what = match dep.relation {
        Relation::Member => "cannot be a member of itself",
        Relation::Parent => "cannot be stacked on itself",
        Relation::Requires => "cannot require itself",
    };
    Diagnostic::error(dep.span, format!("{} {what}", dep.from)).on_interface(&dep.from)
}

/// A reference to `name`, one end of `dep`, which the documents do not define: a warning, or
/// with a kernel to ask, nothing if the device exists and an error if not.
fn undefined(name: &str, dep: &Dependency, opts: &ValidateOptions) -> Option<Diagnostic> {
    let exists = opts.exists_in_kernel.map(|f| f(name));
    if exists == Some(true) {
        return None;
    }
    // Speak from the end that is defined: "bond0: port eth2 ...".
    let (subject, what) = match (dep.relation, name == dep.from) {
        (Relation::Member, true) => (&dep.to, PORT.to_string()),
        (Relation::Member, false) => (&dep.from, "master".to_string()),
        (Relation::Parent, false) => (&dep.from, "parent".to_string()),
        (Relation::Parent, true) => (&dep.to, "child".to_string()),
        (Relation::Requires, false) => (&dep.from, "required device".to_string()),
        (Relation::Requires, true) => (&dep.to, "dependent".to_string()),
    };
    let message = format!("{subject}: {what} {name} is not defined in these documents");
    let d = match exists {
        None => Diagnostic::warning(dep.span, message),
        Some(_) => Diagnostic::error(dep.span, format!("{message} and no such device exists")),
    };
    Some(d.on_interface(subject.as_str()))
}

fn removed_but_referenced(dep: &Dependency) -> Diagnostic {
    let (subject, message, help) = match dep.relation {
        Relation::Member => (
            &dep.to,
            format!("{}: {PORT} {} has state=\"absent\"", dep.to, dep.from),
            format!("remove it from {} too", dep.to),
        ),
        Relation::Parent => (
            &dep.from,
            format!("{}: parent {} has state=\"absent\"", dep.from, dep.to),
            format!("{} cannot stay without it; make it absent too", dep.from),
        ),
        Relation::Requires => (
            &dep.from,
            format!("{}: required device {} has state=\"absent\"", dep.from, dep.to),
            format!("{} cannot stay without it; make it absent too", dep.from),
        ),
    };
    Diagnostic::error(dep.span, message).on_interface(subject.as_str()).with_help(help)
}
