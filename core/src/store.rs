//! The configuration store: defined interfaces, one native-dialect file per interface in the
//! config directory (`/etc/netplug` by default), as netcf kept one ifcfg file per interface.
//!
//! One file per interface keeps a definition's history readable (`git diff /etc/netplug`) and
//! makes define and undefine touch exactly one file. Every write is atomic — a temporary file
//! in the same directory, fsync, rename, fsync of the directory — so a crash leaves either the
//! old definition or the new one, never half of either. Callers hold the [`crate::lock`] while
//! they change the store.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::dialect::native;
use crate::load::{self, Loaded};
use crate::model::Interface;
use crate::registry::Registry;
use crate::xml;

/// The suffix of definition files.
pub const SUFFIX: &str = ".xml";

/// A store of interface definitions in one directory.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}: no such defined interface")]
    NotDefined(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.display().to_string(), source }
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding `name`'s definition.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{SUFFIX}"))
    }

    /// The files of every definition, sorted by name (a missing directory is an empty store).
    pub fn files(&self) -> Result<Vec<PathBuf>, StoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.dir)(e)),
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(SUFFIX) && !n.starts_with('.'))
            })
            .collect();
        files.sort();
        Ok(files)
    }

    /// Load every definition (with positions, so a hand-edited file's errors point into it).
    /// The store holds native documents only (`define` converts); `registry` says what kind
    /// `<interface device=..>` is (its plugin of physical devices).
    pub fn load(&self, registry: &Registry) -> Result<Loaded, StoreError> {
        Ok(load::load_files(&self.files()?, registry))
    }

    /// Whether `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.path_of(name).is_file()
    }

    /// The stored text of `name`'s definition.
    pub fn read(&self, name: &str) -> Result<String, StoreError> {
        let path = self.path_of(name);
        fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotDefined(name.to_string()),
            _ => io(&path)(e),
        })
    }

    /// Store `interface` (replacing an earlier definition of the same name).
    pub fn define(&self, interface: &Interface) -> Result<PathBuf, StoreError> {
        let text = xml::write(&native::write_interface(interface));
        let path = self.path_of(&interface.name);
        self.write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Remove `name`'s definition.
    pub fn undefine(&self, name: &str) -> Result<(), StoreError> {
        let path = self.path_of(name);
        fs::remove_file(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotDefined(name.to_string()),
            _ => io(&path)(e),
        })?;
        sync_dir(&self.dir)
    }

    /// Write `bytes` to `path` so that a crash leaves the old file or the new one.
    pub fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        write_atomic(path, bytes)
    }
}

/// Write a file atomically: temp file beside it, fsync, rename over, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_file(path, bytes, 0o644, true)
}

/// Write a file atomically with `mode`, through a temporary file in the same directory that
/// nobody else can have prepared: an unpredictable name, created with `O_EXCL` (a symlink or
/// file planted there is never followed or reused), renamed over `path`, which replaces a
/// symlink at `path` rather than writing through it. `durable` adds the fsyncs that make it
/// survive a power cut.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<(), StoreError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(io(path))?;
    tmp.write_all(bytes).map_err(io(path))?;
    if durable {
        tmp.as_file().sync_all().map_err(io(path))?;
    }
    tmp.persist(path).map_err(|e| io(path)(e.error))?;
    if durable {
        sync_dir(dir)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interface(xml: &str) -> Interface {
        let loaded = load::load_str("t.xml", xml, &mut Default::default(), &crate::registry::Registry::new());
        loaded.0.into_iter().next().expect("one interface")
    }

    #[test]
    fn define_replace_list_undefine() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("netplug"));
        assert!(store.files().unwrap().is_empty(), "a missing directory is an empty store");
        store.define(&interface(r#"<bridge name="br0" stp="off"/>"#)).unwrap();
        store.define(&interface(r#"<interface device="eth0" mtu="9000"/>"#)).unwrap();
        store.define(&interface(r#"<bridge name="br0" stp="on"/>"#)).unwrap();
        let names: Vec<_> =
            store.files().unwrap().iter().map(|p| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, ["br0.xml", "eth0.xml"]);
        assert!(store.read("br0").unwrap().contains(r#"stp="on""#));
        let loaded = store.load(&crate::registry::Registry::new()).unwrap();
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        assert_eq!(loaded.config.interfaces.len(), 2);
        store.undefine("br0").unwrap();
        assert!(matches!(store.undefine("br0"), Err(StoreError::NotDefined(_))));
        assert!(!store.contains("br0"));
        let leftovers: Vec<_> = fs::read_dir(store.dir()).unwrap().filter_map(Result::ok).collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }
}
