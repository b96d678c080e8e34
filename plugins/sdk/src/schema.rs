//! Helpers for checking an element against a plugin's vocabulary: unknown attributes and
//! children with "did you mean" hints, and parsers for the value types the format uses.
//!
//! They return [`Diagnostic`]s pinned to the attribute's value, so every plugin reports bad
//! input the same way.

use crate::diagnostic::Diagnostic;
use crate::element::{Attribute, Element};

/// The closest candidate to `word` within an edit distance that scales with its length, for
/// "did you mean" hints (`fowarddelay` → `forwarddelay`).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Damerau–Levenshtein (optimal string alignment) distance.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Report every attribute of `element` that is not in `allowed`, with a hint when one is close.
pub fn check_attributes(element: &Element, allowed: &[&str], interface: &str) -> Vec<Diagnostic> {
    element
        .attributes
        .iter()
        .filter(|a| !allowed.contains(&a.name.as_str()))
        .map(|a| {
            let d = Diagnostic::error(a.span, format!("unknown attribute `{}` on <{}>", a.name, element.name))
                .on_interface(interface)
                .on_attribute(&a.name);
            match did_you_mean(&a.name, allowed.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d,
            }
        })
        .collect()
}

/// Report every child of `element` whose name is not in `allowed`, with a hint when one is close.
pub fn check_children(element: &Element, allowed: &[&str], interface: &str) -> Vec<Diagnostic> {
    element
        .children
        .iter()
        .filter(|c| !allowed.contains(&c.name.as_str()))
        .map(|c| {
            let d = Diagnostic::error(c.span, format!("unknown element <{}> in <{}>", c.name, element.name))
                .on_interface(interface)
                .on_attribute(&c.name);
            match did_you_mean(&c.name, allowed.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean <{s}>?")),
                None => d,
            }
        })
        .collect()
}

/// Parse a yes/no style boolean (`yes|no|on|off|true|false|1|0`).
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" => Some(true),
        "no" | "off" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// An error diagnostic pinned to an attribute's value.
pub fn bad_value(attr: &Attribute, interface: &str, what: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(attr.value_span, format!("invalid {} `{}`: {what}", attr.name, attr.value))
        .on_interface(interface)
        .on_attribute(&attr.name)
}

/// Check an optional boolean attribute; returns its value (or `default`) and any diagnostic.
pub fn bool_attr(element: &Element, name: &str, default: bool, interface: &str, out: &mut Vec<Diagnostic>) -> bool {
    match element.attr(name) {
        None => default,
        Some(a) => parse_bool(&a.value).unwrap_or_else(|| {
            out.push(bad_value(a, interface, "expected yes or no"));
            default
        }),
    }
}

/// Check an optional unsigned integer attribute within `min..=max`.
pub fn u32_attr(element: &Element, name: &str, min: u32, max: u32, interface: &str, out: &mut Vec<Diagnostic>) -> Option<u32> {
    let a = element.attr(name)?;
    match a.value.trim().parse::<u64>() {
        Ok(v) if (min as u64..=max as u64).contains(&v) => Some(v as u32),
        Ok(_) => {
            out.push(bad_value(a, interface, format!("must be between {min} and {max}")));
            None
        }
        Err(_) => {
            out.push(bad_value(a, interface, "expected a non-negative integer"));
            None
        }
    }
}

/// Check an optional attribute against a fixed set of words.
pub fn enum_attr<'a>(element: &'a Element, name: &str, allowed: &[&str], interface: &str, out: &mut Vec<Diagnostic>) -> Option<&'a str> {
    let a = element.attr(name)?;
    if allowed.contains(&a.value.as_str()) {
        return Some(a.value.as_str());
    }
    let d = bad_value(a, interface, format!("expected one of {}", allowed.join(", ")));
    out.push(match did_you_mean(&a.value, allowed.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d,
    });
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(did_you_mean("fowarddelay", ["forwarddelay", "hellotime"]), Some("forwarddelay"));
        assert_eq!(did_you_mean("stpp", ["stp", "priority"]), Some("stp"));
        assert_eq!(did_you_mean("zzzzzz", ["stp", "priority"]), None);
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool("off"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
