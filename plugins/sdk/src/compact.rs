//! The compact wire form of the bulky values: item lists, plans and validations.
//!
//! JSON stays the wire's common language (plugins and hosts built before this speak nothing
//! else), but with 10,000 `<route>`s decoding the desired items from JSON was a tenth of an
//! apply, and most of the bytes were field names and an envelope repeated on every item.
//! Between a host and a plugin that both announce [`VERSION`] (in
//! [`WireFeatures::compact`](crate::ffi::WireFeatures::compact)) those values travel in this
//! form instead: numbers and lengths as varints, strings as they are, no names, and an
//! envelope equal to the previous item's written as one byte.
//!
//! Every byte the writer produces is ASCII or part of a UTF-8 string it copies, so a buffer is
//! valid UTF-8 and crosses in the same `RStr`/`RString` as JSON does; its first byte, [`MAGIC`],
//! can never start JSON, which is how a reader tells the two apart. The layout has no room
//! for fields added later: adding a field to a type written here means bumping [`VERSION`],
//! and a host and plugin of different versions fall back to JSON.

use crate::diagnostic::{Diagnostic, Severity};
use crate::element::{Attribute, Element, Span};
use crate::plugin::{
    Change, Dependency, Envelope, Item, LinkState, Nexthop, Phase, Relation, Subnet, Validation,
};

/// The version of this layout a plugin announces; 0 means "JSON only".
pub const VERSION: u32 = 1;

/// The first character of every compact buffer (JSON starts with `{`, `[`, `"` or a letter).
pub const MAGIC: char = '\u{1}';

/// What a compact buffer holds, its second character.
const VALIDATE_REQUEST: char = 'V';
const ITEMS: char = 'I';
const CHANGES: char = 'C';
const VALIDATION: char = 'D';

/// An unreadable compact buffer: truncated, a number out of range, the wrong kind of value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unreadable compact wire form: {0}")]
pub struct Error(&'static str);

impl Error {
    /// A compact buffer where only JSON was asked for.
    pub const UNEXPECTED: Error = Error("not asked for");
}

/// Whether `text` is in the compact form rather than JSON.
pub fn is_compact(text: &str) -> bool {
    text.starts_with(MAGIC)
}

/// A validate request: the items, and the id to keep them under.
pub fn validate_request(items: &[Item], keep_as: Option<u64>) -> String {
    let mut w = Writer::new(VALIDATE_REQUEST);
    w.opt_uint(keep_as);
    w.items(items);
    w.out
}

/// The items and `keep_as` of a validate request.
pub fn read_validate_request(text: &str) -> Result<(Vec<Item>, Option<u64>), Error> {
    let mut r = Reader::new(text, VALIDATE_REQUEST)?;
    let keep_as = r.opt_uint()?;
    let items = r.items()?;
    r.end()?;
    Ok((items, keep_as))
}

/// A list of items (a read's answer).
pub fn items(items: &[Item]) -> String {
    let mut w = Writer::new(ITEMS);
    w.items(items);
    w.out
}

pub fn read_items(text: &str) -> Result<Vec<Item>, Error> {
    let mut r = Reader::new(text, ITEMS)?;
    let items = r.items()?;
    r.end()?;
    Ok(items)
}

/// A list of changes (a plan's answer).
pub fn changes(changes: &[Change]) -> String {
    let mut w = Writer::new(CHANGES);
    w.uint(changes.len() as u64);
    for c in changes {
        w.str(&c.interface);
        w.choice(&PHASES, &c.phase);
        w.str(&c.description);
        w.str(&c.payload);
    }
    w.out
}

pub fn read_changes(text: &str) -> Result<Vec<Change>, Error> {
    let mut r = Reader::new(text, CHANGES)?;
    let out = r.list(|r| {
        Ok(Change {
            interface: r.string()?,
            phase: r.pick(&PHASES)?,
            description: r.string()?,
            payload: r.string()?,
        })
    })?;
    r.end()?;
    Ok(out)
}

/// A validate answer.
pub fn validation(v: &Validation) -> String {
    let mut w = Writer::new(VALIDATION);
    w.uint(v.diagnostics.len() as u64);
    for d in &v.diagnostics {
        w.choice(&SEVERITIES, &d.severity);
        w.span(&d.span);
        w.str(&d.message);
        w.opt_str(d.interface.as_deref());
        w.opt_str(d.attribute.as_deref());
        w.opt_str(d.help.as_deref());
    }
    w.uint(v.dependencies.len() as u64);
    for d in &v.dependencies {
        w.str(&d.from);
        w.str(&d.to);
        w.choice(&RELATIONS, &d.relation);
        w.span(&d.span);
    }
    w.uint(v.subnets.len() as u64);
    for s in &v.subnets {
        w.str(&s.interface);
        w.opt_str(s.prefix.as_deref());
    }
    w.uint(v.nexthops.len() as u64);
    for h in &v.nexthops {
        w.str(&h.interface);
        w.str(&h.address);
        w.span(&h.span);
    }
    w.out
}

pub fn read_validation(text: &str) -> Result<Validation, Error> {
    let mut r = Reader::new(text, VALIDATION)?;
    let v = Validation {
        diagnostics: r.list(|r| {
            Ok(Diagnostic {
                severity: r.pick(&SEVERITIES)?,
                span: r.span()?,
                message: r.string()?,
                interface: r.opt_string()?,
                attribute: r.opt_string()?,
                help: r.opt_string()?,
            })
        })?,
        dependencies: r.list(|r| {
            Ok(Dependency {
                from: r.string()?,
                to: r.string()?,
                relation: r.pick(&RELATIONS)?,
                span: r.span()?,
            })
        })?,
        subnets: r.list(|r| Ok(Subnet { interface: r.string()?, prefix: r.opt_string()? }))?,
        nexthops: r
            .list(|r| Ok(Nexthop { interface: r.string()?, address: r.string()?, span: r.span()? }))?,
    };
    r.end()?;
    Ok(v)
}

/// The content of `items` without their spans, as bytes to hash: equal exactly when the items
/// are equal but for positions (how the host recognises a list a plugin kept).
pub fn content_of(items: &[Item]) -> String {
    let mut w = Writer::new(ITEMS);
    w.spans = false;
    w.items(items);
    w.out
}

const PHASES: [Phase; 13] = [
    Phase::StopDynamic,
    Phase::RemoveRoute,
    Phase::RemoveAddress,
    Phase::Down,
    Phase::Release,
    Phase::Delete,
    Phase::Create,
    Phase::Configure,
    Phase::Enslave,
    Phase::Up,
    Phase::Address,
    Phase::Route,
    Phase::Dynamic,
];
const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Note];
const RELATIONS: [Relation; 3] = [Relation::Member, Relation::Parent, Relation::Requires];
const STATES: [LinkState; 3] = [LinkState::Up, LinkState::Down, LinkState::Absent];

/// Envelope markers: none, a new one follows, the same as the previous item's.
const NO_ENVELOPE: u64 = 0;
const NEW_ENVELOPE: u64 = 1;
const SAME_ENVELOPE: u64 = 2;

/// Builds a buffer. Numbers are varints of six bits a byte, `0x40` meaning "more follows",
/// so every byte is below `0x80`: ASCII.
struct Writer<'a> {
    out: String,
    /// False for [`content_of`]: spans are left out.
    spans: bool,
    last_envelope: Option<&'a Envelope>,
}

impl<'a> Writer<'a> {
    fn new(kind: char) -> Self {
        let mut out = String::with_capacity(4096);
        out.push(MAGIC);
        out.push(kind);
        Writer { out, spans: true, last_envelope: None }
    }

    fn uint(&mut self, mut v: u64) {
        loop {
            let low = (v & 0x3f) as u8;
            v >>= 6;
            if v == 0 {
                self.out.push(char::from(low));
                return;
            }
            self.out.push(char::from(low | 0x40));
        }
    }

    fn opt_uint(&mut self, v: Option<u64>) {
        match v {
            None => self.uint(0),
            Some(v) => {
                self.uint(1);
                self.uint(v);
            }
        }
    }

    fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.out.push_str(s);
    }

    /// `None` is length 0, `Some(s)` is `s.len() + 1`.
    /// An enumeration value as its position in `values` (what [`Reader::pick`] reads back).
    fn choice<T: PartialEq>(&mut self, values: &[T], value: &T) {
        self.uint(values.iter().position(|v| v == value).unwrap_or(0) as u64);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.uint(0),
            Some(s) => {
                self.uint(s.len() as u64 + 1);
                self.out.push_str(s);
            }
        }
    }

    /// A span as its line, then (for a known one) the rest.
    fn span(&mut self, s: &Span) {
        if !self.spans || !s.is_known() {
            self.uint(0);
            return;
        }
        for v in [s.line, s.file, s.start, s.end, s.col] {
            self.uint(u64::from(v));
        }
    }

    fn element(&mut self, e: &Element) {
        self.str(&e.name);
        self.uint(e.attributes.len() as u64);
        for a in &e.attributes {
            self.str(&a.name);
            self.str(&a.value);
            self.span(&a.span);
            self.span(&a.value_span);
        }
        self.uint(e.children.len() as u64);
        for c in &e.children {
            self.element(c);
        }
        self.opt_str(e.text.as_deref());
        self.span(&e.span);
    }

    fn envelope(&mut self, e: Option<&'a Envelope>) {
        let Some(e) = e else { return self.uint(NO_ENVELOPE) };
        if self.last_envelope == Some(e) {
            return self.uint(SAME_ENVELOPE);
        }
        self.last_envelope = Some(e);
        self.uint(NEW_ENVELOPE);
        self.str(&e.name);
        self.str(&e.kind);
        self.str(&e.start_mode);
        self.choice(&STATES, &e.state);
        self.opt_str(e.mac.as_deref());
        self.opt_uint(e.mtu.map(u64::from));
        self.opt_str(e.master.as_deref());
        self.opt_str(e.parent.as_deref());
        self.opt_uint(e.ifindex.map(u64::from));
    }

    fn items(&mut self, items: &'a [Item]) {
        self.uint(items.len() as u64);
        for item in items {
            self.str(&item.interface);
            self.str(&item.kind);
            self.envelope(item.envelope.as_ref());
            self.element(&item.element);
        }
    }
}

/// Reads a buffer the [`Writer`] built, checking every length against what is left.
struct Reader<'a> {
    text: &'a str,
    at: usize,
    last_envelope: Option<Envelope>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, kind: char) -> Result<Self, Error> {
        let mut chars = text.chars();
        if chars.next() != Some(MAGIC) {
            return Err(Error("not a compact buffer"));
        }
        if chars.next() != Some(kind) {
            return Err(Error("another kind of value than expected"));
        }
        Ok(Reader { text, at: MAGIC.len_utf8() + kind.len_utf8(), last_envelope: None })
    }

    fn end(&self) -> Result<(), Error> {
        if self.at == self.text.len() {
            Ok(())
        } else {
            Err(Error("bytes left over"))
        }
    }

    fn uint(&mut self) -> Result<u64, Error> {
        let bytes = self.text.as_bytes();
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let &b = bytes.get(self.at).ok_or(Error("truncated"))?;
            self.at += 1;
            if shift > 60 || b >= 0x80 {
                return Err(Error("bad number"));
            }
            v |= u64::from(b & 0x3f) << shift;
            if b & 0x40 == 0 {
                return Ok(v);
            }
            shift += 6;
        }
    }

    fn u32(&mut self) -> Result<u32, Error> {
        u32::try_from(self.uint()?).map_err(|_| Error("number out of range"))
    }

    /// A length or count. None can exceed the bytes left (every entry takes at least one),
    /// which keeps a corrupt one from reserving gigabytes.
    fn len(&mut self) -> Result<usize, Error> {
        let n = usize::try_from(self.uint()?).map_err(|_| Error("length out of range"))?;
        if n > self.text.len() - self.at {
            return Err(Error("length beyond the end"));
        }
        Ok(n)
    }

    fn opt_uint(&mut self) -> Result<Option<u64>, Error> {
        match self.uint()? {
            0 => Ok(None),
            1 => self.uint().map(Some),
            _ => Err(Error("bad option marker")),
        }
    }

    fn opt_u32(&mut self) -> Result<Option<u32>, Error> {
        self.opt_uint()?.map(|v| u32::try_from(v).map_err(|_| Error("number out of range"))).transpose()
    }

    /// A count, then that many values read by `one`.
    fn list<T>(&mut self, mut one: impl FnMut(&mut Self) -> Result<T, Error>) -> Result<Vec<T>, Error> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(one(self)?);
        }
        Ok(out)
    }

    fn take(&mut self, n: usize) -> Result<&'a str, Error> {
        let s = self.text.get(self.at..self.at + n).ok_or(Error("string cut short"))?;
        self.at += n;
        Ok(s)
    }

    fn string(&mut self) -> Result<String, Error> {
        let n = self.len()?;
        self.take(n).map(str::to_string)
    }

    fn opt_string(&mut self) -> Result<Option<String>, Error> {
        match self.len()? {
            0 => Ok(None),
            n => self.take(n - 1).map(|s| Some(s.to_string())),
        }
    }

    fn pick<T: Copy>(&mut self, values: &[T]) -> Result<T, Error> {
        let i = self.uint()?;
        usize::try_from(i).ok().and_then(|i| values.get(i)).copied().ok_or(Error("unknown enumeration value"))
    }

    fn span(&mut self) -> Result<Span, Error> {
        let line = self.u32()?;
        if line == 0 {
            return Ok(Span::default());
        }
        Ok(Span { line, file: self.u32()?, start: self.u32()?, end: self.u32()?, col: self.u32()? })
    }

    fn element(&mut self, depth: usize) -> Result<Element, Error> {
        if depth > 64 {
            return Err(Error("elements nested too deep"));
        }
        Ok(Element {
            name: self.string()?,
            attributes: self.list(|r| {
                Ok(Attribute {
                    name: r.string()?,
                    value: r.string()?,
                    span: r.span()?,
                    value_span: r.span()?,
                })
            })?,
            children: self.list(|r| r.element(depth + 1))?,
            text: self.opt_string()?,
            span: self.span()?,
        })
    }

    fn envelope(&mut self) -> Result<Option<Envelope>, Error> {
        match self.uint()? {
            NO_ENVELOPE => Ok(None),
            SAME_ENVELOPE => self.last_envelope.clone().map(Some).ok_or(Error("no envelope to repeat")),
            NEW_ENVELOPE => {
                let e = Envelope {
                    name: self.string()?,
                    kind: self.string()?,
                    start_mode: self.string()?,
                    state: self.pick(&STATES)?,
                    mac: self.opt_string()?,
                    mtu: self.opt_u32()?,
                    master: self.opt_string()?,
                    parent: self.opt_string()?,
                    ifindex: self.opt_u32()?,
                };
                self.last_envelope = Some(e.clone());
                Ok(Some(e))
            }
            _ => Err(Error("bad envelope marker")),
        }
    }

    fn items(&mut self) -> Result<Vec<Item>, Error> {
        self.list(|r| {
            Ok(Item {
                interface: r.string()?,
                kind: r.string()?,
                envelope: r.envelope()?,
                element: r.element(0)?,
            })
        })
    }
}

#[cfg(test)]
mod tests;
