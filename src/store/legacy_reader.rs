//! Reading registries of the Python mlops-lite, strictly read-only: the file is opened with
//! `mode=ro&immutable=1` and SQLite's defensive settings (`SQLITE_DBCONFIG_DEFENSIVE`,
//! `trusted_schema` off, triggers and views disabled), its tables are checked against the ones
//! the Python tool writes (a virtual table in their place is refused), and every value is read
//! leniently and named (table, id, column) when it is wrong.
//!
//! Nothing is sized from a number the file claims: datasets are lent one row at a time
//! ([`PythonRegistry::for_each_dataset`]), the prediction log is streamed one record at a time
//! ([`PythonRegistry::for_each_record`]: three reads ordered by record id, merged), and only
//! the calls, models and a few counters per call are held. Rows that cannot be imported
//! (shared ids, records or values whose call or record is missing) are returned as
//! [`Skipped`], never dropped silently.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::quote_ident;
use super::sqlite::{check_header, classify, user_tables, APPLICATION_ID};
use crate::error::{Error, Result};

/// The tables of a registry of the Python mlops-lite, and their columns where this module reads
/// them: (table, required columns, optional columns). Files written before `created_at`
/// existed lack it; a missing optional column reads as `NULL`.
const PYTHON_TABLES: &[(&str, &[&str], &[&str])] = &[
    (
        "dataset_registry",
        &["id", "name", "version", "data", "hash"],
        &["description", "size_cols", "size_rows", "created_at"],
    ),
    (
        "deployable_registry",
        &[
            "id",
            "dataset_registry_id",
            "name",
            "version",
            "target",
            "estimator_type",
            "estimator_class",
            "deployable",
            "variables",
            "hash",
        ],
        &["target_mapping", "description", "created_at"],
    ),
    (
        "model_execution_log",
        &["id", "deployable_id"],
        &["request_time", "request_size"],
    ),
    (
        "execution_items",
        &["id", "execution_log_id"],
        &["reference_id"],
    ),
    (
        "request_items",
        &["id", "execution_items_id", "varname", "in_value"],
        &[],
    ),
    (
        "response_items",
        &["id", "execution_items_id", "out_value"],
        &["classname"],
    ),
];

/// An open registry of the Python mlops-lite: a read-only connection and the columns its
/// tables have (they differ between versions of the Python tool).
pub struct PythonRegistry {
    conn: Connection,
    label: String,
    /// Table name -> its column names, for the tables of [`PYTHON_TABLES`] that exist.
    columns: std::collections::HashMap<String, Vec<String>>,
}

/// How many rows each table of a Python registry holds (absent tables count 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PythonCounts {
    /// `dataset_registry` rows.
    pub datasets: i64,
    /// `deployable_registry` rows (pickled models).
    pub deployables: i64,
    /// `model_execution_log` rows (logged predict calls).
    pub executions: i64,
    /// `execution_items` rows (logged records).
    pub execution_items: i64,
    /// `request_items` rows (one input value each).
    pub request_items: i64,
    /// `response_items` rows (one output value each).
    pub response_items: i64,
}

/// One row of `dataset_registry`.
#[derive(Debug, Clone)]
pub struct PythonDataset {
    /// Its id in the Python registry.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Version under that name.
    pub version: i64,
    /// Description (`""` when the column is absent).
    pub description: String,
    /// The recorded shape, when the columns exist.
    pub size_rows: Option<i64>,
    /// Number of columns recorded.
    pub size_cols: Option<i64>,
    /// The Python tool's content hash.
    pub hash: String,
    /// As written by the Python tool (no time zone), or `None` in older files.
    pub created_at: Option<String>,
}

/// One row of `deployable_registry`. The pickle itself is never kept, parsed or run: only
/// its length and md5 are read.
#[derive(Debug, Clone)]
pub struct PythonDeployable {
    /// Its id in the Python registry.
    pub id: i64,
    /// The Python id of its training dataset.
    pub dataset_id: i64,
    /// Name.
    pub name: String,
    /// Version.
    pub version: i64,
    /// Target column.
    pub target: String,
    /// JSON text, or `None` (SQL `NULL` or JSON `null`).
    pub target_mapping: Option<String>,
    /// JSON text: the input variables and their Python types.
    pub variables: String,
    /// E.g. `LogisticRegression`.
    pub estimator_class: String,
    /// E.g. `classifier`.
    pub estimator_type: String,
    /// Description.
    pub description: String,
    /// As written by the Python tool, or `None` in older files.
    pub created_at: Option<String>,
    /// The Python tool's hash.
    pub hash: String,
    /// Byte length of the pickle.
    pub pickle_bytes: i64,
    /// md5 of the pickle bytes.
    pub pickle_md5: String,
}

/// One logged record of the Python tool: an `execution_items` row with its request and
/// response items, in id order.
#[derive(Debug, Clone)]
pub struct PythonRecord {
    /// The record's reference id.
    pub reference_id: Option<String>,
    /// `(varname, in_value)` pairs.
    pub inputs: Vec<(String, rusqlite::types::Value)>,
    /// `(classname, out_value)` pairs.
    pub outputs: Vec<(Option<String>, rusqlite::types::Value)>,
}

/// One `model_execution_log` row (a logged predict call); its records are streamed by
/// [`PythonRegistry::for_each_record`].
#[derive(Debug, Clone)]
pub struct PythonExecution {
    /// Its id in the Python registry.
    pub id: i64,
    /// The Python id of the deployable that predicted.
    pub deployable_id: i64,
    /// As written by the Python tool, or `None`.
    pub request_time: Option<String>,
    /// The recorded number of records, or `None`.
    pub request_size: Option<i64>,
    /// How many records (`execution_items` rows with an id of their own) refer to it.
    pub records: u64,
}

/// The calls of the prediction log whose id no other call has, in id order, and the ids that
/// several calls share (with how many).
#[derive(Debug, Clone, Default)]
pub struct PythonLog {
    /// The calls.
    pub calls: Vec<PythonExecution>,
    shared: std::collections::BTreeMap<i64, usize>,
}

/// Percent-encodes a path for an SQLite `file:` URI.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        let b = if cfg!(windows) && b == b'\\' { b'/' } else { b };
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Opens a registry of the Python mlops-lite strictly read-only (`mode=ro&immutable=1`: SQLite
/// takes no lock and writes nothing, not even a `-shm` or `-journal` file), after checking
/// that it exists, is SQLite, and holds the Python tool's tables.
pub fn open_python_registry(path: &Path) -> Result<PythonRegistry> {
    let label = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound(format!(
                "{label} does not exist; pass the path of a registry file written by the Python \
                 mlops-lite (by default sqlite/mlops-lite.db in its workspace)"
            )))
        }
        Err(e) => return Err(Error::io(&label, e)),
    };
    if meta.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{label} is a directory; pass the path of a registry file of the Python mlops-lite"
        )));
    }
    let not_python = |reason: String| Error::NotARegistry {
        path: label.clone(),
        reason,
    };
    if meta.len() == 0 {
        return Err(not_python(
            "it is empty, so it is not a registry of the Python mlops-lite".into(),
        ));
    }
    let mut head = Vec::with_capacity(100);
    {
        use std::io::Read;
        std::fs::File::open(path)
            .and_then(|f| f.take(100).read_to_end(&mut head))
            .map_err(|e| Error::io(&label, e))?;
    }
    check_header(&head, meta.len(), &label, false)?;
    for suffix in ["-wal", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if std::fs::metadata(&p).is_ok_and(|m| m.len() > 0) {
            return Err(Error::InvalidArgument(format!(
                "{label} has a {suffix} file beside it: a program has it open or did not close \
                 it cleanly, so its content is not final; close that program (or run `sqlite3 \
                 {label} 'PRAGMA integrity_check'` once) and try again; nothing was changed"
            )));
        }
    }
    let absolute = std::path::absolute(path).map_err(|e| Error::io(&label, e))?;
    let uri = format!("file://{}?mode=ro&immutable=1", uri_path(&absolute));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&uri, flags).map_err(|e| classify(e, &label))?;
    super::check::harden(&conn)?;
    let read_schema = || -> rusqlite::Result<(Vec<String>, i32, i64)> {
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok((user_tables(&conn)?, app, version))
    };
    let (tables, app, version) = read_schema().map_err(|e| classify(e, &label))?;
    if app == APPLICATION_ID || tables.iter().any(|t| t == "mlops_meta") {
        return Err(not_python(format!(
            "it is already a registry of this mlops-lite (format {version}), not one of the \
             Python mlops-lite; open it with `--db {label}`, there is nothing to import"
        )));
    }
    if !tables.iter().any(|t| t == "dataset_registry") {
        let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        return Err(not_python(format!(
            "it has no dataset_registry table, so it is not a registry of the Python mlops-lite \
             either ({}); import-legacy reads only those",
            if tables.is_empty() {
                "it has no tables".to_string()
            } else {
                format!(
                    "its tables: {}{}",
                    shown.join(", "),
                    if tables.len() > 5 { ", ..." } else { "" }
                )
            }
        )));
    }
    let mut columns = std::collections::HashMap::new();
    for (table, required, _) in PYTHON_TABLES {
        if !tables.iter().any(|t| t == table) {
            continue;
        }
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .map_err(|e| classify(e, &label))?;
        if sql.is_some_and(|s| {
            s.trim_start()
                .to_ascii_uppercase()
                .starts_with("CREATE VIRTUAL")
        }) {
            return Err(not_python(format!(
                "its table {table} is a virtual table (its rows would be computed by code, not \
                 read from the file); the Python mlops-lite never writes one, so the file was \
                 altered and nothing is imported from it"
            )));
        }
        let cols: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .and_then(|mut s| {
                s.query_map([table], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()
            })
            .map_err(|e| classify(e, &label))?;
        if let Some(missing) = required.iter().find(|c| !cols.iter().any(|x| x == *c)) {
            return Err(not_python(format!(
                "its table {table} has no column {missing:?}, so it is not a registry of the \
                 Python mlops-lite that import-legacy can read"
            )));
        }
        columns.insert(table.to_string(), cols);
    }
    // The log is all four tables or none; a log needs the models it refers to.
    let log = &[
        "model_execution_log",
        "execution_items",
        "request_items",
        "response_items",
    ];
    let present: Vec<&str> = log
        .iter()
        .copied()
        .filter(|t| columns.contains_key(*t))
        .collect();
    let missing = if !present.is_empty() && present.len() < log.len() {
        log.iter().find(|t| !columns.contains_key(**t)).copied()
    } else if !present.is_empty() && !columns.contains_key("deployable_registry") {
        Some("deployable_registry")
    } else {
        None
    };
    if let Some(m) = missing {
        return Err(not_python(format!(
            "it has the Python mlops-lite's prediction log tables but no {m} table; it is \
             incomplete, so nothing can be imported from it faithfully"
        )));
    }
    Ok(PythonRegistry {
        conn,
        label,
        columns,
    })
}

/// A value read as text: text as is, numbers written out, UTF-8 blobs as text.
fn lenient_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// A value read as an integer: integers, integral reals, and text of an integer.
fn lenient_int(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(x as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

impl PythonRegistry {
    /// How messages name the file (its path).
    pub fn label(&self) -> &str {
        &self.label
    }

    fn has(&self, table: &str) -> bool {
        self.columns.contains_key(table)
    }

    /// `"column"` when `table` has it, else `NULL`, for a SELECT list.
    fn col(&self, table: &str, column: &str) -> String {
        match self.columns.get(table) {
            Some(cols) if cols.iter().any(|c| c == column) => quote_ident(column),
            _ => "NULL".into(),
        }
    }

    fn damaged(
        &self,
        table: &str,
        id: i64,
        column: &str,
        found: ValueRef<'_>,
        want: &str,
    ) -> Error {
        Error::Corrupt {
            path: self.label.clone(),
            reason: format!(
                "{table} {}: column {column} holds {:?}, expected {want}; nothing was imported: \
                 fix the value with sqlite3 and import again",
                if id == i64::MIN {
                    "row".to_string()
                } else {
                    format!("id {id}")
                },
                found.data_type()
            ),
        }
    }

    fn text(&self, row: &rusqlite::Row<'_>, i: usize, t: &str, id: i64, c: &str) -> Result<String> {
        let v = row.get_ref(i)?;
        lenient_text(v).ok_or_else(|| self.damaged(t, id, c, v, "text"))
    }

    fn int(&self, row: &rusqlite::Row<'_>, i: usize, t: &str, id: i64, c: &str) -> Result<i64> {
        let v = row.get_ref(i)?;
        lenient_int(v).ok_or_else(|| self.damaged(t, id, c, v, "an integer"))
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.conn).map_err(|e| match e {
            Error::Database(e) => classify(e, &self.label),
            e => e,
        })
    }

    /// Row counts of the Python tables.
    pub fn counts(&self) -> Result<PythonCounts> {
        let n = |table: &str| -> Result<i64> {
            if !self.has(table) {
                return Ok(0);
            }
            self.read(|c| {
                Ok(c.query_row(
                    &format!("SELECT COUNT(*) FROM {}", quote_ident(table)),
                    [],
                    |r| r.get(0),
                )?)
            })
        };
        Ok(PythonCounts {
            datasets: n("dataset_registry")?,
            deployables: n("deployable_registry")?,
            executions: n("model_execution_log")?,
            execution_items: n("execution_items")?,
            request_items: n("request_items")?,
            response_items: n("response_items")?,
        })
    }

    /// How many rows of `dataset_registry` have each id (more than one only in an altered file).
    pub fn dataset_id_counts(&self) -> Result<std::collections::HashMap<i64, usize>> {
        let t = "dataset_registry";
        self.read(|c| {
            let mut stmt = c.prepare("SELECT id FROM dataset_registry")?;
            let mut rows = stmt.query([])?;
            let mut counts = std::collections::HashMap::new();
            while let Some(row) = rows.next()? {
                *counts
                    .entry(self.int(row, 0, t, i64::MIN, "id")?)
                    .or_insert(0) += 1;
            }
            Ok(counts)
        })
    }

    /// Calls `f` with every dataset, in id order, and its data as stored, one row at a time
    /// (the data is lent by SQLite, never copied here). Rows sharing an id are each passed.
    /// An error of `f` stops the reading and is returned as it is.
    pub fn for_each_dataset(
        &self,
        mut f: impl FnMut(PythonDataset, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let t = "dataset_registry";
        let sql = format!(
            "SELECT id, name, version, {}, data, {}, {}, hash, {} FROM dataset_registry ORDER BY id",
            self.col(t, "description"),
            self.col(t, "size_rows"),
            self.col(t, "size_cols"),
            self.col(t, "created_at"),
        );
        let db = |e: rusqlite::Error| classify(e, &self.label);
        let mut stmt = self.conn.prepare(&sql).map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let id = self.int(row, 0, t, i64::MIN, "id")?;
            let d = PythonDataset {
                id,
                name: self.text(row, 1, t, id, "name")?,
                version: self.int(row, 2, t, id, "version")?,
                description: lenient_text(row.get_ref(3).map_err(db)?).unwrap_or_default(),
                size_rows: lenient_int(row.get_ref(5).map_err(db)?),
                size_cols: lenient_int(row.get_ref(6).map_err(db)?),
                hash: self.text(row, 7, t, id, "hash")?,
                created_at: lenient_text(row.get_ref(8).map_err(db)?),
            };
            let data = match row.get_ref(4).map_err(db)? {
                ValueRef::Text(b) | ValueRef::Blob(b) => b,
                v => return Err(self.damaged(t, id, "data", v, "JSON text")),
            };
            f(d, data)?;
        }
        Ok(())
    }

    /// The distinct names of the datasets and models, sorted (to check `--rename` and `--skip`).
    pub fn names(&self) -> Result<Vec<String>> {
        let mut names = std::collections::BTreeSet::new();
        for t in ["dataset_registry", "deployable_registry"] {
            if !self.has(t) {
                continue;
            }
            self.read(|c| {
                let mut stmt =
                    c.prepare(&format!("SELECT DISTINCT name FROM {}", quote_ident(t)))?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    if let Some(n) = lenient_text(row.get_ref(0)?) {
                        names.insert(n);
                    }
                }
                Ok(())
            })?;
        }
        Ok(names.into_iter().collect())
    }

    /// Every deployable, in id order, with the length and md5 of its pickle (read as bytes,
    /// never parsed).
    pub fn deployables(&self) -> Result<Vec<PythonDeployable>> {
        let t = "deployable_registry";
        if !self.has(t) {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, dataset_registry_id, name, version, target, {}, variables, estimator_class, \
             estimator_type, {}, {}, hash, deployable FROM deployable_registry ORDER BY id",
            self.col(t, "target_mapping"),
            self.col(t, "description"),
            self.col(t, "created_at"),
        );
        self.read(|c| {
            let mut stmt = c.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let id: i64 = self.int(row, 0, t, i64::MIN, "id")?;
                let pickle = match row.get_ref(12)? {
                    ValueRef::Blob(b) | ValueRef::Text(b) => b,
                    v => return Err(self.damaged(t, id, "deployable", v, "bytes")),
                };
                let target_mapping = lenient_text(row.get_ref(5)?)
                    .filter(|m| !m.trim().is_empty() && m.trim() != "null");
                out.push(PythonDeployable {
                    id,
                    dataset_id: self.int(row, 1, t, id, "dataset_registry_id")?,
                    name: self.text(row, 2, t, id, "name")?,
                    version: self.int(row, 3, t, id, "version")?,
                    target: self.text(row, 4, t, id, "target")?,
                    target_mapping,
                    variables: self.text(row, 6, t, id, "variables")?,
                    estimator_class: self.text(row, 7, t, id, "estimator_class")?,
                    estimator_type: self.text(row, 8, t, id, "estimator_type")?,
                    description: lenient_text(row.get_ref(9)?).unwrap_or_default(),
                    created_at: lenient_text(row.get_ref(10)?),
                    hash: self.text(row, 11, t, id, "hash")?,
                    pickle_bytes: pickle.len() as i64,
                    pickle_md5: crate::hash::md5_hex(pickle),
                });
            }
            Ok(out)
        })
    }

    /// The calls of the prediction log, each with its number of records.
    pub fn log(&self) -> Result<PythonLog> {
        if !self.has("model_execution_log") {
            return Ok(PythonLog::default());
        }
        let t = "model_execution_log";
        self.read(|c| {
            let mut records: std::collections::HashMap<i64, u64> = Default::default();
            let mut stmt = c.prepare(
                "SELECT execution_log_id, COUNT(*) FROM execution_items WHERE id IN \
                 (SELECT id FROM execution_items GROUP BY id HAVING COUNT(*) = 1) \
                 GROUP BY execution_log_id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                if let Some(call) = lenient_int(row.get_ref(0)?) {
                    *records.entry(call).or_insert(0) += row.get::<_, i64>(1)?.max(0) as u64;
                }
            }
            let mut calls: Vec<PythonExecution> = Vec::new();
            let mut stmt = c.prepare(&format!(
                "SELECT id, deployable_id, {}, {} FROM model_execution_log ORDER BY id",
                self.col(t, "request_time"),
                self.col(t, "request_size")
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id = self.int(row, 0, t, i64::MIN, "id")?;
                calls.push(PythonExecution {
                    id,
                    deployable_id: self.int(row, 1, t, id, "deployable_id")?,
                    request_time: lenient_text(row.get_ref(2)?),
                    request_size: lenient_int(row.get_ref(3)?),
                    records: records.get(&id).copied().unwrap_or(0),
                });
            }
            let mut shared = std::collections::BTreeMap::new();
            for w in calls.windows(2) {
                if let [a, b] = w {
                    if a.id == b.id {
                        *shared.entry(a.id).or_insert(1) += 1;
                    }
                }
            }
            calls.retain(|c| !shared.contains_key(&c.id));
            Ok(PythonLog { calls, shared })
        })
    }

    /// Streams the records of the log: calls `f(call id, position in the call, record)` for
    /// every record whose call is in `log`, in record id order, with its input and output
    /// values in id order. Three ordered reads are merged (records by id, values by record
    /// id): memory holds one record at a time, whatever the size of the log. Returns the rows
    /// left out: calls that share an id (with what refers to them), records that share an id,
    /// and records and values whose call or record is not in the file. An error of `f` stops
    /// the reading and is returned as it is. Ids are read strictly as integers here (the
    /// order of the three reads depends on it).
    pub fn for_each_record(
        &self,
        log: &PythonLog,
        mut f: impl FnMut(i64, u64, PythonRecord) -> Result<()>,
    ) -> Result<Vec<Skipped>> {
        use rusqlite::types::Value;
        use std::collections::HashMap;
        if !self.has("model_execution_log") {
            return Ok(Vec::new());
        }
        let mut lost: Vec<LostRow> = Vec::new();
        let mut lost_calls: HashMap<i64, usize> = HashMap::new();
        for (&id, &n) in &log.shared {
            lost_calls.insert(id, lost.len());
            lost.push(LostRow::new(
                "model_execution_log",
                id,
                shared_id("model_execution_log", n),
            ));
        }
        let known: std::collections::HashSet<i64> = log.calls.iter().map(|c| c.id).collect();
        let mut positions: HashMap<i64, u64> = HashMap::new();
        let db = |e: rusqlite::Error| classify(e, &self.label);

        struct Item {
            id: i64,
            call: i64,
            reference_id: Option<String>,
        }
        struct Item2 {
            id: i64,
            item: i64,
            key: Option<String>,
            value: Value,
        }
        let t = "execution_items";
        let mut items_stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, execution_log_id, {} FROM execution_items ORDER BY id",
                self.col(t, "reference_id")
            ))
            .map_err(db)?;
        let mut items = items_stmt.query([]).map_err(db)?;
        let mut next_item = || -> Result<Option<Item>> {
            let Some(row) = items.next().map_err(db)? else {
                return Ok(None);
            };
            let id = self.strict_int(row, 0, t, i64::MIN, "id")?;
            Ok(Some(Item {
                id,
                call: self.strict_int(row, 1, t, id, "execution_log_id")?,
                reference_id: lenient_text(row.get_ref(2).map_err(db)?),
            }))
        };
        let mut req_stmt = self
            .conn
            .prepare(
                "SELECT id, execution_items_id, varname, in_value FROM request_items \
                 ORDER BY execution_items_id, id",
            )
            .map_err(db)?;
        let mut reqs = req_stmt.query([]).map_err(db)?;
        let mut next_req = || -> Result<Option<Item2>> {
            let t = "request_items";
            let Some(row) = reqs.next().map_err(db)? else {
                return Ok(None);
            };
            let id = self.int(row, 0, t, i64::MIN, "id")?;
            Ok(Some(Item2 {
                id,
                item: self.strict_int(row, 1, t, id, "execution_items_id")?,
                key: Some(self.text(row, 2, t, id, "varname")?),
                value: row.get(3).map_err(db)?,
            }))
        };
        let mut resp_stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, execution_items_id, {}, out_value FROM response_items \
                 ORDER BY execution_items_id, id",
                self.col("response_items", "classname")
            ))
            .map_err(db)?;
        let mut resps = resp_stmt.query([]).map_err(db)?;
        let mut next_resp = || -> Result<Option<Item2>> {
            let t = "response_items";
            let Some(row) = resps.next().map_err(db)? else {
                return Ok(None);
            };
            let id = self.int(row, 0, t, i64::MIN, "id")?;
            Ok(Some(Item2 {
                id,
                item: self.strict_int(row, 1, t, id, "execution_items_id")?,
                key: lenient_text(row.get_ref(2).map_err(db)?),
                value: row.get(3).map_err(db)?,
            }))
        };

        let (mut req, mut resp) = (next_req()?, next_resp()?);
        let mut item = next_item()?;
        while let Some(it) = item {
            // Rows with the same id follow each other: count them.
            let mut sharing = 1;
            item = next_item()?;
            while item.as_ref().is_some_and(|x| x.id == it.id) {
                sharing += 1;
                item = next_item()?;
            }
            // Values of records that are not in the file come first in value order.
            while let Some(v) = req.take_if(|v| v.item < it.id) {
                lost.push(LostRow::new("request_items", v.id, missing(t, v.item)));
                req = next_req()?;
            }
            while let Some(v) = resp.take_if(|v| v.item < it.id) {
                lost.push(LostRow::new("response_items", v.id, missing(t, v.item)));
                resp = next_resp()?;
            }
            let mut inputs = Vec::new();
            while let Some(v) = req.take_if(|v| v.item == it.id) {
                inputs.push((v.key.unwrap_or_default(), v.value));
                req = next_req()?;
            }
            let mut outputs = Vec::new();
            while let Some(v) = resp.take_if(|v| v.item == it.id) {
                outputs.push((v.key, v.value));
                resp = next_resp()?;
            }
            let (n_in, n_out) = (inputs.len() as u64, outputs.len() as u64);
            let li = if sharing > 1 {
                lost.push(LostRow::new(t, it.id, shared_id(t, sharing)));
                lost.len() - 1
            } else if let Some(&li) = lost_calls.get(&it.call) {
                lost[li].records += 1;
                li
            } else if !known.contains(&it.call) {
                lost.push(LostRow::new(
                    t,
                    it.id,
                    missing("model_execution_log", it.call),
                ));
                lost.len() - 1
            } else {
                let position = positions.entry(it.call).or_insert(0);
                let record = PythonRecord {
                    reference_id: it.reference_id,
                    inputs,
                    outputs,
                };
                f(it.call, *position, record)?;
                *position += 1;
                continue;
            };
            if let Some(l) = lost.get_mut(li) {
                l.inputs += n_in;
                l.outputs += n_out;
            }
        }
        while let Some(v) = req {
            lost.push(LostRow::new("request_items", v.id, missing(t, v.item)));
            req = next_req()?;
        }
        while let Some(v) = resp {
            lost.push(LostRow::new("response_items", v.id, missing(t, v.item)));
            resp = next_resp()?;
        }
        Ok(lost.into_iter().map(LostRow::finish).collect())
    }

    /// An integer stored as an integer (the ids the log's reads are ordered by).
    fn strict_int(
        &self,
        row: &rusqlite::Row<'_>,
        i: usize,
        t: &str,
        id: i64,
        c: &str,
    ) -> Result<i64> {
        match row.get_ref(i)? {
            ValueRef::Integer(n) => Ok(n),
            v => Err(self.damaged(t, id, c, v, "an integer")),
        }
    }
}

/// A row of the Python file that `import-legacy` leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its Python table.
    pub table: String,
    /// Its id there.
    pub id: i64,
    /// What it is: `"name" version N` for datasets and models, empty for rows of the log.
    pub what: String,
    /// Why it was left out, and what was left out with it.
    pub reason: String,
}

/// A skipped row of the log, and how many rows that refer to it were left out with it.
pub(crate) struct LostRow {
    table: &'static str,
    id: i64,
    reason: String,
    pub(crate) records: u64,
    pub(crate) inputs: u64,
    pub(crate) outputs: u64,
}

impl LostRow {
    pub(crate) fn new(table: &'static str, id: i64, reason: String) -> LostRow {
        LostRow {
            table,
            id,
            reason,
            records: 0,
            inputs: 0,
            outputs: 0,
        }
    }

    pub(crate) fn finish(self) -> Skipped {
        let n = |k: u64, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
        let with = match self.table {
            "model_execution_log" => vec![
                n(self.records, "record"),
                n(self.inputs, "input value"),
                n(self.outputs, "output value"),
            ],
            "execution_items" => vec![
                n(self.inputs, "input value"),
                n(self.outputs, "output value"),
            ],
            _ => Vec::new(),
        };
        let reason = match with.len() {
            0 => self.reason,
            _ => format!("{}; left out with it: {}", self.reason, with.join(", ")),
        };
        Skipped {
            table: self.table.to_string(),
            id: self.id,
            what: String::new(),
            reason,
        }
    }
}

/// Why a row that refers to `table` id `id` is left out when that row is not in the file.
pub(crate) fn missing(table: &str, id: i64) -> String {
    format!("it refers to {table} id {id}, which is not in the file")
}

/// Why rows sharing an id are all left out.
pub(crate) fn shared_id(table: &str, n: usize) -> String {
    format!(
        "{n} rows of {table} have this id, so what refers to it is ambiguous (the Python tool \
         never writes that: the file was altered); all {n} are left out: give each its own id \
         with sqlite3 and import again"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::config::DbConfig;

    #[test]
    fn the_python_file_is_opened_defensively() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/legacy-python-a5c890b.db");
        let src = open_python_registry(&path).unwrap();
        let c = &src.conn;
        assert!(c.db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE).unwrap());
        assert!(!c
            .db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA)
            .unwrap());
        assert!(!c
            .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER)
            .unwrap());
        assert!(!c.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW).unwrap());
        assert!(!c
            .db_config(DbConfig::SQLITE_DBCONFIG_WRITABLE_SCHEMA)
            .unwrap());
        let trusted: i64 = c
            .query_row("PRAGMA trusted_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(trusted, 0);
        assert!(c.is_readonly(rusqlite::MAIN_DB).unwrap());
    }
}
