//! A plugin's `tracing` events reach the host's subscriber, with the target
//! `netplug::plugin::<name>`, filtered by the host's level, and their fields as fields (ABI
//! 1.1), which is what journald turns into `NETPLUG_<NAME>=`. Without forwarding they would go
//! to the plugin's own copy of `tracing`, which has no subscriber.

mod plugins_support;

use std::sync::{Arc, Mutex};

use netplug_plugin_sdk::{Element, Item};
use plugins_support::{load, plugin_dir};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One event: level, target, message, other fields as (name, value).
type Captured = (Level, String, String, Vec<(String, String)>);

/// Records every event.
#[derive(Default)]
struct Capture {
    events: Mutex<Vec<Captured>>,
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        #[derive(Default)]
        struct Fields(String, Vec<(String, String)>);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                } else {
                    self.1.push((field.name().to_string(), format!("{value:?}")));
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let m = event.metadata();
        self.events.lock().unwrap().push((*m.level(), m.target().to_string(), fields.0, fields.1));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn plugin_events_reach_the_host_subscriber() {
    let capture = Arc::new(Capture::default());
    let dir = plugin_dir(&["hello", "hello2"]);
    // The host's subscriber is in place before plugins load: they learn the level at `init`.
    tracing::subscriber::with_default(capture.clone(), || {
        let (registry, _) = load(&[dir.path()]);
        for name in ["hello", "hello2"] {
            let item = Item {
                interface: "x0".into(),
                kind: name.into(),
                envelope: None,
                element: Element::new(name),
            };
            registry.for_kind(name).unwrap().plugin.validate(&[item]);
        }
    });
    let events = capture.events.lock().unwrap();
    let from_plugins: Vec<_> =
        events.iter().filter(|(_, t, _, _)| t.starts_with("netplug::plugin::")).collect();
    let items = vec![("items".to_string(), "1".to_string())];
    assert_eq!(
        from_plugins,
        [
            &(
                Level::INFO,
                "netplug::plugin::hello".to_string(),
                "hello validating".to_string(),
                items.clone()
            ),
            &(Level::INFO, "netplug::plugin::hello2".to_string(), "hello2 validating".to_string(), items),
        ],
        "trace events are dropped in the plugin, since the host wants info and above: {events:#?}"
    );
}

/// Under systemd (stderr is the journal), a plugin's fields are journal fields of their own:
/// `netplug -v validate` with the `hello` fixture, whose validate logs `items = N`, talks to a
/// journal socket this test listens on, in a mount namespace of netplug's own (`unshare`, so
/// the machine's /run is never touched).
#[test]
fn plugin_fields_reach_the_journal_as_netplug_fields() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::UnixDatagram;

    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("socket");
    let journal = UnixDatagram::bind(&socket).unwrap();
    journal.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let plugins = plugin_dir(&["hello"]);
    let doc = dir.path().join("hello.xml");
    std::fs::write(&doc, "<hello name=\"x0\"/>\n").unwrap();
    let stderr = std::fs::File::create(dir.path().join("stderr")).unwrap();
    let meta = stderr.metadata().unwrap();
    // A private /run inside the namespace, where the journal's socket is this test's.
    let script = format!(
        "mount -t tmpfs none /run && mkdir -p /run/systemd/journal && ln -s {} /run/systemd/journal/socket && exec \"$@\"",
        socket.display()
    );
    let status = std::process::Command::new("unshare")
        .args(["--mount", "sh", "-c", &script, "sh"])
        .arg(netplug_tests::netplug())
        .arg("--plugin-dir")
        .arg(plugins.path())
        .args(["-v", "validate"])
        .arg(&doc)
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .env("NETPLUG_RUN_DIR", dir.path().join("run"))
        .env_remove("NETPLUG_PLUGIN_PATH")
        .stderr(stderr)
        .status()
        .expect("unshare (util-linux)");
    let said = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
    assert!(status.code().is_some(), "{said}");
    let mut entries = Vec::new();
    let mut buf = vec![0u8; 65536];
    let found = loop {
        let Ok(n) = journal.recv(&mut buf) else { break None };
        let entry = journal_fields(&buf[..n]);
        if entry.iter().any(|(k, v)| k == "MESSAGE" && v.starts_with("hello validating")) {
            break Some(entry);
        }
        entries.push(entry);
    };
    let entry =
        found.unwrap_or_else(|| panic!("no journal entry from the plugin: {entries:#?}\nstderr: {said}"));
    let field = |name: &str| entry.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(field("NETPLUG_ITEMS"), Some("1"), "{entry:?}");
    assert_eq!(field("MESSAGE"), Some("hello validating"), "the fields are not in the message: {entry:?}");
    assert_eq!(field("TARGET"), Some("netplug::plugin::hello"), "{entry:?}");
    assert_eq!(field("PRIORITY"), Some("5"), "info: {entry:?}");
}

/// The fields of one datagram of journald's native protocol: `NAME=value\n`, or `NAME\n`, the
/// value's length (64-bit little-endian), the value and `\n`.
fn journal_fields(mut bytes: &[u8]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'=') {
        let name = String::from_utf8_lossy(&bytes[..end]).into_owned();
        if bytes[end] == b'=' {
            let line = bytes[end + 1..].iter().position(|&b| b == b'\n').unwrap_or(bytes.len() - end - 1);
            fields.push((name, String::from_utf8_lossy(&bytes[end + 1..end + 1 + line]).into_owned()));
            bytes = &bytes[(end + 2 + line).min(bytes.len())..];
        } else {
            let len = u64::from_le_bytes(bytes[end + 1..end + 9].try_into().unwrap()) as usize;
            let value = &bytes[end + 9..end + 9 + len];
            fields.push((name, String::from_utf8_lossy(value).into_owned()));
            bytes = &bytes[(end + 10 + len).min(bytes.len())..];
        }
    }
    fields
}
