//! Source fingerprints: recognising a file bound before without parsing it again, in a way
//! that a shared registry cannot forge.
//!
//! A bound dataset records where it came from: the xxh3-128 of the source file's bytes, its
//! format and the parser version. On its own that digest proves nothing (anyone can copy one
//! file's digest into another dataset's row, and a later bind of the genuine file would then
//! be told "already holds this content" over other rows), so it is never trusted as such.
//! What makes a re-bind skip parsing is a **seal**: an HMAC-SHA256, under a secret key kept on
//! this machine (`~/.config/mlops-lite/fingerprint.key`, or the file `MLOPS_LITE_KEY_FILE`
//! names; created on first use, mode 0600), of the digest, the format, the parser version,
//! the dataset's name and its content md5. A file written elsewhere carries seals under
//! another key: they never match, and its datasets are re-bound through the full parse and
//! md5 comparison. Builds without a key (WebAssembly) store the plain digest, for
//! provenance only.

use crate::dataset::import::{Format, Input};
use crate::error::{Error, Result};

/// Version of the rules that turn source bytes into a dataset; part of every fingerprint, so
/// a change of parsing rules never reuses an old one.
pub const PARSER_VERSION: u32 = 1;

/// The digest of a source: its bytes' xxh3-128 and the format it is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    digest: u128,
    format: &'static str,
}

impl Source {
    /// Reads `input` once (a file in 1 MiB blocks) and digests it.
    pub fn of(input: &Input<'_>, format: Format) -> Result<Source> {
        use std::io::Read;
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        match input {
            Input::Bytes { bytes, .. } => h.update(bytes),
            Input::Path(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| Error::io(p.display(), e))?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = f.read(&mut buf).map_err(|e| Error::io(p.display(), e))?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
            }
        }
        Ok(Source {
            digest: h.digest128(),
            format: format.name(),
        })
    }

    /// The format the source is read as (`csv`, `json`), stored as `source_format`.
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// What is stored in `datasets.source_fingerprint` for this source bound as dataset
    /// `name` with content `md5`: the seal under this machine's key, or (without a key) the
    /// plain digest, which is never recognised.
    pub fn fingerprint(&self, name: &str, md5: &str) -> String {
        match self.seal(name, md5) {
            Some(seal) => seal,
            None => format!(
                "xxh3-128:{:032x}:{}:p{PARSER_VERSION}",
                self.digest, self.format
            ),
        }
    }

    /// Whether `stored` (a dataset's `source_fingerprint`) is this machine's seal of this
    /// source as dataset `name` with content `md5`.
    pub fn recognises(&self, name: &str, md5: &str, stored: &str) -> bool {
        self.seal(name, md5).is_some_and(|seal| seal == stored)
    }

    fn seal(&self, name: &str, md5: &str) -> Option<String> {
        let key = key::local()?;
        let message = format!(
            "mlops-lite source seal\0{:032x}\0{}\0p{PARSER_VERSION}\0{name}\0{md5}",
            self.digest, self.format
        );
        Some(format!(
            "seal:{}:p{PARSER_VERSION}",
            key::mac(key, &message)?
        ))
    }
}

#[cfg(all(unix, not(target_arch = "wasm32")))]
mod key {
    //! The machine's secret key for seals: 32 random bytes in a file only its owner reads.
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::PathBuf;
    use std::sync::OnceLock;

    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    fn path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("MLOPS_LITE_KEY_FILE") {
            return Some(PathBuf::from(p));
        }
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(config.join("mlops-lite").join("fingerprint.key"))
    }

    fn read(path: &std::path::Path) -> Option<[u8; 32]> {
        let mut key = [0u8; 32];
        let mut f = std::fs::File::open(path).ok()?;
        f.read_exact(&mut key).ok()?;
        // Exactly 32 bytes: anything else is not a key of ours.
        (f.read(&mut [0u8; 1]).ok()? == 0).then_some(key)
    }

    fn create(path: &std::path::Path) -> Option<[u8; 32]> {
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .ok()?
            .read_exact(&mut key)
            .ok()?;
        std::fs::create_dir_all(path.parent()?).ok()?;
        // Written beside, then linked into place: two processes creating it at once agree on
        // the first one's key.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .ok()?;
        let written = f.write_all(&key).and_then(|()| f.sync_all()).is_ok();
        let linked = written && std::fs::hard_link(&tmp, path).is_ok();
        let _ = std::fs::remove_file(&tmp);
        if linked {
            Some(key)
        } else {
            read(path)
        }
    }

    /// This machine's key, read (or created) once per process; None where it cannot be kept.
    pub(super) fn local() -> Option<&'static [u8; 32]> {
        static KEY: OnceLock<Option<[u8; 32]>> = OnceLock::new();
        KEY.get_or_init(|| {
            let path = path()?;
            read(&path).or_else(|| create(&path))
        })
        .as_ref()
    }

    pub(super) fn mac(key: &[u8; 32], message: &str) -> Option<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        mac.update(message.as_bytes());
        Some(
            mac.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
}

#[cfg(not(all(unix, not(target_arch = "wasm32"))))]
mod key {
    //! No place to keep a secret key: no seals, every re-bind parses.
    pub(super) fn local() -> Option<&'static [u8; 32]> {
        None
    }

    pub(super) fn mac(_key: &[u8; 32], _message: &str) -> Option<String> {
        None
    }
}
