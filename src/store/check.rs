//! Opening a registry file as a check, not a trust.
//!
//! A registry is shared, so the file may have been written by anyone with `sqlite3`. Before
//! mlops-lite reads a row of it, this module:
//!
//! 1. **hardens the connection** ([`harden`]): `SQLITE_DBCONFIG_DEFENSIVE` (no writable
//!    schema, no corrupting pragmas), `trusted_schema = OFF` (functions in the schema must be
//!    innocuous), triggers and views disabled (`SQLITE_DBCONFIG_ENABLE_TRIGGER` and
//!    `_ENABLE_VIEW` off: nothing stored in the file runs even if a check below missed it),
//!    `cell_size_check` on, no memory-mapped I/O; extension loading is never compiled in;
//! 2. **compares the schema with the one this format version defines** ([`check_schema`]):
//!    every object of `sqlite_schema` must be one that our migrations create for the file's
//!    `user_version`, with the very same SQL text, or the data table of a `datasets` row
//!    (`data_<id>`, with exactly the columns its `dataset_columns` rows record). Any trigger,
//!    view, virtual table, unknown table, index or column, or a missing table, is refused
//!    with [`Error::Altered`], which names the objects.
//!
//! It runs on every open: files (read-only and read-write), bytes (the npm package and the
//! page) and memory, before any migration or journal-mode change.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::{quote_ident, MIGRATIONS, SCHEMA_VERSION};
use crate::dataset::DType;
use crate::error::{Error, Result};

/// How many offending objects an [`Error::Altered`] message lists by name.
const SHOWN: usize = 5;

/// Sets SQLite's defensive options on a new connection, before it reads anything.
pub(crate) fn harden(conn: &Connection) -> Result<()> {
    for (option, on) in [
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false),
        (DbConfig::SQLITE_DBCONFIG_WRITABLE_SCHEMA, false),
    ] {
        conn.set_db_config(option, on)?;
    }
    conn.pragma_update(None, "cell_size_check", true)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    Ok(())
}

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    kind: String,
    name: String,
    sql: Option<String>,
}

impl Object {
    fn describe(&self) -> String {
        let what = match (&self.kind[..], &self.sql) {
            ("table", Some(sql))
                if sql
                    .trim_start()
                    .get(..14)
                    .is_some_and(|s| s.eq_ignore_ascii_case("CREATE VIRTUAL")) =>
            {
                "virtual table"
            }
            (kind, _) => kind,
        };
        format!("{what} {:?}", self.name)
    }
}

/// One format's objects by name, and the column names of its tables.
type Format = (BTreeMap<String, Object>, BTreeMap<String, Vec<String>>);

/// The objects each format version defines, built once by applying the migrations to an
/// empty in-memory database: index `v - 1` holds format `v`'s objects by name.
fn expected() -> Result<&'static [Format]> {
    static EXPECTED: OnceLock<std::result::Result<Vec<Format>, String>> = OnceLock::new();
    let built = EXPECTED.get_or_init(|| {
        let build = || -> Result<Vec<Format>> {
            let conn = Connection::open_in_memory()?;
            let mut all = Vec::with_capacity(MIGRATIONS.len());
            for sql in MIGRATIONS {
                conn.execute_batch(sql)?;
                let objects = read_objects(&conn, "<schema>")?;
                let columns = objects
                    .iter()
                    .filter(|o| o.kind == "table")
                    .map(|o| (o.name.clone(), columns_of(&conn, &o.name)))
                    .collect();
                all.push((
                    objects.into_iter().map(|o| (o.name.clone(), o)).collect(),
                    columns,
                ));
            }
            Ok(all)
        };
        build().map_err(|e| e.to_string())
    });
    built.as_deref().map_err(|e| {
        Error::InvalidArgument(format!(
            "mlops-lite's own schema did not build ({e}); this is a bug, please report it"
        ))
    })
}

/// The column names of table `name` as SQLite parsed them (hidden and generated columns
/// included); empty when it has none or is not a table.
fn columns_of(conn: &Connection, name: &str) -> Vec<String> {
    let read = || -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_xinfo(?1)")?;
        let names = stmt.query_map([name], |r| r.get::<_, String>(0))?.collect();
        names
    };
    read().unwrap_or_default()
}

/// What differs between the columns a table should have and those it has, in words.
fn column_difference(want: &[String], have: &[String]) -> String {
    let unknown: Vec<String> = have
        .iter()
        .filter(|c| !want.contains(c))
        .map(|c| format!("{c:?}"))
        .collect();
    let missing: Vec<String> = want
        .iter()
        .filter(|c| !have.contains(c))
        .map(|c| format!("{c:?}"))
        .collect();
    let mut parts = Vec::new();
    if !unknown.is_empty() {
        parts.push(format!("unknown column {}", unknown.join(", ")));
    }
    if !missing.is_empty() {
        parts.push(format!("missing column {}", missing.join(", ")));
    }
    if parts.is_empty() {
        "a column's type, constraint or default differs".into()
    } else {
        parts.join("; ")
    }
}

/// Reads `sqlite_schema` without trusting the types of its cells.
fn read_objects(conn: &Connection, label: &str) -> Result<Vec<Object>> {
    let mut stmt = conn.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let text = |i: usize| -> Result<Option<String>> {
            match row.get_ref(i)? {
                ValueRef::Null => Ok(None),
                ValueRef::Text(t) => Ok(Some(String::from_utf8_lossy(t).into_owned())),
                other => Err(Error::Altered {
                    path: label.into(),
                    objects: vec![format!("a sqlite_schema row with {:?}", other.data_type())],
                    total: 1,
                }),
            }
        };
        out.push(Object {
            kind: text(0)?.unwrap_or_default(),
            name: text(1)?.unwrap_or_default(),
            sql: text(2)?,
        });
    }
    Ok(out)
}

/// The `CREATE TABLE` statement of a dataset's data table: one column per stored column, in
/// order, typed by its dtype. The same text creates the table and checks it on open.
pub(crate) fn data_table_sql(table: &str, columns: &[(&str, DType)]) -> String {
    let defs: Vec<String> = columns
        .iter()
        .map(|(name, dtype)| format!("{} {}", quote_ident(name), dtype.sql_type()))
        .collect();
    format!("CREATE TABLE {} ({})", quote_ident(table), defs.join(", "))
}

/// Tables SQLite itself may add to any database (`ANALYZE` statistics): harmless data.
fn sqlite_own(o: &Object) -> bool {
    const OWN: [(&str, &str); 2] = [
        ("sqlite_stat1", "CREATE TABLE sqlite_stat1(tbl,idx,stat)"),
        (
            "sqlite_stat4",
            "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)",
        ),
    ];
    o.kind == "table"
        && OWN
            .iter()
            .any(|(n, s)| o.name == *n && o.sql.as_deref() == Some(*s))
}

/// Checks that the schema of `conn` (a registry of format `version`, `1..=SCHEMA_VERSION`)
/// holds exactly the objects that format defines plus one data table per dataset. Must run
/// inside the caller's read transaction, so that schema and rows are one snapshot.
pub(crate) fn check_schema(conn: &Connection, version: i64, label: &str) -> Result<()> {
    if version == 0 {
        // No registry yet: mlops-lite creates one only in a file that holds nothing (a file
        // with tables was refused before; a view or trigger alone is refused here).
        let others: Vec<String> = read_objects(conn, label)?
            .iter()
            .filter(|o| !sqlite_own(o))
            .map(|o| format!("{} is in a file that holds no registry yet", o.describe()))
            .collect();
        return match others.is_empty() {
            true => Ok(()),
            false => Err(altered(label, others, 0)),
        };
    }
    if !(1..=SCHEMA_VERSION).contains(&version) {
        return Ok(());
    }
    let (expected, expected_columns) = &expected()?[version as usize - 1];
    let found = read_objects(conn, label)?;
    let mut problems: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut rest = Vec::new();
    for o in found {
        match expected.get(&o.name) {
            Some(e) if *e == o => {
                seen.insert(o.name.clone());
            }
            Some(e) if e.kind != o.kind => problems.push(format!(
                "{} stands where mlops-lite's {} {:?} should be",
                o.describe(),
                e.kind,
                e.name
            )),
            Some(e) => {
                let how = match expected_columns.get(&e.name) {
                    Some(want) => {
                        format!(": {}", column_difference(want, &columns_of(conn, &o.name)))
                    }
                    None => String::new(),
                };
                problems.push(format!(
                    "{} is not defined as registry format {version} defines it{how}",
                    o.describe()
                ))
            }
            None if sqlite_own(&o) => {}
            None => rest.push(o),
        }
    }
    for name in expected.keys().filter(|n| !seen.contains(*n)) {
        if !problems.iter().any(|p| p.contains(&format!("{name:?}"))) {
            problems.push(format!("{} {name:?} is missing", expected[name].kind));
        }
    }
    if !problems.is_empty() {
        // The registry tables themselves are not ours: do not read them.
        return Err(altered(label, problems, rest.len()));
    }
    let tables = data_tables(conn, label)?;
    for o in rest {
        match tables.get(&o.name) {
            Some(t) if o.kind == "table" && o.sql.as_deref() == Some(t.sql.as_str()) => {}
            Some(t) if o.kind == "table" => problems.push(format!(
                "{} (dataset {}) does not have the columns its dataset records in \
                 dataset_columns: {}",
                o.describe(),
                t.dataset,
                column_difference(&t.columns, &columns_of(conn, &o.name))
            )),
            _ => problems.push(format!(
                "{} is not part of an mlops-lite registry",
                o.describe()
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(altered(label, problems, 0))
    }
}

fn altered(label: &str, mut problems: Vec<String>, more: usize) -> Error {
    let total = problems.len() + more;
    problems.truncate(SHOWN);
    Error::Altered {
        path: label.into(),
        objects: problems,
        total,
    }
}

/// What a dataset's data table must be.
struct DataTable {
    /// `name@version (id N)` of its dataset, for messages.
    dataset: String,
    /// Its columns, as `dataset_columns` records them.
    columns: Vec<String>,
    /// The `CREATE TABLE` text those columns imply.
    sql: String,
}

/// The data table each `datasets` row names, with the `CREATE TABLE` text its recorded
/// columns imply. A row that names another table than `data_<id>`, or records a column of an
/// unknown dtype, is refused: it would make a read go elsewhere.
fn data_tables(conn: &Connection, label: &str) -> Result<BTreeMap<String, DataTable>> {
    let bad = |what: String| altered(label, vec![what], 0);
    let mut columns: BTreeMap<i64, Vec<(String, DType)>> = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT dataset_id, column_name, converted_dtype FROM dataset_columns ORDER BY dataset_id, position",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (ValueRef::Integer(id), ValueRef::Text(name), ValueRef::Text(dtype)) =
            (row.get_ref(0)?, row.get_ref(1)?, row.get_ref(2)?)
        else {
            return Err(bad(
                "a dataset_columns row holds cells of the wrong type".into()
            ));
        };
        let name = String::from_utf8_lossy(name).into_owned();
        let dtype = std::str::from_utf8(dtype)
            .ok()
            .and_then(DType::from_name)
            .ok_or_else(|| {
                bad(format!(
                    "dataset_columns row ({id}, {name:?}) records an unknown dtype"
                ))
            })?;
        columns.entry(id).or_default().push((name, dtype));
    }
    drop(rows);
    drop(stmt);
    let mut tables = BTreeMap::new();
    let mut stmt =
        conn.prepare("SELECT id, data_table, name, version FROM datasets ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (ValueRef::Integer(id), table) = (row.get_ref(0)?, row.get_ref(1)?) else {
            return Err(bad(
                "a datasets row holds an id that is not an integer".into()
            ));
        };
        let dataset = format!(
            "{}@{} (id {id})",
            match row.get_ref(2)? {
                ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                other => format!("<{:?}>", other.data_type()),
            },
            match row.get_ref(3)? {
                ValueRef::Integer(v) => v.to_string(),
                other => format!("<{:?}>", other.data_type()),
            }
        );
        let want = format!("data_{id}");
        if !matches!(table, ValueRef::Text(t) if t == want.as_bytes()) {
            return Err(bad(format!(
                "dataset {dataset}: its data_table names table {} where {want:?} should be",
                match table {
                    ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                    other => format!("as {:?}", other.data_type()),
                }
            )));
        }
        let cols = columns.remove(&id).unwrap_or_default();
        let typed: Vec<(&str, DType)> = cols.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        let sql = data_table_sql(&want, &typed);
        let columns = cols.into_iter().map(|(n, _)| n).collect();
        tables.insert(
            want,
            DataTable {
                dataset,
                columns,
                sql,
            },
        );
    }
    Ok(tables)
}
