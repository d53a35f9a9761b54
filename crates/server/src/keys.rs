//! The server's keys in the data directory, created on first start with mode 0600 and never
//! logged: the Ed25519 server key (base64 of its seed; receipts, webhooks) and the log's
//! checkpoint signing key (note `skey` format).

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clearline_core::signing::ServerKey;
use clearline_tlog::note::LogSigner;

use crate::ServeError;

/// The key's file name inside the data directory.
pub const SERVER_KEY_FILE: &str = "server.key";

fn err(path: &Path, reason: impl std::fmt::Display) -> ServeError {
    ServeError::Key { path: path.display().to_string(), reason: reason.to_string() }
}

/// Reads the key at `path`, creating a fresh one (mode 0600) if there is none.
pub fn load_or_create(path: &Path) -> Result<ServerKey, ServeError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = STANDARD.decode(text.trim()).map_err(|e| err(path, e))?;
            let seed: [u8; 32] = bytes.try_into().map_err(|_| err(path, "not a 32-byte seed"))?;
            Ok(ServerKey::from_seed(seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed = ServerKey::generate_seed();
            write_private(path, STANDARD.encode(seed).as_bytes())?;
            Ok(ServerKey::from_seed(seed))
        }
        Err(e) => Err(err(path, e)),
    }
}

/// The log key's file name inside the data directory (note `skey` format).
pub const LOG_KEY_FILE: &str = "log.key";

/// Reads the log signing key at `path`, creating one for `origin` (mode 0600) if there is none.
/// An existing key keeps the origin it was made for; a configured `origin` that differs is an error.
pub fn load_or_create_log_key(path: &Path, origin: &str, configured: bool) -> Result<LogSigner, ServeError> {
    match std::fs::read_to_string(path) {
        Ok(skey) => {
            let signer = LogSigner::from_skey(skey.trim()).map_err(|e| err(path, e))?;
            if configured && signer.origin() != origin {
                return Err(err(path, format!("the log's origin is {:?}, not {origin:?}", signer.origin())));
            }
            Ok(signer)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (signer, skey) = LogSigner::generate(origin).map_err(|e| err(path, e))?;
            write_private(path, skey.as_bytes())?;
            Ok(signer)
        }
        Err(e) => Err(err(path, e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServeError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| err(path, e))?;
    file.write_all(bytes).map_err(|e| err(path, e))?;
    file.sync_all().map_err(|e| err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SERVER_KEY_FILE);
        let first = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap().public_key(), first.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not base64!").unwrap();
        assert!(load_or_create(&path).is_err());
    }
}
