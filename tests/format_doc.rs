//! docs/FORMAT.md must describe the real schema: its schema block is compared with what a
//! new registry's `sqlite_schema` holds, and its pragma values with the real ones.

use mlops_lite::store::{APPLICATION_ID, SCHEMA_VERSION};
use mlops_lite::Registry;

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap()
}

#[test]
fn schema_block_matches_a_new_registry() {
    let doc = doc();
    let start = doc
        .find("<!-- schema:start -->\n```sql\n")
        .expect("schema start marker");
    let end = doc
        .find("```\n<!-- schema:end -->")
        .expect("schema end marker");
    let documented = &doc[start + "<!-- schema:start -->\n```sql\n".len()..end];

    let reg = Registry::open_in_memory().unwrap();
    let mut stmt = reg
        .connection()
        .unwrap()
        .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
        .unwrap();
    let actual: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|s| format!("{};\n", s.unwrap()))
        .collect();
    assert_eq!(
        documented,
        actual.join("\n"),
        "docs/FORMAT.md's schema block is out of date"
    );
}

#[test]
fn pragma_values_are_documented() {
    let doc = doc();
    assert!(doc.contains(&format!(
        "# The mlops-lite registry file, format {SCHEMA_VERSION}"
    )));
    assert!(doc.contains(&format!(
        "| format version | `PRAGMA user_version` | `{SCHEMA_VERSION}` "
    )));
    assert!(doc.contains(&format!("`{APPLICATION_ID}` (`0x{APPLICATION_ID:08X}`")));
    let reg = Registry::open_in_memory().unwrap();
    let c = reg.connection().unwrap();
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let a: i32 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!((v, a), (SCHEMA_VERSION, APPLICATION_ID));
}

#[test]
fn postgres_tables_are_documented() {
    let sql = include_str!("../src/store/schema/pg.sql");
    let doc = doc();
    let start = doc
        .find("<!-- pg-tables -->")
        .expect("the PostgreSQL section lists its tables");
    let listed = &doc[start..start + doc[start..].find("and one").unwrap()];
    let created: Vec<&str> = sql
        .lines()
        .filter_map(|l| l.strip_prefix("CREATE TABLE "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(created.len(), 7, "{created:?}");
    for t in &created {
        assert!(
            listed.contains(&format!("`{t}`")),
            "docs/FORMAT.md does not list {t}"
        );
    }
    assert_eq!(listed.matches('`').count(), created.len() * 2, "{listed}");
}
