//! Helpers for checking an element against a plugin's vocabulary: unknown attributes and
//! children with "did you mean" hints, and parsers for the value types the format uses.
//!
//! They return [`Diagnostic`]s pinned to the attribute's value, so every plugin reports bad
//! input the same way.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::element::{Attribute, Element, Span};
use crate::plugin::{Dependency, Item, Relation, Validation};

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
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
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
            let d =
                Diagnostic::error(a.span, format!("unknown attribute `{}` on <{}>", a.name, element.name))
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

/// Check an optional attribute against a fixed set of words.
pub fn enum_attr<'a>(
    element: &'a Element,
    name: &str,
    allowed: &[&str],
    interface: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<&'a str> {
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

// ---------------------------------------------------------------------------------------------
// Declared vocabularies. As ifupdown2's addons do, a plugin declares each attribute once — name,
// one line of help, the values it takes, its default — and that table drives both the checks
// below and the documentation, so the two cannot drift apart.

/// Child elements that core or netplug's feature plugins own inside any interface. Core takes them
/// out of a kind plugin's item, so they never reach it; they are offered as hints when a kind
/// plugin finds an unknown child (`<statc>` → "did you mean <static>?").
pub const FEATURE_ELEMENTS: &[&str] = &["hwaddr", "static", "dhcp", "dhcp6", "route", "ethtool"];

/// Attributes of a top-level element that belong to core's envelope (besides the name
/// attribute). Like [`FEATURE_ELEMENTS`], they are hint candidates only.
pub const ENVELOPE_ATTRIBUTES: &[&str] = &["startmode", "onboot", "state", "mtu"];

/// The values an attribute takes.
#[derive(Clone, Copy, Debug)]
pub enum ValueKind {
    /// `yes` or `no` (also `on|off|true|false|1|0`).
    Bool,
    /// An unsigned integer within `min..=max`, counted in `unit` (may be empty).
    Uint { min: u32, max: u32, unit: &'static str },
    /// One of these words, compared ASCII case-insensitively.
    Words(&'static [&'static str]),
    /// A kernel enumeration (see [`kernel_enum!`](crate::kernel_enum)): its names, and a check
    /// that also accepts the kernel's numbers.
    Enum { names: &'static [&'static str], valid: fn(&str) -> bool },
    /// Anything else (addresses, lists, interface names), described for the docs; the plugin
    /// checks it itself.
    Other(&'static str),
}

/// One attribute of a vocabulary.
#[derive(Clone, Copy, Debug)]
pub struct AttrSpec {
    pub name: &'static str,
    /// One line for the docs and `netplug` help.
    pub help: &'static str,
    pub kind: ValueKind,
    /// What applies when the attribute is absent, as written in the format; `None` when absence
    /// means "leave the kernel's value alone" or the attribute is required.
    pub default: Option<&'static str>,
}

impl AttrSpec {
    /// This attribute on `element`, if present.
    pub fn attr<'a>(&self, element: &'a Element) -> Option<&'a Attribute> {
        element.attr(self.name)
    }

    /// Check a value against [`AttrSpec::kind`]; `Other` values always pass here.
    pub fn check(&self, attr: &Attribute, interface: &str) -> Option<Diagnostic> {
        let v = attr.value.trim();
        match self.kind {
            ValueKind::Bool => {
                parse_bool(v).is_none().then(|| bad_value(attr, interface, "expected yes or no"))
            }
            ValueKind::Uint { min, max, unit } => match v.parse::<u64>() {
                Ok(n) if (u64::from(min)..=u64::from(max)).contains(&n) => None,
                Ok(_) if unit.is_empty() => {
                    Some(bad_value(attr, interface, format!("must be between {min} and {max}")))
                }
                Ok(_) => Some(bad_value(attr, interface, format!("must be between {min} and {max} {unit}"))),
                Err(_) => Some(bad_value(attr, interface, "expected a non-negative integer")),
            },
            ValueKind::Words(words) => (!words.iter().any(|w| w.eq_ignore_ascii_case(v)))
                .then(|| unknown_word(attr, interface, words)),
            ValueKind::Enum { names, valid } => (!valid(v)).then(|| unknown_word(attr, interface, names)),
            ValueKind::Other(_) => None,
        }
    }

    /// The value of a `Bool` attribute when present and valid (silently: [`check_specs`] reports).
    pub fn get_bool(&self, element: &Element) -> Option<bool> {
        self.attr(element).and_then(|a| parse_bool(&a.value))
    }

    /// The value of a `Uint` attribute when present and within its range.
    pub fn get_u32(&self, element: &Element) -> Option<u32> {
        let ValueKind::Uint { min, max, .. } = self.kind else { return None };
        let n = self.attr(element)?.value.trim().parse::<u32>().ok()?;
        (min..=max).contains(&n).then_some(n)
    }

    /// The canonical spelling of a `Words` attribute's value when present and valid.
    pub fn get_word(&self, element: &Element) -> Option<&'static str> {
        let ValueKind::Words(words) = self.kind else { return None };
        let v = self.attr(element)?.value.trim();
        words.iter().copied().find(|w| w.eq_ignore_ascii_case(v))
    }

    /// The value of an `Enum` attribute (or any attribute) parsed as `T`, when present and valid.
    pub fn get<T: std::str::FromStr>(&self, element: &Element) -> Option<T> {
        self.attr(element)?.value.trim().parse().ok()
    }
}

fn unknown_word(attr: &Attribute, interface: &str, words: &[&str]) -> Diagnostic {
    let d = bad_value(attr, interface, format!("expected one of {}", words.join(", ")));
    match did_you_mean(attr.value.trim(), words.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d,
    }
}

/// Check `element`'s attributes against `specs`: each unknown attribute (hinting from the specs'
/// names and from `hints`, e.g. [`ENVELOPE_ATTRIBUTES`]) and each value [`AttrSpec::check`] can
/// judge.
pub fn check_specs(
    element: &Element,
    specs: &[AttrSpec],
    hints: &[&str],
    interface: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for a in &element.attributes {
        match specs.iter().find(|s| s.name == a.name) {
            Some(spec) => out.extend(spec.check(a, interface)),
            None => {
                let d = Diagnostic::error(
                    a.span,
                    format!("unknown attribute `{}` on <{}>", a.name, element.name),
                )
                .on_interface(interface)
                .on_attribute(&a.name);
                let candidates = specs.iter().map(|s| s.name).chain(hints.iter().copied());
                out.push(match did_you_mean(&a.name, candidates) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d,
                });
            }
        }
    }
    out
}

/// Like [`check_children`], but also drawing hints from `hints` (e.g. [`FEATURE_ELEMENTS`]), and
/// reporting text content, which no element of the format but `<hwaddr>` has.
pub fn check_children_hinting(
    element: &Element,
    allowed: &[&str],
    hints: &[&str],
    interface: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in element.children.iter().filter(|c| !allowed.contains(&c.name.as_str())) {
        let d = Diagnostic::error(c.span, format!("unknown element <{}> in <{}>", c.name, element.name))
            .on_interface(interface)
            .on_attribute(&c.name);
        out.push(match did_you_mean(&c.name, allowed.iter().chain(hints).copied()) {
            Some(s) => d.with_help(format!("did you mean <{s}>?")),
            None => d,
        });
    }
    if element.text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        out.push(
            Diagnostic::error(element.span, format!("<{}> takes no text", element.name))
                .on_interface(interface)
                .on_attribute(&element.name),
        );
    }
    out
}

/// An error at `element` for a missing required attribute.
pub fn missing_attr(element: &Element, name: &str, interface: &str) -> Diagnostic {
    Diagnostic::error(element.span, format!("<{}> needs a `{name}` attribute", element.name))
        .on_interface(interface)
        .on_attribute(name)
}

/// The span of `range` (byte offsets into `attr.value`) inside the attribute's value, so a
/// plugin can point at one item of a list. Falls back to the whole value when the source text
/// differs from the value (entities such as `&amp;` were expanded) or the item is not on the
/// value's first line.
pub fn sub_span(attr: &Attribute, range: std::ops::Range<usize>) -> crate::element::Span {
    let vs = attr.value_span;
    let raw_len = (vs.end - vs.start) as usize;
    let prefix = attr.value.get(..range.start);
    match prefix {
        Some(p)
            if vs.is_known() && raw_len == attr.value.len() && !p.contains('\n') && range.end <= raw_len =>
        {
            crate::element::Span {
                start: vs.start + range.start as u32,
                end: vs.start + range.end as u32,
                col: vs.col + p.chars().count() as u32,
                ..vs
            }
        }
        _ => vs,
    }
}

/// The parent a stacked link names in its `device` attribute (a VLAN's, a macvlan's, an
/// ipvlan's), checked: given (unless the item is absent), a valid interface name, not the
/// interface itself. A good parent becomes the item's [`Relation::Parent`] dependency and is
/// returned; a bad or missing one is an error in `v` at its file:line:col, and `None`.
pub fn parent_device<'a>(item: &'a Item, v: &mut Validation) -> Option<&'a Attribute> {
    let name = item.interface.as_str();
    let Some(dev) = item.element.attr("device") else {
        if !item.is_absent() {
            v.diagnostics.push(missing_attr(&item.element, "device", name));
        }
        return None;
    };
    let parent = dev.value.trim();
    let err = |msg: String| Diagnostic::error(dev.value_span, msg).on_interface(name).on_attribute("device");
    if let Some(problem) = ifname_problem(parent) {
        v.diagnostics.push(err(format!("invalid device `{parent}`: {problem}")));
        return None;
    }
    if parent == name {
        v.diagnostics.push(err(format!("{name} cannot be its own parent device")));
        return None;
    }
    v.dependencies.push(Dependency {
        from: name.to_string(),
        to: parent.to_string(),
        relation: Relation::Parent,
        span: dev.value_span,
    });
    Some(dev)
}

/// The `<member device=…>` children of a master (a bridge's, a VRF's), checked against
/// `attributes` (the plugin's vocabulary of `<member>`): each names a valid interface, not the
/// master, once, and one `refuse` does not turn away (`refuse` says why this kind cannot take
/// that port: a VRF cannot take `lo`). Each good member becomes a [`Relation::Member`]
/// dependency of the port on the master; every problem is an error in `v` at its place.
pub fn check_members(
    item: &Item,
    attributes: &[AttrSpec],
    v: &mut Validation,
    refuse: impl Fn(&str) -> Option<String>,
) {
    let name = item.interface.as_str();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for member in item.element.children_named("member") {
        let out = &mut v.diagnostics;
        out.extend(check_specs(member, attributes, &[], name));
        out.extend(check_children_hinting(member, &[], &[], name));
        let Some(dev) = member.attr("device") else {
            out.push(missing_attr(member, "device", name));
            continue;
        };
        let port = dev.value.trim();
        let err =
            |msg: String| Diagnostic::error(dev.value_span, msg).on_interface(name).on_attribute("device");
        if let Some(problem) = ifname_problem(port) {
            out.push(err(format!("invalid device `{port}`: {problem}")));
        } else if port == name {
            out.push(err(format!("{name} cannot be a member of itself")));
        } else if let Some(why) = refuse(port) {
            out.push(err(why));
        } else if let Some(first) = seen.get(port) {
            out.push(err(format!("{port} is already a member of {name} (at {}:{})", first.line, first.col)));
        } else {
            seen.insert(port, dev.value_span);
            v.dependencies.push(Dependency {
                from: port.to_string(),
                to: name.to_string(),
                relation: Relation::Member,
                span: dev.value_span,
            });
        }
    }
}

/// Why `name` cannot be a Linux interface name, if it cannot: the kernel's `dev_valid_name`
/// (1-15 bytes, not `.` or `..`, no `/`, `:` or whitespace).
pub fn ifname_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an interface name cannot be empty")
    } else if name.len() > 15 {
        Some("an interface name is at most 15 bytes (IFNAMSIZ - 1)")
    } else if name == "." || name == ".." {
        Some("`.` and `..` are not interface names")
    } else if name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace()) {
        Some("an interface name cannot contain `/`, `:` or whitespace")
    } else {
        None
    }
}

/// Parse a MAC address written `aa:bb:cc:dd:ee:ff` (or with `-`), any case.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let t = text.trim();
    let sep = if t.contains('-') { '-' } else { ':' };
    let mut out = [0u8; 6];
    let mut parts = t.split(sep);
    for byte in &mut out {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Define a value enum that mirrors a kernel enumeration, as netlink-packet-route does:
/// `Display` prints the kernel's name, `FromStr` accepts the name (ASCII case-insensitive) or the
/// kernel's number, and `From<repr>` keeps a number this table does not know as `Other` so a
/// value read back from a newer kernel round-trips. `FromStr` rejects unknown numbers: a
/// document may only ask for values netplug can name.
///
/// ```
/// netplug_plugin_sdk::kernel_enum! {
///     /// How a bond distributes frames.
///     pub enum Mode: u8 { RoundRobin = 0 => "balance-rr", ActiveBackup = 1 => "active-backup" }
/// }
/// assert_eq!("1".parse::<Mode>(), Ok(Mode::ActiveBackup));
/// assert_eq!(Mode::from(9).to_string(), "9");
/// ```
#[macro_export]
macro_rules! kernel_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident : $repr:ty {
        $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this table does not name, kept as the kernel's number.
            Other($repr),
        }

        impl $name {
            /// The kernel's names, in the kernel's order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// What the format accepts, for an [`AttrSpec`]($crate::schema::AttrSpec).
            pub const VALUES: $crate::schema::ValueKind =
                $crate::schema::ValueKind::Enum { names: Self::NAMES, valid: Self::is_valid };

            /// The kernel's number.
            pub fn value(self) -> $repr {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Other(v) => v,
                }
            }

            /// The kernel's name, unless this is an `Other` value.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => Some($text),)+
                    Self::Other(_) => None,
                }
            }

            /// True when `text` names a value or is the number of one.
            pub fn is_valid(text: &str) -> bool {
                text.parse::<Self>().is_ok()
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                match v {
                    $($value => Self::$variant,)+
                    other => Self::Other(other),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}", self.value()),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::schema::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                $(if s.eq_ignore_ascii_case($text) {
                    return Ok(Self::$variant);
                })+
                match s.parse::<$repr>().map(Self::from) {
                    Ok(Self::Other(_)) | Err(_) => Err($crate::schema::UnknownValue { expected: Self::NAMES }),
                    Ok(v) => Ok(v),
                }
            }
        }
    };
}

/// The error of a [`kernel_enum!`] type's `FromStr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "expected one of {}", self.expected.join(", "))
    }
}

impl std::error::Error for UnknownValue {}

#[cfg(test)]
mod spec_tests {
    use super::*;
    use crate::element::Span;

    crate::kernel_enum! {
        enum Policy: u8 { Layer2 = 0 => "layer2", Layer34 = 1 => "layer3+4" }
    }

    const SPECS: &[AttrSpec] = &[
        AttrSpec { name: "stp", help: "", kind: ValueKind::Bool, default: Some("no") },
        AttrSpec {
            name: "priority",
            help: "",
            kind: ValueKind::Uint { min: 0, max: 65535, unit: "" },
            default: None,
        },
        AttrSpec { name: "proto", help: "", kind: ValueKind::Words(&["802.1Q", "802.1ad"]), default: None },
        AttrSpec { name: "policy", help: "", kind: Policy::VALUES, default: None },
    ];

    fn attr(name: &str, value: &str) -> Attribute {
        let value_span = Span { file: 0, start: 10, end: 10 + value.len() as u32, line: 2, col: 5 };
        Attribute {
            name: name.into(),
            value: value.into(),
            span: Span { line: 2, col: 1, ..value_span },
            value_span,
        }
    }

    #[test]
    fn kernel_enums_take_names_and_numbers() {
        assert_eq!("LAYER3+4".parse::<Policy>(), Ok(Policy::Layer34));
        assert_eq!("0".parse::<Policy>(), Ok(Policy::Layer2));
        assert!("7".parse::<Policy>().is_err());
        assert_eq!(Policy::from(7).to_string(), "7");
        assert_eq!(Policy::Layer34.value(), 1);
    }

    #[test]
    fn specs_check_values_and_names() {
        let mut el = Element::new("bridge");
        el.attributes = vec![
            attr("stp", "maybe"),
            attr("priority", "70000"),
            attr("proto", "802.1q"),
            attr("policy", "layer3"),
            attr("mtuu", "1500"),
        ];
        let d = check_specs(&el, SPECS, ENVELOPE_ATTRIBUTES, "br0");
        let msgs: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "invalid stp `maybe`: expected yes or no",
                "invalid priority `70000`: must be between 0 and 65535",
                "invalid policy `layer3`: expected one of layer2, layer3+4",
                "unknown attribute `mtuu` on <bridge>",
            ]
        );
        assert_eq!(d[2].help.as_deref(), Some("did you mean `layer2`?"));
        assert_eq!(d[3].help.as_deref(), Some("did you mean `mtu`?"));
        assert_eq!(SPECS[2].get_word(&el), Some("802.1Q"));
        assert_eq!(SPECS[1].get_u32(&el), None);
    }

    #[test]
    fn sub_spans_point_into_lists() {
        let a = attr("arp_ip_target", "10.0.0.1,10.0.0.x");
        let s = sub_span(&a, 9..17);
        assert_eq!((s.line, s.col, s.start, s.end), (2, 14, 19, 27));
        let mut escaped = attr("x", "a&b,c");
        escaped.value_span.end += 4; // written as `a&amp;b,c`
        assert_eq!(sub_span(&escaped, 4..5), escaped.value_span);
    }

    #[test]
    fn names_and_macs() {
        assert!(ifname_problem("eth0").is_none());
        assert!(ifname_problem("a-very-long-name0").is_some());
        assert!(ifname_problem("eth0:1").is_some());
        assert_eq!(parse_mac("00:19:D2:9f:88:96"), Some([0, 0x19, 0xd2, 0x9f, 0x88, 0x96]));
        assert_eq!(parse_mac("00:19:d2:9f:88"), None);
    }
}
