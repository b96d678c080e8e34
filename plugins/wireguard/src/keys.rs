//! Keys: the base64 text of the format, key files and their permissions, the public key the
//! kernel derives, and what this process remembers to put a key back.
//!
//! A private or preshared key is read from a file only root can read (mode 0600 or stricter,
//! owned by root), as systemd-networkd's `PrivateKeyFile=` expects; netplug never takes one
//! inline. Items, plans, changes and errors name keys by something that is not secret: a private
//! key by its public key, a preshared key by a digest (`preshared-key-id`). To restore a key a
//! rollback needs (the snapshot names it only so), the plugin remembers, in this process's
//! memory only, every key it read from the kernel or from a file.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use netplug_plugin_sdk::netlink::wireguard::{PublicKey, SecretKey, WG_KEY_LEN};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// A key as the format writes it: 44 characters of standard base64 for 32 bytes.
pub fn parse_public(text: &str) -> Result<PublicKey, String> {
    decode(text.trim()).map(|b| PublicKey(*b))
}

pub fn format_public(key: &PublicKey) -> String {
    STANDARD.encode(key.0)
}

/// Decode a key; the message never quotes the text (it may be a secret).
fn decode(text: &str) -> Result<Zeroizing<[u8; WG_KEY_LEN]>, String> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text)
            .map_err(|_| "not a base64 key (expected 44 characters, as `wg genkey` writes)".to_string())?,
    );
    let mut key = Zeroizing::new([0u8; WG_KEY_LEN]);
    if bytes.len() != WG_KEY_LEN {
        return Err(format!("a key is {WG_KEY_LEN} bytes, this one is {}", bytes.len()));
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// The public key of a private key, as the kernel derives it (X25519 with the base point).
pub fn public_of(private: &SecretKey) -> PublicKey {
    let secret = x25519_dalek::StaticSecret::from(*private.bytes());
    PublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes())
}

/// The identifier of a preshared key that plans, `show` and snapshots carry instead of the key:
/// the first 16 base64 characters of a domain-separated SHA-256 (96 bits, enough to tell keys
/// apart, and no help in guessing a random 256-bit key).
pub fn preshared_id(key: &SecretKey) -> String {
    let mut hash = Sha256::new();
    hash.update(b"netplug wireguard preshared key\0");
    hash.update(key.bytes());
    STANDARD.encode(hash.finalize())[..16].to_string()
}

/// Read a key file: a regular file owned by root and readable by nobody else, holding one
/// base64 key (a trailing newline is fine). Errors name the file and the rule, never the content.
pub fn read_key_file(path: &Path) -> Result<SecretKey, String> {
    if !path.is_absolute() {
        return Err(format!("{}: a key file must be named by an absolute path", path.display()));
    }
    let mut file = File::open(path).map_err(|e| format!("{}: {}", path.display(), io_text(&e)))?;
    let meta = file.metadata().map_err(|e| format!("{}: {}", path.display(), io_text(&e)))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{}: mode {mode:04o} lets others read the key; it must be 0600 or stricter (chmod 600 {})",
            path.display(),
            path.display()
        ));
    }
    if meta.uid() != 0 {
        return Err(format!(
            "{}: owned by uid {}; a key file must be owned by root (chown root: {})",
            path.display(),
            meta.uid(),
            path.display()
        ));
    }
    // A key is 44 characters; read a little more to tell a longer file from a key.
    let mut text = Zeroizing::new(Vec::with_capacity(128));
    file.by_ref()
        .take(128)
        .read_to_end(&mut text)
        .map_err(|e| format!("{}: {}", path.display(), io_text(&e)))?;
    let text = std::str::from_utf8(&text).map_err(|_| format!("{}: not a base64 key", path.display()))?;
    let key = decode(text.trim()).map_err(|m| format!("{}: {m}", path.display()))?;
    Ok(SecretKey::new(*key))
}

fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(n) => text.replace(&format!(" (os error {n})"), ""),
        None => text,
    }
}

/// Keys this process has seen, to restore the one a snapshot names: private keys by their
/// public key, preshared keys by their identifier. Memory only; wiped as entries are dropped.
#[derive(Default)]
struct Remembered {
    private: HashMap<PublicKey, SecretKey>,
    preshared: HashMap<String, SecretKey>,
}

static REMEMBERED: Mutex<Option<Remembered>> = Mutex::new(None);

fn with_memory<T>(f: impl FnOnce(&mut Remembered) -> T) -> T {
    let mut guard = REMEMBERED.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(Remembered::default))
}

/// Remember a private key; returns its public key.
pub fn remember_private(key: &SecretKey) -> PublicKey {
    let public = public_of(key);
    with_memory(|m| m.private.insert(public, key.clone()));
    public
}

/// Remember a preshared key; returns its identifier.
pub fn remember_preshared(key: &SecretKey) -> String {
    let id = preshared_id(key);
    with_memory(|m| m.preshared.insert(id.clone(), key.clone()));
    id
}

pub fn remembered_private(public: &PublicKey) -> Option<SecretKey> {
    with_memory(|m| m.private.get(public).cloned())
}

pub fn remembered_preshared(id: &str) -> Option<SecretKey> {
    with_memory(|m| m.preshared.get(id).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::{is_root, key_file, ALICE_PRIVATE, ALICE_PUBLIC};

    #[test]
    fn public_key_is_derived_as_x25519() {
        let private = SecretKey::new(*decode(ALICE_PRIVATE).unwrap());
        assert_eq!(format_public(&public_of(&private)), ALICE_PUBLIC);
    }

    #[test]
    fn keys_are_44_base64_characters_of_32_bytes() {
        assert!(parse_public(ALICE_PUBLIC).is_ok());
        assert!(parse_public("aGVsbG8=").unwrap_err().contains("32 bytes, this one is 5"));
        let e = parse_public("not base64!").unwrap_err();
        assert!(e.contains("not a base64 key") && !e.contains("not base64!"), "{e}");
    }

    #[test]
    fn key_files_must_be_root_only_and_errors_never_quote_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_file(dir.path(), "wg.key", &format!("{ALICE_PRIVATE}\n"), 0o600);
        if is_root() {
            let key = read_key_file(&path).unwrap();
            assert_eq!(format_public(&public_of(&key)), ALICE_PUBLIC);
            let e = read_key_file(&key_file(dir.path(), "wg.key", ALICE_PRIVATE, 0o640)).unwrap_err();
            assert!(e.contains("mode 0640") && e.contains("0600"), "{e}");
            // A damaged key: the message says what is wrong, not what is there.
            let damaged = &ALICE_PRIVATE[..40];
            let e = read_key_file(&key_file(dir.path(), "wg.key", damaged, 0o400)).unwrap_err();
            assert!(!e.contains(damaged), "{e}");
        }
        let e = read_key_file(Path::new("relative.key")).unwrap_err();
        assert!(e.contains("absolute path"), "{e}");
        let e = read_key_file(&dir.path().join("missing")).unwrap_err();
        assert!(e.contains("No such file"), "{e}");
    }

    #[test]
    fn preshared_ids_tell_keys_apart_and_memory_restores_them() {
        let a = SecretKey::new([1; WG_KEY_LEN]);
        let b = SecretKey::new([2; WG_KEY_LEN]);
        assert_ne!(preshared_id(&a), preshared_id(&b));
        assert_eq!(preshared_id(&a).len(), 16);
        let id = remember_preshared(&a);
        assert_eq!(remembered_preshared(&id), Some(a.clone()));
        let public = remember_private(&b);
        assert_eq!(remembered_private(&public), Some(b));
    }
}
