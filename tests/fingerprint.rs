//! Issue 11 (source fingerprints) without losing issue 2's fast re-bind: a re-bind skips
//! parsing only when the dataset's stored fingerprint is this machine's seal (HMAC under the
//! local key of `MLOPS_LITE_KEY_FILE`) of these bytes, this name and the dataset's md5. A
//! seal copied to another dataset, or written under another key, is never recognised: the
//! file is parsed and its content md5 compared, as for any other input.
//!
//! One test function: the key file is chosen once per process through the environment.

use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::Registry;

fn fingerprint_of(db: &std::path::Path, name: &str, version: i64) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT source_fingerprint FROM datasets WHERE name = ?1 AND version = ?2",
            rusqlite::params![name, version],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_re_bind_skips_parsing_only_for_this_machines_seal_of_the_same_bytes_name_and_md5() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys").join("fingerprint.key");
    std::env::set_var("MLOPS_LITE_KEY_FILE", &key);
    let csv = dir.path().join("d.csv");
    std::fs::write(&csv, "a,b\n1,x\n2,y\n3,z\n").unwrap();
    let other = dir.path().join("e.csv");
    std::fs::write(&other, "a,b\n9,q\n").unwrap();
    let db = dir.path().join("r.db");
    let mut reg = Registry::open(&db).unwrap();
    let bind = |reg: &mut Registry, path: &std::path::Path, name: &str| {
        let mut parsed = 0;
        let bound = reg
            .bind_dataset_from(Input::Path(path), Format::Csv, name, "", &mut |_, _| {
                parsed += 1
            })
            .unwrap();
        (bound.dataset.version, bound.created, parsed > 0)
    };

    // The first bind parses, and seals the source with a new key only its owner reads.
    assert_eq!(bind(&mut reg, &csv, "d"), (1, true, true));
    let seal = fingerprint_of(&db, "d", 1);
    assert!(seal.starts_with("seal:") && seal.ends_with(":p1"), "{seal}");
    let meta = std::fs::metadata(&key).unwrap();
    assert_eq!(meta.len(), 32);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    // The same bytes again: recognised from the seal, not parsed.
    assert_eq!(bind(&mut reg, &csv, "d"), (1, false, false));

    // The seal copied onto another dataset (as a shared file could): the genuine file bound
    // under that name is parsed, and being other content, becomes its next version.
    assert_eq!(bind(&mut reg, &other, "e"), (1, true, true));
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE datasets SET source_fingerprint = ?1 WHERE name = 'e'",
            [&seal],
        )
        .unwrap();
    assert_eq!(bind(&mut reg, &csv, "e"), (2, true, true));

    // A seal made under another key (another machine's file): parsed, then found by md5.
    let forged = format!("seal:{}:p1", "0".repeat(64));
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE datasets SET source_fingerprint = ?1 WHERE name = 'd'",
            [&forged],
        )
        .unwrap();
    assert_eq!(bind(&mut reg, &csv, "d"), (1, false, true));

    // Changed bytes (same values, another layout) are parsed too.
    std::fs::write(&csv, "a,b\n1,x\n2,y\n3,z").unwrap();
    assert_eq!(bind(&mut reg, &csv, "d"), (1, false, true));
}
