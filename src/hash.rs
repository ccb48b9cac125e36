//! Hashes of bytes that several layers name things by: the md5 of a model's artifact bytes
//! (stored by the registry, recomputed by `verify` and `copy`, and of a Python pickle by the
//! legacy reader). It sits below [`crate::store`] and [`crate::registry`] so that both can
//! use it without one importing the other; [`crate::registry::md5_hex`] re-exports it. The
//! canonical md5 of a dataset's content is [`crate::dataset::Dataset::md5`].

/// Lowercase hex md5 of bytes.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
