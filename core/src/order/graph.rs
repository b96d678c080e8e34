//! The dependency graph over interfaces: Kahn's sort with ties broken by document order, and
//! cycle reports that name the interfaces in order and point at the reference that closes them.
//!
//! Nodes are indices into `Config::interfaces`. An edge `upper -> lower` means `upper` needs
//! `lower` first: a master needs its members, a VLAN its parent, an interface what it requires
//! (the way ifupdown2 draws it).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use netplug_plugin_sdk::{Dependency, Relation, Span};

use crate::model::Config;

/// A dependency cycle, which no order can satisfy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("dependency cycle: {}", self.interfaces.join(" -> "))]
pub struct Cycle {
    /// The interfaces in cycle order, each needing the next; the first is repeated at the end.
    pub interfaces: Vec<String>,
    /// Where the reference that closes the cycle (the last arrow) is written.
    pub span: Span,
}

/// The two ends of a dependency as graph nodes: `(upper, lower)`, lower first.
pub(crate) fn ends(dep: &Dependency) -> (&str, &str) {
    match dep.relation {
        // The slave comes first; the master needs it.
        Relation::Member => (dep.to.as_str(), dep.from.as_str()),
        Relation::Parent | Relation::Requires => (dep.from.as_str(), dep.to.as_str()),
    }
}

/// Name → index of the first interface with that name (later duplicates are validation's
/// business; they must not make the graph panic).
pub(crate) fn name_index(config: &Config) -> HashMap<&str, usize> {
    let mut names = HashMap::with_capacity(config.interfaces.len());
    for (i, iface) in config.interfaces.iter().enumerate() {
        names.entry(iface.name.as_str()).or_insert(i);
    }
    names
}

pub(crate) struct Graph {
    /// `lower[u]`: what `u` needs first, with the span of the reference.
    pub lower: Vec<Vec<(usize, Span)>>,
    /// `upper[l]`: what needs `l`.
    pub upper: Vec<Vec<usize>>,
}

impl Graph {
    pub fn new(n: usize) -> Self {
        Graph { lower: vec![Vec::new(); n], upper: vec![Vec::new(); n] }
    }

    pub fn add(&mut self, upper: usize, lower: usize, span: Span) {
        self.lower[upper].push((lower, span));
        self.upper[lower].push(upper);
    }

    /// The graph of a validated configuration: its `master`, `parent` and `requires`
    /// references (with the referring interface's name span, the model keeps no better one).
    pub fn from_config(config: &Config) -> Self {
        let names = name_index(config);
        let mut g = Graph::new(config.interfaces.len());
        for (i, iface) in config.interfaces.iter().enumerate() {
            if let Some(&m) = iface.master.as_deref().and_then(|m| names.get(m)) {
                g.add(m, i, iface.name_span);
            }
            if let Some(&p) = iface.parent.as_deref().and_then(|p| names.get(p)) {
                g.add(i, p, iface.name_span);
            }
            for &r in iface.requires.iter().filter_map(|r| names.get(r.as_str())) {
                g.add(i, r, iface.name_span);
            }
        }
        g
    }

    /// Kahn's algorithm, lower devices first; among ready nodes the earliest in the document
    /// goes first, so the order is deterministic and reads like the input. Returns the sorted
    /// nodes, or `Err(done)` where `done[i]` tells which nodes made it before a cycle stopped it.
    pub fn sort(&self) -> Result<Vec<usize>, Vec<bool>> {
        let n = self.lower.len();
        let mut indegree: Vec<usize> = self.lower.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&i| indegree[i] == 0).map(Reverse).collect();
        let mut out = Vec::with_capacity(n);
        while let Some(Reverse(l)) = ready.pop() {
            out.push(l);
            for &u in &self.upper[l] {
                indegree[u] -= 1;
                if indegree[u] == 0 {
                    ready.push(Reverse(u));
                }
            }
        }
        if out.len() == n {
            return Ok(out);
        }
        let mut done = vec![false; n];
        for i in out {
            done[i] = true;
        }
        Err(done)
    }

    /// Connected components (ignoring direction), numbered in document order of their first
    /// interface: independent subtrees a later apply may run in parallel.
    pub fn groups(&self) -> Vec<usize> {
        let n = self.lower.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for u in 0..n {
            for &(l, _) in &self.lower[u] {
                let (a, b) = (find(&mut parent, u), find(&mut parent, l));
                // Keep the earlier node as root so numbering by root is numbering by document.
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut number = vec![usize::MAX; n];
        let mut next = 0;
        (0..n)
            .map(|i| {
                let r = find(&mut parent, i);
                if number[r] == usize::MAX {
                    number[r] = next;
                    next += 1;
                }
                number[r]
            })
            .collect()
    }

    /// Every cycle, one per strongly connected component of what Kahn could not sort, in
    /// document order of the component's first interface. Empty when the graph is acyclic.
    pub fn cycles(&self, config: &Config) -> Vec<Cycle> {
        let done = match self.sort() {
            Ok(_) => return Vec::new(),
            Err(done) => done,
        };
        let components = self.components(&done);
        let mut comp_of = vec![usize::MAX; self.lower.len()];
        for (c, nodes) in components.iter().enumerate() {
            for &v in nodes {
                comp_of[v] = c;
            }
        }
        let mut seen = vec![usize::MAX; self.lower.len()];
        let mut cycles: Vec<(usize, Cycle)> = components
            .iter()
            .enumerate()
            .filter(|(_, nodes)| nodes.len() > 1 || self.lower[nodes[0]].iter().any(|&(l, _)| l == nodes[0]))
            .map(|(c, nodes)| {
                let first = *nodes.iter().min().expect("components are not empty");
                (first, self.cycle_in(first, c, &comp_of, &mut seen, config))
            })
            .collect();
        cycles.sort_by_key(|(first, _)| *first);
        cycles.into_iter().map(|(_, c)| c).collect()
    }

    /// Tarjan's strongly connected components over the nodes Kahn left, iteratively (a chain
    /// of thousands of stacked devices must not overflow the stack).
    fn components(&self, done: &[bool]) -> Vec<Vec<usize>> {
        const UNSET: usize = usize::MAX;
        let n = self.lower.len();
        let (mut index, mut low) = (vec![UNSET; n], vec![0; n]);
        let mut on_stack = vec![false; n];
        let (mut stack, mut calls, mut out) = (Vec::new(), Vec::new(), Vec::new());
        let mut counter = 0;
        for s in (0..n).filter(|&s| !done[s]) {
            if index[s] != UNSET {
                continue;
            }
            index[s] = counter;
            low[s] = counter;
            counter += 1;
            stack.push(s);
            on_stack[s] = true;
            calls.push((s, 0usize));
            while let Some(&mut (v, ref mut next)) = calls.last_mut() {
                if let Some(&(w, _)) = self.lower[v].get(*next) {
                    *next += 1;
                    if done[w] {
                        continue;
                    }
                    if index[w] == UNSET {
                        index[w] = counter;
                        low[w] = counter;
                        counter += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        calls.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(u, _)) = calls.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    out.push(component);
                }
            }
        }
        out
    }

    /// Walk "needs" edges inside one strongly connected component from `start` until a node
    /// repeats: that loop is a cycle. Rotate it so its last arrow is the reference written last
    /// in the documents, which is where a reader sees the cycle close.
    fn cycle_in(
        &self,
        start: usize,
        component: usize,
        comp_of: &[usize],
        seen: &mut [usize],
        config: &Config,
    ) -> Cycle {
        let mut path: Vec<(usize, Span)> = Vec::new();
        let mut v = start;
        let from = loop {
            if seen[v] != usize::MAX {
                break seen[v];
            }
            seen[v] = path.len();
            let &(w, span) = self.lower[v]
                .iter()
                .find(|(w, _)| comp_of[*w] == component)
                .expect("every node of a strongly connected component has an edge inside it");
            path.push((v, span));
            v = w;
        };
        for &(p, _) in &path {
            seen[p] = usize::MAX;
        }
        // `path[k]` is a node and the span of its arrow to `path[k + 1]` (wrapping around).
        let ring = &path[from..];
        let close = ring
            .iter()
            .enumerate()
            .max_by_key(|(_, (_, s))| (s.is_known(), s.file, s.start, s.line, s.col))
            .map(|(k, _)| k)
            .expect("a cycle has at least one arrow");
        let m = ring.len();
        let mut interfaces: Vec<String> =
            (1..=m).map(|k| config.interfaces[ring[(close + k) % m].0].name.clone()).collect();
        interfaces.push(interfaces[0].clone());
        Cycle { interfaces, span: ring[close].1 }
    }
}
