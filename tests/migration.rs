//! Forward migration: a registry written by mlops-lite in format 1 (datasets only; made by
//! commit 7848ff2's CLI: `dataset add --sample iris`, then `--sample diabetes --name "d'<b>"`)
//! opens in this build, is migrated to the current format in one transaction, keeps every
//! dataset bit for bit, and takes models afterwards.

use mlops_lite::pipeline::TrainSpec;
use mlops_lite::store::SCHEMA_VERSION;
use mlops_lite::Registry;

#[test]
fn format_1_registry_migrates_and_keeps_its_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/registry-format1.db"
        ),
        &path,
    )
    .unwrap();
    let before: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, 1);

    let mut reg = Registry::open(&path).unwrap();
    let v: i64 = reg
        .connection()
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let list = reg.list_datasets().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].md5, "1691b6054247506429b07bc1fa364ee3");
    assert_eq!(list[1].name, "d'<b>");
    for d in &list {
        let (entry, data) = reg.pull_dataset(&d.id.to_string()).unwrap();
        assert_eq!(data.md5(), entry.md5);
    }
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "after-migration", "").unwrap();
    drop(reg);
    // Opening again does not migrate twice.
    let reg = Registry::open(&path).unwrap();
    assert_eq!(reg.list_models().unwrap().len(), 1);
}
