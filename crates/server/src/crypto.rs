//! Secrets at rest and random tokens.
//!
//! [`CredentialBox`] encrypts stream credentials with AES-256-GCM (random 96-bit nonce
//! per value, stored as base64 `nonce || ciphertext || tag`). [`load_or_create_secrets`]
//! gives a fresh install working keys without configuration: generated once, written to
//! `DATA_DIR/secrets.toml` with mode 0600, reused on every start.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

pub struct CredentialBox {
    cipher: Aes256Gcm,
    /// Keys of a rotation in progress: they open values, never seal them.
    previous: Vec<Aes256Gcm>,
}

impl std::fmt::Debug for CredentialBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialBox(***)")
    }
}

/// An AES-256 key from base64 of exactly 32 bytes; errors name `field`.
fn cipher(key_b64: &str, field: &str) -> Result<Aes256Gcm, String> {
    let key = STANDARD
        .decode(key_b64.trim())
        .map_err(|_| format!("{field} is not base64"))?;
    if key.len() != 32 {
        return Err(format!("{field} must be 32 bytes, got {}", key.len()));
    }
    Aes256Gcm::new_from_slice(&key).map_err(|e| e.to_string())
}

/// The box of `cameras.credentials_key` that also opens `cameras.previous_credentials_keys`.
pub fn credentials_box(cameras: &crate::config::CamerasConfig) -> Result<CredentialBox, String> {
    let current = cameras
        .credentials_key
        .as_ref()
        .map(crate::config::Secret::expose)
        .unwrap_or("");
    CredentialBox::new(current)?.with_previous(
        cameras
            .previous_credentials_keys
            .iter()
            .map(crate::config::Secret::expose),
    )
}

/// A new random credentials key (base64 of 32 bytes).
pub fn generate_key() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    STANDARD.encode(key)
}

impl CredentialBox {
    /// `key_b64`: base64 of exactly 32 bytes.
    pub fn new(key_b64: &str) -> Result<CredentialBox, String> {
        Ok(CredentialBox {
            cipher: cipher(key_b64, "cameras.credentials_key")?,
            previous: Vec::new(),
        })
    }

    /// Also opens values sealed with `keys` (the keys a rotation replaces).
    pub fn with_previous<'a>(
        mut self,
        keys: impl IntoIterator<Item = &'a str>,
    ) -> Result<CredentialBox, String> {
        for key in keys {
            self.previous
                .push(cipher(key, "cameras.previous_credentials_keys")?);
        }
        Ok(self)
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// Decrypts a value from [`CredentialBox::seal`]; fails on a wrong key or tampering.
    pub fn open(&self, sealed_b64: &str) -> Result<String, String> {
        let raw = STANDARD
            .decode(sealed_b64)
            .map_err(|_| "sealed value is not base64".to_string())?;
        if raw.len() < 12 + 16 {
            return Err("sealed value too short".into());
        }
        let (nonce, body) = raw.split_at(12);
        let plain = std::iter::once(&self.cipher)
            .chain(&self.previous)
            .find_map(|cipher| cipher.decrypt(Nonce::from_slice(nonce), body).ok())
            .ok_or_else(|| "credentials cannot be decrypted with the configured key".to_string())?;
        String::from_utf8(plain).map_err(|_| "decrypted credentials are not UTF-8".into())
    }
}

/// `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 hex: how tokens and API keys are stored. They carry 256 random bits, so a
/// fast hash is enough (no dictionary to attack, unlike passwords).
/// Whether two secrets are equal, in time that does not depend on where they differ
/// (both are hashed first, so their lengths do not show either).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::Digest;
    let (a, b) = (sha2::Sha256::digest(a), sha2::Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Keys generated for an install that configured none.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GeneratedSecrets {
    pub jwt_key_id: String,
    pub jwt_secret: String,
    pub credentials_key: String,
    /// Credential keys a rotation in progress replaces (`footfall keys rotate`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_credentials_keys: Vec<String>,
}

impl GeneratedSecrets {
    /// Makes these the credential keys of `cameras` (for an install whose configuration
    /// sets none): the current key seals, the previous ones still open.
    pub fn credentials_into(&self, cameras: &mut crate::config::CamerasConfig) {
        cameras.credentials_key = Some(crate::config::Secret::new(self.credentials_key.clone()));
        (cameras.previous_credentials_keys).extend(
            self.previous_credentials_keys
                .iter()
                .cloned()
                .map(crate::config::Secret::new),
        );
    }
}

/// `DATA_DIR/secrets.toml`, or `None` when there is none yet.
pub fn read_secrets(data_dir: &Path) -> Result<Option<GeneratedSecrets>, String> {
    let path = data_dir.join("secrets.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

pub fn load_or_create_secrets(data_dir: &Path) -> Result<GeneratedSecrets, String> {
    if let Some(secrets) = read_secrets(data_dir)? {
        return Ok(secrets);
    }
    let path = data_dir.join("secrets.toml");
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let secrets = GeneratedSecrets {
        jwt_key_id: format!("k{}", chrono::Utc::now().format("%Y%m%d")),
        jwt_secret: random_token(48),
        credentials_key: generate_key(),
        previous_credentials_keys: Vec::new(),
    };
    let text = toml::to_string(&secrets).map_err(|e| e.to_string())?;
    write_private(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated signing and encryption keys");
    Ok(secrets)
}

/// Replaces `DATA_DIR/secrets.toml` atomically (a new file renamed over it), so a crash
/// leaves the old keys or the new ones, never a torn file.
pub fn replace_secrets(data_dir: &Path, secrets: &GeneratedSecrets) -> Result<(), String> {
    let path = data_dir.join("secrets.toml");
    let staged = data_dir.join("secrets.toml.new");
    let text = toml::to_string(secrets).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&staged);
    write_private(&staged, text.as_bytes()).map_err(|e| format!("{}: {e}", staged.display()))?;
    std::fs::rename(&staged, &path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a new file (never over one) readable by its owner only, synced to disk: how
/// every secrets file is written.
pub fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_keys_open_but_never_seal() {
        let (old, new) = (generate_key(), generate_key());
        let sealed_before = CredentialBox::new(&old).unwrap().seal("rtsp://a:b@cam/1");
        let rotating = CredentialBox::new(&new)
            .unwrap()
            .with_previous([old.as_str()])
            .unwrap();
        assert_eq!(rotating.open(&sealed_before).unwrap(), "rtsp://a:b@cam/1");
        let sealed_now = rotating.seal("rtsp://a:b@cam/1");
        assert!(CredentialBox::new(&old).unwrap().open(&sealed_now).is_err());
        assert!(CredentialBox::new(&new).unwrap().open(&sealed_now).is_ok());
        let err = CredentialBox::new(&new)
            .unwrap()
            .with_previous(["not base64!"])
            .unwrap_err();
        assert!(err.contains("cameras.previous_credentials_keys"), "{err}");
    }

    #[test]
    fn seal_and_open_round_trip_and_detect_tampering() {
        let key = STANDARD.encode([7u8; 32]);
        let b = CredentialBox::new(&key).unwrap();
        let sealed = b.seal("admin:s3cret");
        assert!(!sealed.contains("s3cret"));
        assert_ne!(sealed, b.seal("admin:s3cret"), "fresh nonce per value");
        assert_eq!(b.open(&sealed).unwrap(), "admin:s3cret");
        let mut raw = STANDARD.decode(&sealed).unwrap();
        *raw.last_mut().unwrap() ^= 1;
        assert!(b.open(&STANDARD.encode(raw)).is_err());
        let other = CredentialBox::new(&STANDARD.encode([8u8; 32])).unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(
            CredentialBox::new("c2hvcnQ=")
                .unwrap_err()
                .contains("32 bytes")
        );
    }

    #[test]
    fn secrets_are_generated_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_secrets(dir.path()).unwrap();
        let b = load_or_create_secrets(dir.path()).unwrap();
        assert_eq!(a.jwt_secret, b.jwt_secret);
        assert!(CredentialBox::new(&a.credentials_key).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.toml"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
