//! The SQLite backend: every SQL statement mlops-lite runs on a SQLite registry.
//!
//! It opens and checks database files (header, truncation, foreign files, newer formats; then
//! `check.rs` compares the schema with its format's), applies the schema migrations
//! ([`MIGRATIONS`]: `schema/v*.sql`, keyed by `PRAGMA user_version`), and reads and writes
//! the registry tables, the per-dataset data tables, and the `legacy_*` tables that
//! [`crate::legacy`] fills from registries of the Python mlops-lite. [`super::Db`] and
//! [`super::Tx`] call these functions; [`super::pg`] holds the same statements for
//! PostgreSQL.

use std::path::Path;

use rusqlite::types::{Null, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::legacy_reader::{PythonDataset, PythonDeployable};
use super::types::{
    damaged, empty_columns, finish_dataset, push_logged, Cell, DatasetEntry, LegacyCounts,
    LegacyModelEntry, LogFilter, LogRecord, LoggedCall, LoggedRecord, ModelEntry, ModelRow,
    NewDataset, NewModel, DATASET_COLUMNS, MODEL_COLUMNS,
};
use super::{check, check_time, locks, quote_ident, run_beside, SCHEMA_VERSION};
use crate::dataset::{ColumnInfo, DType, Dataset, Values};
use crate::error::{Error, Result};

/// `PRAGMA application_id` of an mlops-lite registry: "MLOP" in ASCII.
pub const APPLICATION_ID: i32 = 0x4d4c_4f50;

/// Migration `i` takes a database from format `i` to format `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    include_str!("schema/v1.sql"),
    include_str!("schema/v2.sql"),
    include_str!("schema/v3.sql"),
    include_str!("schema/v4.sql"),
];

fn dataset_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<DatasetEntry> {
    Ok(DatasetEntry {
        id: row.get(0)?,
        name: row.get(1)?,
        version: row.get(2)?,
        size_cols: row.get(3)?,
        size_rows: row.get(4)?,
        description: row.get(5)?,
        created_at: row.get(6)?,
        md5: row.get(7)?,
        data_table: row.get(8)?,
    })
}

/// Maps SQLite's "this is not a database / it is damaged" errors to clear errors.
pub(crate) fn classify(e: rusqlite::Error, label: &str) -> Error {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::NotARegistry {
            path: label.to_string(),
            reason: "it is not a SQLite database".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: label.to_string(),
            reason: format!("SQLite reports {e}"),
        },
        _ => Error::Database(e),
    }
}

/// Checks the 100-byte SQLite header of a file or buffer: the magic string, and that the
/// content is as long as the header says (a truncated copy is refused before SQLite reads it).
pub(crate) fn check_header(
    bytes_head: &[u8],
    total_len: u64,
    label: &str,
    wal_present: bool,
) -> Result<()> {
    const MAGIC: &[u8] = b"SQLite format 3\0";
    if total_len == 0 {
        return Ok(());
    }
    if !bytes_head.starts_with(MAGIC) {
        if bytes_head.len() < MAGIC.len() && MAGIC.starts_with(bytes_head) {
            return Err(Error::Corrupt {
                path: label.into(),
                reason: format!("it is truncated to {total_len} bytes, inside the SQLite header"),
            });
        }
        return Err(Error::NotARegistry {
            path: label.into(),
            reason: "it is not a SQLite database (its first bytes are not \"SQLite format 3\")"
                .into(),
        });
    }
    if bytes_head.len() < 100 {
        return Err(Error::Corrupt {
            path: label.into(),
            reason: format!(
                "it is truncated to {total_len} bytes, inside the 100-byte SQLite header"
            ),
        });
    }
    let page_size = match u16::from_be_bytes([bytes_head[16], bytes_head[17]]) {
        1 => 65536u64,
        n => n as u64,
    };
    let change_counter = &bytes_head[24..28];
    let valid_for = &bytes_head[92..96];
    let page_count = u32::from_be_bytes(bytes_head[28..32].try_into().expect("4 bytes")) as u64;
    if !wal_present && page_size >= 512 && change_counter == valid_for && page_count > 0 {
        let expected = page_size * page_count;
        if total_len < expected {
            return Err(Error::Corrupt {
                path: label.into(),
                reason: format!(
                    "it is truncated: its header says {page_count} pages of {page_size} bytes \
                     ({expected} bytes), but it has {total_len} bytes"
                ),
            });
        }
    }
    Ok(())
}

/// Reads the 100-byte header of the file at `path` and checks it (see [`check_header`]).
/// Returns whether the file exists.
fn check_file(path: &Path, label: &str) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            if meta.is_dir() {
                return Err(Error::InvalidArgument(format!(
                    "{label} is a directory; pass the path of a registry file"
                )));
            }
            let mut head = Vec::with_capacity(100);
            use std::io::Read;
            std::fs::File::open(path)
                .and_then(|f| f.take(100).read_to_end(&mut head))
                .map_err(|e| Error::io(label, e))?;
            let wal = path.with_file_name(format!(
                "{}-wal",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ));
            check_header(&head, meta.len(), label, wal.exists())?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(label, e)),
    }
}

fn not_there(label: &str) -> Error {
    Error::NotFound(format!(
        "{label} does not exist; bind a dataset first (`mlops-lite --db {label} dataset add --sample iris`) or check the path"
    ))
}

fn open_flags(path: &Path, label: &str, flags: OpenFlags) -> Result<Connection> {
    Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(|e| match e
        .sqlite_error_code()
    {
        Some(rusqlite::ErrorCode::CannotOpen) => Error::Io {
            path: label.to_string(),
            source: std::io::Error::other(format!(
                "cannot open it ({e}); check that its folder exists and is writable"
            )),
        },
        _ => classify(e, label),
    })
}

/// How long a command waits for another writer's lock before it gives up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens the database file at `path` as a registry to write to, creating it when `create`
/// is set. The file is checked (`store::check`) before anything is written; then it is switched to
/// WAL and migrated to the current format when older.
pub fn open_file(path: &Path, create: bool) -> Result<Connection> {
    let label = path.display().to_string();
    if !check_file(path, &label)? && !create {
        return Err(not_there(&label));
    }
    let conn = open_flags(
        path,
        &label,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    prepare(&conn, &label, Mode::Write { file: true })?;
    Ok(conn)
}

/// Sets `synchronous` for `durability` (see [`super::Durability`]): `NORMAL` (what
/// [`open_file`] sets with WAL) or `FULL` (each commit waits until the WAL is on the disk).
#[cfg(not(target_arch = "wasm32"))]
pub fn set_durability(conn: &Connection, durability: super::Durability) -> Result<()> {
    let level = match durability {
        super::Durability::Normal => "NORMAL",
        super::Durability::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", level)?;
    Ok(())
}

/// The durability in effect on `conn`, from `PRAGMA synchronous` (`FULL` or `EXTRA`: full,
/// `NORMAL`: normal); `None` in memory. `OFF` (never set by mlops-lite: a commit would
/// survive no crash of the system) is an error.
#[cfg(not(target_arch = "wasm32"))]
pub fn durability(conn: &Connection) -> Result<Option<super::Durability>> {
    if conn.path().is_none_or(str::is_empty) {
        return Ok(None);
    }
    let level: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
    match level {
        1 => Ok(Some(super::Durability::Normal)),
        2 | 3 => Ok(Some(super::Durability::Full)),
        other => Err(Error::InvalidArgument(format!(
            "{}: PRAGMA synchronous is {other} (OFF), which mlops-lite never sets; open the \
             registry again",
            conn.path().unwrap_or_default()
        ))),
    }
}

/// Opens the registry file at `path` for reading only: the connection is `query_only`, so no
/// statement can change the file, and nothing else is done to it (no migration, no switch of
/// its journal mode). A file of an older format is refused with [`Error::OlderFormat`].
///
/// It is not opened with `SQLITE_OPEN_READONLY`: a read-only connection to a WAL file leaves
/// `-wal` and `-shm` files behind, where a read-write one removes them when it closes, as
/// every other reader does (closing checkpoints only frames that other writers committed).
pub fn open_file_read_only(path: &Path) -> Result<Connection> {
    let label = path.display().to_string();
    if !check_file(path, &label)? {
        return Err(not_there(&label));
    }
    let conn = open_flags(path, &label, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.pragma_update(None, "query_only", true)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    prepare(&conn, &label, Mode::Read)?;
    Ok(conn)
}

/// Opens a new, empty in-memory registry.
pub fn open_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    prepare(&conn, "<memory>", Mode::Write { file: false })?;
    Ok(conn)
}

/// Opens a registry from the bytes of a database file, in memory.
pub fn open_bytes(bytes: &[u8]) -> Result<Connection> {
    let label = "<bytes>";
    check_header(
        &bytes[..bytes.len().min(100)],
        bytes.len() as u64,
        label,
        false,
    )?;
    let mut conn = Connection::open_in_memory()?;
    check::harden(&conn)?;
    if !bytes.is_empty() {
        let mut owned = bytes.to_vec();
        // A file saved in WAL mode cannot be deserialized as is: mark it rollback-journal.
        if owned.len() >= 20 && owned[18] == 2 && owned[19] == 2 {
            owned[18] = 1;
            owned[19] = 1;
        }
        let len = owned.len();
        conn.deserialize_read_exact(rusqlite::MAIN_DB, &owned[..], len, false)
            .map_err(|e| classify(e, label))?;
    }
    prepare(&conn, label, Mode::Write { file: false })?;
    Ok(conn)
}

/// The whole database as the bytes of a database file (rollback-journal mode, so that any
/// SQLite, including sql.js and the wasm build, can open it).
pub fn to_bytes(conn: &mut Connection) -> Result<Vec<u8>> {
    let data = conn.serialize(rusqlite::MAIN_DB)?;
    let mut out = data.to_vec();
    if out.len() >= 20 && out[18] == 2 {
        out[18] = 1;
        out[19] = 1;
    }
    Ok(out)
}

pub(super) fn user_tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    let names = stmt.query_map([], |r| r.get(0))?.collect();
    names
}

/// How a connection will be used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only read: nothing is written, an older format is refused.
    Read,
    /// Written to: created or migrated when needed; a file is switched to WAL.
    Write {
        /// A file on disk (not memory or bytes).
        file: bool,
    },
}

/// Checks that `conn` is an mlops-lite registry (or empty) whose schema is exactly the one
/// its format defines, then (for writing) creates or migrates it. A foreign, altered or newer
/// database is refused before anything is written to it.
fn prepare(conn: &Connection, label: &str, mode: Mode) -> Result<()> {
    check::harden(conn)?;
    // Format, owner, tables and schema are read in one read transaction, so they are one
    // state: another process may be creating this very file right now.
    let checked = || -> Result<(i64, bool)> {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let tables = user_tables(conn)?;
        check_state(version, app, &tables, label)?;
        check::check_schema(conn, version, label)?;
        Ok((version, tables.is_empty()))
    };
    let snapshot = || -> Result<(i64, bool)> {
        conn.execute_batch("BEGIN")
            .map_err(|e| classify(e, label))?;
        let state = checked().map_err(|e| match e {
            Error::Database(e) => classify(e, label),
            e => e,
        });
        let end = conn.execute_batch(if state.is_ok() { "COMMIT" } else { "ROLLBACK" });
        let state = state?;
        end?;
        Ok(state)
    };
    let (version, empty) = snapshot()?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let file = match mode {
        Mode::Read if empty => {
            return Err(Error::NotARegistry {
                path: label.into(),
                reason: format!(
                    "it is empty: no registry was written to it yet; bind a dataset first \
                     (`mlops-lite --db {label} dataset add --sample iris`)"
                ),
            })
        }
        Mode::Read if version < SCHEMA_VERSION => {
            return Err(Error::OlderFormat {
                path: label.into(),
                found: version,
                supported: SCHEMA_VERSION,
            })
        }
        Mode::Read => return Ok(()),
        Mode::Write { file } => file,
    };
    if file {
        // WAL: readers do not block the writer, and a commit is one append (fast logging).
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| busy_or(e, conn, label))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Database(rusqlite::Error::InvalidQuery));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| busy_or(e, conn, label))?;
    let result = (|| -> Result<()> {
        // Another process may have migrated it while we waited for the lock.
        let (version, _) = checked()?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.execute(
            "INSERT OR REPLACE INTO mlops_meta (key, value) VALUES ('format', 'mlops-lite registry'), ('written_by', ?1)",
            [concat!("mlops-lite ", env!("CARGO_PKG_VERSION"))],
        )?;
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    Ok(())
}

/// A write lock that could not be taken within [`BUSY_TIMEOUT`] becomes [`Error::Busy`],
/// naming the processes that hold a lock on the file where the system tells; any other error
/// is classified as usual.
pub(crate) fn busy_or(e: rusqlite::Error, conn: &Connection, label: &str) -> Error {
    busy_at(e, conn.path(), label)
}

/// [`busy_or`] for a connection whose file is `path`.
pub(crate) fn busy_at(e: rusqlite::Error, path: Option<&str>, label: &str) -> Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
        let path = path.filter(|p| !p.is_empty()).map(Path::new);
        return Error::Busy {
            path: label.to_string(),
            holders: path.map(locks::holders).unwrap_or_default(),
            waited_secs: BUSY_TIMEOUT.as_secs(),
        };
    }
    classify(e, label)
}

fn check_state(version: i64, app: i32, tables: &[String], label: &str) -> Result<()> {
    if app != 0 && app != APPLICATION_ID {
        return Err(Error::NotARegistry {
            path: label.into(),
            reason: format!("its application_id 0x{app:08x} belongs to another program"),
        });
    }
    if version > SCHEMA_VERSION && app == APPLICATION_ID {
        return Err(Error::NewerFormat {
            path: label.into(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let ours = app == APPLICATION_ID && tables.iter().any(|t| t == "mlops_meta");
    if !ours && !tables.is_empty() {
        let reason = if tables.iter().any(|t| t == "dataset_registry") {
            let old = if label.starts_with('<') {
                "OLD.db"
            } else {
                label
            };
            format!(
                "it is a registry of the Python mlops-lite (it has a dataset_registry table) and \
                 was not changed; import it into a new registry with \
                 `mlops-lite import-legacy {old} --db NEW.db`"
            )
        } else {
            let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
            format!(
                "it holds other tables ({}{}); mlops-lite only writes into its own registry \
                 files: choose a new path",
                shown.join(", "),
                if tables.len() > 5 { ", ..." } else { "" }
            )
        };
        return Err(Error::NotARegistry {
            path: label.into(),
            reason,
        });
    }
    if !ours && version != 0 {
        return Err(Error::NotARegistry {
            path: label.into(),
            reason: format!("it has user_version {version} but no mlops-lite tables"),
        });
    }
    Ok(())
}

/// The dataset `name` with content `md5`, if bound.
pub fn find_dataset_by_md5(
    conn: &Connection,
    name: &str,
    md5: &str,
) -> Result<Option<DatasetEntry>> {
    Ok(conn
        .query_row(
            &format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE name = ?1 AND md5 = ?2 ORDER BY version LIMIT 1"),
            params![name, md5],
            dataset_entry,
        )
        .optional()?)
}

/// The dataset `name` bound from a source with this fingerprint, if any.
pub fn find_dataset_by_fingerprint(
    conn: &Connection,
    name: &str,
    fingerprint: &str,
) -> Result<Option<DatasetEntry>> {
    Ok(conn
        .query_row(
            &format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE name = ?1 AND source_fingerprint = ?2 ORDER BY version LIMIT 1"),
            params![name, fingerprint],
            dataset_entry,
        )
        .optional()?)
}

/// Every dataset version, by id.
pub fn list_datasets(conn: &Connection) -> Result<Vec<DatasetEntry>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {DATASET_COLUMNS} FROM datasets ORDER BY id"
    ))?;
    let rows = stmt.query_map([], dataset_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The dataset with this id.
pub fn dataset_by_id(conn: &Connection, id: i64) -> Result<Option<DatasetEntry>> {
    Ok(conn
        .query_row(
            &format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE id = ?1"),
            [id],
            dataset_entry,
        )
        .optional()?)
}

/// The dataset `name` at `version`, or its latest version when `version` is `None`.
pub fn dataset_by_name(
    conn: &Connection,
    name: &str,
    version: Option<i64>,
) -> Result<Option<DatasetEntry>> {
    Ok(match version {
        Some(v) => conn
            .query_row(
                &format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE name = ?1 AND version = ?2"),
                params![name, v],
                dataset_entry,
            )
            .optional()?,
        None => conn
            .query_row(
                &format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE name = ?1 ORDER BY version DESC LIMIT 1"),
                [name],
                dataset_entry,
            )
            .optional()?,
    })
}

/// The stored column summaries of dataset `id`, in column order.
pub fn column_infos(conn: &Connection, id: i64) -> Result<Vec<ColumnInfo>> {
    let mut stmt = conn.prepare(
        "SELECT column_name, original_dtype, converted_dtype, null_count, unique_count, \
         min_value_num, max_value_num, mean, std FROM dataset_columns WHERE dataset_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(ColumnInfo {
            column_name: r.get(0)?,
            original_dtype: r.get(1)?,
            converted_dtype: r.get(2)?,
            null_count: r.get::<_, i64>(3)? as u64,
            unique_count: r.get::<_, i64>(4)? as u64,
            min_value_num: r.get(5)?,
            max_value_num: r.get(6)?,
            mean: r.get(7)?,
            std: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Inserts a new version of a dataset inside `tx`: the `datasets` row, its data table with
/// every row, and its column summaries (computed by `stats`, which runs on another thread
/// while the rows are inserted, natively).
pub fn insert_dataset(
    tx: &Connection,
    new: &NewDataset<'_>,
    data: &Dataset,
    stats: impl FnOnce() -> Vec<ColumnInfo> + Send,
) -> Result<DatasetEntry> {
    let version: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM datasets WHERE name = ?1",
        [new.name],
        |r| r.get(0),
    )?;
    insert_dataset_version(tx, new, data, stats, version)
}

/// Like [`insert_dataset`], at an explicit `version` of `new.name` (the import of Python
/// registries keeps their versions). A version already taken under that name is refused by
/// the `UNIQUE (name, version)` constraint.
pub fn insert_dataset_version(
    tx: &Connection,
    new: &NewDataset<'_>,
    data: &Dataset,
    stats: impl FnOnce() -> Vec<ColumnInfo> + Send,
    version: i64,
) -> Result<DatasetEntry> {
    let id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM datasets", [], |r| {
        r.get(0)
    })?;
    let table = format!("data_{id}");
    tx.execute(
        "INSERT INTO datasets (id, name, version, description, size_rows, size_cols, md5, data_table, source_format, source_fingerprint, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, COALESCE(?11, strftime('%Y-%m-%d %H:%M:%S', 'now')))",
        params![
            id,
            new.name,
            version,
            new.description,
            data.rows() as i64,
            data.columns().len() as i64,
            new.md5,
            table,
            new.source_format,
            new.source_fingerprint,
            new.created_at
        ],
    )?;
    let defs: Vec<(&str, DType)> = data
        .columns()
        .iter()
        .map(|c| (c.name.as_str(), c.values.dtype()))
        .collect();
    tx.execute_batch(&check::data_table_sql(&table, &defs))?;

    let (infos, (block_size, hashes)) = run_beside(
        || (stats(), data.row_hashes()),
        || insert_rows(tx, &table, data),
    )?;
    let mut stmt = tx.prepare(
        "INSERT INTO dataset_row_hashes (dataset_id, block, block_size, xxh3) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (b, h) in hashes.iter().enumerate() {
        stmt.execute(params![id, b as i64, block_size as i64, *h as i64])?;
    }
    drop(stmt);

    let mut stmt = tx.prepare(
        "INSERT INTO dataset_columns (dataset_id, position, column_name, original_dtype, converted_dtype, \
         null_count, unique_count, min_value_num, max_value_num, mean, std) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (i, c) in infos.iter().enumerate() {
        stmt.execute(params![
            id,
            i as i64,
            c.column_name,
            c.original_dtype,
            c.converted_dtype,
            c.null_count as i64,
            c.unique_count as i64,
            c.min_value_num,
            c.max_value_num,
            c.mean,
            c.std
        ])?;
    }
    drop(stmt);
    Ok(dataset_by_id(tx, id)?.expect("the row was just inserted"))
}

fn insert_rows(tx: &Connection, table: &str, data: &Dataset) -> Result<()> {
    let n = data.columns().len();
    let placeholders = vec!["?"; n].join(", ");
    let mut stmt = tx.prepare(&format!(
        "INSERT INTO {} VALUES ({placeholders})",
        quote_ident(table)
    ))?;
    for r in 0..data.rows() {
        for (i, c) in data.columns().iter().enumerate() {
            let p = i + 1;
            match &c.values {
                Values::Integer(v) => match v[r] {
                    Some(x) => stmt.raw_bind_parameter(p, x)?,
                    None => stmt.raw_bind_parameter(p, Null)?,
                },
                Values::Float(v) => {
                    if v[r].is_nan() {
                        stmt.raw_bind_parameter(p, Null)?
                    } else {
                        stmt.raw_bind_parameter(p, v[r])?
                    }
                }
                Values::Boolean(v) => match v[r] {
                    Some(b) => stmt.raw_bind_parameter(p, b as i64)?,
                    None => stmt.raw_bind_parameter(p, Null)?,
                },
                Values::String(v) => match &v[r] {
                    Some(s) => stmt.raw_bind_parameter(p, s.as_str())?,
                    None => stmt.raw_bind_parameter(p, Null)?,
                },
            }
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

/// Reads the rows of a dataset back from its data table, in insertion order, typed by the
/// stored column metadata. Values of the wrong type (a hand-edited table) are reported as
/// damage, naming the row and column.
pub fn read_dataset(conn: &Connection, entry: &DatasetEntry, label: &str) -> Result<Dataset> {
    let infos = column_infos(conn, entry.id)?;
    let damaged = |reason: String| damaged(label, entry, reason);
    let (types, mut cols) = empty_columns(entry, label, &infos)?;
    let names: Vec<&str> = infos.iter().map(|c| c.column_name.as_str()).collect();
    let order = ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|alias| !names.iter().any(|n| n.eq_ignore_ascii_case(alias)))
        .map(|alias| format!(" ORDER BY {alias}"))
        .unwrap_or_default();
    let select: Vec<String> = names.iter().map(|n| quote_ident(n)).collect();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {} FROM {}{order}",
            select.join(", "),
            quote_ident(&entry.data_table)
        ))
        .map_err(|e| damaged(format!("cannot read it: {e}")))?;
    let mut q = stmt.query([])?;
    let mut r = 0usize;
    while let Some(row) = q.next()? {
        r += 1;
        for (i, col) in cols.iter_mut().enumerate() {
            let v = row.get_ref(i)?;
            let bad = |v: ValueRef<'_>| {
                damaged(format!(
                    "row {r}, column {:?}: found {:?} in a {} column",
                    names[i],
                    v.data_type(),
                    types[i].name()
                ))
            };
            match (col, v) {
                (Values::Integer(c), ValueRef::Integer(x)) => c.push(Some(x)),
                (Values::Integer(c), ValueRef::Null) => c.push(None),
                (Values::Float(c), ValueRef::Real(x)) => c.push(x),
                (Values::Float(c), ValueRef::Integer(x)) => c.push(x as f64),
                (Values::Float(c), ValueRef::Null) => c.push(f64::NAN),
                (Values::Boolean(c), ValueRef::Integer(x @ (0 | 1))) => c.push(Some(x == 1)),
                (Values::Boolean(c), ValueRef::Null) => c.push(None),
                (Values::String(c), ValueRef::Text(t)) => c.push(Some(
                    std::str::from_utf8(t).map_err(|_| bad(v))?.to_string(),
                )),
                (Values::String(c), ValueRef::Null) => c.push(None),
                _ => return Err(bad(v)),
            }
        }
    }
    finish_dataset(entry, label, infos, cols, r)
}

fn model_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<ModelEntry> {
    let metrics: String = row.get(7)?;
    Ok(ModelEntry {
        id: row.get(0)?,
        name: row.get(1)?,
        version: row.get(2)?,
        dataset_registry_id: row.get(3)?,
        estimator_class: row.get(4)?,
        estimator_type: row.get(5)?,
        description: row.get(6)?,
        metrics: serde_json::from_str(&metrics).unwrap_or(serde_json::Value::Null),
        created_at: row.get(8)?,
        target: row.get(9)?,
        artifact_md5: row.get(10)?,
    })
}

/// The dataset with this md5, preferring `name@version`.
pub fn dataset_for_lineage(
    conn: &Connection,
    name: &str,
    version: i64,
    md5: &str,
) -> Result<Option<DatasetEntry>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {DATASET_COLUMNS} FROM datasets WHERE md5 = ?3 \
                 ORDER BY (name = ?1 AND version = ?2) DESC, id LIMIT 1"
            ),
            params![name, version, md5],
            dataset_entry,
        )
        .optional()?)
}

/// The model `name` with this artifact md5, if bound.
pub fn find_model_by_md5(conn: &Connection, name: &str, md5: &str) -> Result<Option<ModelEntry>> {
    Ok(conn
        .query_row(
            &format!("SELECT {MODEL_COLUMNS} FROM models WHERE name = ?1 AND artifact_md5 = ?2 ORDER BY version LIMIT 1"),
            params![name, md5],
            model_entry,
        )
        .optional()?)
}

/// Inserts the next version of model `new.name`.
pub fn insert_model(tx: &Connection, new: &NewModel<'_>) -> Result<ModelEntry> {
    let version: i64 = match new.version {
        Some(v) => v,
        None => tx.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE name = ?1",
            [new.name],
            |r| r.get(0),
        )?,
    };
    tx.execute(
        "INSERT INTO models (name, version, dataset_id, target, estimator_class, estimator_type, description, \
         metrics, signature, classes, artifact, artifact_md5, artifact_format, mlops_lite_version, smartcore_version, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, COALESCE(?16, strftime('%Y-%m-%d %H:%M:%S', 'now')))",
        params![
            new.name,
            version,
            new.dataset_id,
            new.target,
            new.estimator_class,
            new.estimator_type,
            new.description,
            new.metrics,
            new.signature,
            new.classes,
            new.artifact,
            new.artifact_md5,
            new.artifact_format,
            new.mlops_lite_version,
            new.smartcore_version,
            new.created_at
        ],
    )?;
    let id = tx.last_insert_rowid();
    Ok(model_by_id(tx, id)?.expect("the row was just inserted"))
}

/// Every model version, by id.
pub fn list_models(conn: &Connection) -> Result<Vec<ModelEntry>> {
    let mut stmt = conn.prepare(&format!("SELECT {MODEL_COLUMNS} FROM models ORDER BY id"))?;
    let rows = stmt.query_map([], model_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The model with this id.
pub fn model_by_id(conn: &Connection, id: i64) -> Result<Option<ModelEntry>> {
    Ok(conn
        .query_row(
            &format!("SELECT {MODEL_COLUMNS} FROM models WHERE id = ?1"),
            [id],
            model_entry,
        )
        .optional()?)
}

/// The model `name` at `version`, or its latest version.
pub fn model_by_name(
    conn: &Connection,
    name: &str,
    version: Option<i64>,
) -> Result<Option<ModelEntry>> {
    Ok(match version {
        Some(v) => conn
            .query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM models WHERE name = ?1 AND version = ?2"),
                params![name, v],
                model_entry,
            )
            .optional()?,
        None => conn
            .query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM models WHERE name = ?1 ORDER BY version DESC LIMIT 1"),
                [name],
                model_entry,
            )
            .optional()?,
    })
}

/// The artifact bytes of model `id`.
pub fn model_artifact(conn: &Connection, id: i64) -> Result<Vec<u8>> {
    Ok(
        conn.query_row("SELECT artifact FROM models WHERE id = ?1", [id], |r| {
            Ok(match r.get_ref(0)? {
                ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
                _ => Vec::new(),
            })
        })?,
    )
}

/// Records per multi-row `INSERT` of [`insert_prediction_log`]: one statement step then
/// inserts this many rows through one open cursor, which stays on the b-tree's last leaf
/// (an append seeks from there, not from the root) and pays the statement's start and
/// reset once per chunk. 5 parameters a row: 320 in all, far under SQLite's limit.
const LOG_CHUNK: usize = 64;

/// The `INSERT` of [`LOG_CHUNK`] records: `(?1, ?2, ?3, ?4, ?5), (?6, ...), ...`.
fn log_chunk_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let rows: Vec<String> = (0..LOG_CHUNK)
            .map(|r| {
                let p = r * 5;
                format!("(?{}, ?{}, ?{}, ?{}, ?{})", p + 1, p + 2, p + 3, p + 4, p + 5)
            })
            .collect();
        format!(
            "INSERT INTO prediction_records (call_id, position, reference_id, inputs, outputs) VALUES {}",
            rows.join(", ")
        )
    })
}

/// Page cache a logged record may need, in bytes: ~110 bytes of b-tree page per record
/// (README: "log size") plus SQLite's per-page bookkeeping, with room to spare.
const LOG_CACHE_PER_RECORD: usize = 160;

/// Calls of at least this many records raise the page cache while they insert (below it,
/// the default 2,000 KiB holds the whole call).
const LOG_LARGE_CALL: usize = 8_192;

/// Logs one prediction call and its `n` records inside `tx`; returns the call id.
/// `record(i, inputs, outputs)` writes record `i`'s inputs and outputs JSON into the two
/// (reused) buffers and returns its reference id. Records go in chunks of `LOG_CHUNK`
/// rows per statement, the rest one row per statement.
///
/// A large call raises the connection's page cache while it inserts, to
/// `LOG_CACHE_PER_RECORD` bytes a record (at most 160 MB, for the largest batch of
/// 1,000,000 records): the call's new pages then stay in memory until its commit writes
/// each once to the WAL, instead of being spilled to the WAL mid-transaction, read back and
/// rewritten when a b-tree balance touches them again. The setting is put back before this
/// returns; the memory is the call's dirty pages (~110 MB for 1,000,000 records), freed once
/// the commit has written them. Durability is unchanged (same WAL, same syncs).
pub fn insert_prediction_log<'p>(
    tx: &Connection,
    model_id: i64,
    dataset_id: i64,
    latency_us: i64,
    n: usize,
    record: impl FnMut(usize, &mut String, &mut String) -> Option<&'p str>,
) -> Result<i64> {
    if n < LOG_LARGE_CALL {
        return insert_log_records(tx, model_id, dataset_id, latency_us, n, record);
    }
    let previous: i64 = tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    let page_size: i64 = tx.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    // `cache_size` is pages when positive, KiB when negative.
    let previous_kib = if previous < 0 {
        -previous
    } else {
        previous.saturating_mul(page_size) / 1024
    };
    let wanted_kib = (n.saturating_mul(LOG_CACHE_PER_RECORD) / 1024) as i64;
    if wanted_kib <= previous_kib {
        return insert_log_records(tx, model_id, dataset_id, latency_us, n, record);
    }
    tx.pragma_update(None, "cache_size", -wanted_kib)?;
    let logged = insert_log_records(tx, model_id, dataset_id, latency_us, n, record);
    let restored = tx.pragma_update(None, "cache_size", previous);
    let call = logged?;
    restored?;
    Ok(call)
}

/// [`insert_prediction_log`] at the connection's cache size.
fn insert_log_records<'p>(
    tx: &Connection,
    model_id: i64,
    dataset_id: i64,
    latency_us: i64,
    n: usize,
    mut record: impl FnMut(usize, &mut String, &mut String) -> Option<&'p str>,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO prediction_calls (model_id, dataset_id, n_records, latency_us) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![model_id, dataset_id, n as i64, latency_us])?;
    let call = tx.last_insert_rowid();
    let chunked = n - n % LOG_CHUNK;
    if chunked > 0 {
        let mut stmt = tx.prepare_cached(log_chunk_sql())?;
        let mut texts: Vec<(String, String)> = vec![Default::default(); LOG_CHUNK];
        let mut references: Vec<Option<&'p str>> = vec![None; LOG_CHUNK];
        for r in 0..LOG_CHUNK {
            stmt.raw_bind_parameter(r * 5 + 1, call)?;
        }
        for start in (0..chunked).step_by(LOG_CHUNK) {
            for (r, ((inputs, outputs), reference)) in
                texts.iter_mut().zip(&mut references).enumerate()
            {
                *reference = record(start + r, inputs, outputs);
            }
            for (r, ((inputs, outputs), reference)) in texts.iter().zip(&references).enumerate() {
                bind_log_row(&mut stmt, r * 5, start + r, *reference, inputs, outputs)?;
            }
            stmt.raw_execute()?;
        }
    }
    if chunked < n {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO prediction_records (call_id, position, reference_id, inputs, outputs) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let (mut inputs, mut outputs) = (String::new(), String::new());
        stmt.raw_bind_parameter(1, call)?;
        for i in chunked..n {
            let reference = record(i, &mut inputs, &mut outputs);
            bind_log_row(&mut stmt, 0, i, reference, &inputs, &outputs)?;
            stmt.raw_execute()?;
        }
    }
    Ok(call)
}

/// Binds one log row's position, reference id, inputs and outputs to the parameters after
/// `offset` (its call id, parameter `offset + 1`, is bound once per statement).
fn bind_log_row(
    stmt: &mut rusqlite::CachedStatement<'_>,
    offset: usize,
    position: usize,
    reference: Option<&str>,
    inputs: &str,
    outputs: &str,
) -> Result<()> {
    stmt.raw_bind_parameter(offset + 2, position as i64)?;
    match reference {
        Some(r) => stmt.raw_bind_parameter(offset + 3, r)?,
        None => stmt.raw_bind_parameter(offset + 3, Null)?,
    }
    stmt.raw_bind_parameter(offset + 4, inputs)?;
    stmt.raw_bind_parameter(offset + 5, outputs)?;
    Ok(())
}

/// Logged records matching `filter`, oldest first (the newest `limit` ones when set).
pub fn query_log(conn: &Connection, filter: &LogFilter) -> Result<Vec<LogRecord>> {
    let since = filter.since.as_deref().map(check_time).transpose()?;
    let until = filter.until.as_deref().map(check_time).transpose()?;
    let sql = "SELECT c.id, r.position, c.created_at, m.id, m.name, m.version, r.reference_id, r.inputs, r.outputs \
         FROM prediction_records r JOIN prediction_calls c ON c.id = r.call_id JOIN models m ON m.id = c.model_id \
         WHERE (?1 IS NULL OR c.model_id = ?1) AND (?2 IS NULL OR r.reference_id = ?2) \
         AND (?3 IS NULL OR c.created_at >= ?3) AND (?4 IS NULL OR c.created_at < ?4) \
         ORDER BY c.id DESC, r.position DESC LIMIT ?5 OFFSET ?6";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(
        params![
            filter.model_id,
            filter.reference_id,
            since,
            until,
            filter.limit.unwrap_or(-1),
            filter.offset.unwrap_or(0).max(0)
        ],
        |r| {
            let inputs: String = r.get(7)?;
            let outputs: String = r.get(8)?;
            Ok(LogRecord {
                call_id: r.get(0)?,
                position: r.get(1)?,
                created_at: r.get(2)?,
                model_id: r.get(3)?,
                model_name: r.get(4)?,
                model_version: r.get(5)?,
                reference_id: r.get(6)?,
                inputs: serde_json::from_str(&inputs).unwrap_or(serde_json::Value::String(inputs)),
                outputs: serde_json::from_str(&outputs)
                    .unwrap_or(serde_json::Value::String(outputs)),
            })
        },
    )?;
    let mut all: Vec<LogRecord> = rows.collect::<rusqlite::Result<_>>()?;
    all.reverse();
    Ok(all)
}

/// The source format and fingerprint of dataset `id`.
pub fn dataset_source(conn: &Connection, id: i64) -> Result<(Option<String>, Option<String>)> {
    Ok(conn.query_row(
        "SELECT source_format, source_fingerprint FROM datasets WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Every stored field of model `id`.
pub fn model_row(conn: &Connection, id: i64) -> Result<ModelRow> {
    let entry = model_by_id(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("model id {id} is not there")))?;
    Ok(conn.query_row(
        "SELECT metrics, signature, classes, artifact, artifact_format, mlops_lite_version, smartcore_version \
         FROM models WHERE id = ?1",
        [id],
        |r| {
            Ok(ModelRow {
                entry: entry.clone(),
                metrics: r.get(0)?,
                signature: r.get(1)?,
                classes: r.get(2)?,
                artifact: match r.get_ref(3)? {
                    ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
                    _ => Vec::new(),
                },
                artifact_format: r.get(4)?,
                mlops_lite_version: r.get(5)?,
                smartcore_version: r.get(6)?,
            })
        },
    )?)
}

/// The logged calls of model `model_id` with their records, oldest first.
pub fn logged_calls(conn: &Connection, model_id: i64) -> Result<Vec<LoggedCall>> {
    let mut stmt = conn.prepare(
        "SELECT c.id, c.created_at, c.n_records, c.latency_us, r.position, r.reference_id, r.inputs, r.outputs \
         FROM prediction_calls c JOIN prediction_records r ON r.call_id = c.id \
         WHERE c.model_id = ?1 ORDER BY c.id, r.position",
    )?;
    let mut rows = stmt.query([model_id])?;
    let mut calls = Vec::new();
    while let Some(r) = rows.next()? {
        let call = LoggedCall {
            created_at: r.get(1)?,
            n_records: r.get(2)?,
            latency_us: r.get(3)?,
            records: Vec::new(),
        };
        let record = LoggedRecord {
            position: r.get(4)?,
            reference_id: r.get(5)?,
            inputs: r.get(6)?,
            outputs: r.get(7)?,
        };
        push_logged(&mut calls, r.get(0)?, call, record);
    }
    Ok(calls.into_iter().map(|(_, c)| c).collect())
}

/// Writes a logged call as stored elsewhere (its time kept) for model `model_id`.
pub fn insert_logged_call(
    conn: &Connection,
    model_id: i64,
    dataset_id: i64,
    call: &LoggedCall,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO prediction_calls (model_id, dataset_id, created_at, n_records, latency_us) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![model_id, dataset_id, call.created_at, call.n_records, call.latency_us],
    )?;
    let id = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached(
        "INSERT INTO prediction_records (call_id, position, reference_id, inputs, outputs) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in &call.records {
        stmt.execute(params![id, r.position, r.reference_id, r.inputs, r.outputs])?;
    }
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// The `legacy_*` tables: what was imported from registries of the Python mlops-lite (read by
// `legacy_reader.rs`).
// ---------------------------------------------------------------------------------------------

/// The counts of [`LegacyCounts`] in this registry.
pub fn legacy_counts(conn: &Connection) -> Result<LegacyCounts> {
    Ok(conn.query_row(
        "SELECT (SELECT COUNT(*) FROM datasets), (SELECT COUNT(*) FROM legacy_models), \
         (SELECT COUNT(*) FROM legacy_prediction_calls), (SELECT COUNT(*) FROM legacy_prediction_records), \
         (SELECT COALESCE(SUM((SELECT COUNT(*) FROM json_each(inputs))), 0) FROM legacy_prediction_records), \
         (SELECT COALESCE(SUM((SELECT COUNT(*) FROM json_each(outputs))), 0) FROM legacy_prediction_records)",
        [],
        |r| {
            Ok(LegacyCounts {
                datasets: r.get(0)?,
                legacy_models: r.get(1)?,
                legacy_calls: r.get(2)?,
                legacy_records: r.get(3)?,
                legacy_input_values: r.get(4)?,
                legacy_output_values: r.get(5)?,
            })
        },
    )?)
}

/// Records that dataset `dataset_id` holds the Python dataset `d` (once: a repeated import
/// writes nothing).
pub fn record_legacy_dataset(conn: &Connection, dataset_id: i64, d: &PythonDataset) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO legacy_datasets (dataset_id, legacy_id, legacy_version, legacy_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![dataset_id, d.id, d.version, d.hash, d.created_at],
    )?;
    Ok(())
}

const LEGACY_MODEL_COLUMNS: &str = "l.id, l.name, l.version, l.dataset_id, d.name || '@' || d.version, l.target, \
     l.target_mapping, l.variables, l.estimator_class, l.estimator_type, l.description, l.created_at, \
     l.pickle_bytes, l.pickle_md5, l.runnable, l.legacy_id \
     FROM legacy_models l LEFT JOIN datasets d ON d.id = l.dataset_id";

fn legacy_model_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<LegacyModelEntry> {
    let json = |t: Option<String>| match t {
        None => serde_json::Value::Null,
        Some(t) => serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)),
    };
    Ok(LegacyModelEntry {
        id: row.get(0)?,
        name: row.get(1)?,
        version: row.get(2)?,
        dataset_id: row.get(3)?,
        dataset: row.get(4)?,
        target: row.get(5)?,
        target_mapping: json(row.get(6)?),
        variables: json(row.get(7)?),
        estimator_class: row.get(8)?,
        estimator_type: row.get(9)?,
        description: row.get(10)?,
        created_at: row.get(11)?,
        pickle_bytes: row.get(12)?,
        pickle_md5: row.get(13)?,
        runnable: row.get(14)?,
        legacy_id: row.get(15)?,
    })
}

/// Every legacy model, by id.
pub fn list_legacy_models(conn: &Connection) -> Result<Vec<LegacyModelEntry>> {
    let mut stmt = conn.prepare(&format!("SELECT {LEGACY_MODEL_COLUMNS} ORDER BY l.id"))?;
    let rows = stmt.query_map([], legacy_model_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The legacy model with this name, version and pickle md5, if already imported.
pub fn find_legacy_model(
    conn: &Connection,
    name: &str,
    version: i64,
    pickle_md5: &str,
) -> Result<Option<LegacyModelEntry>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {LEGACY_MODEL_COLUMNS} WHERE l.name = ?1 AND l.version = ?2 AND l.pickle_md5 = ?3"
            ),
            params![name, version, pickle_md5],
            legacy_model_entry,
        )
        .optional()?)
}

/// Lists a Python model in `legacy_models` (its pickle is not stored); `dataset_id` is its
/// training dataset in this registry, if the Python file had it.
pub fn insert_legacy_model(
    conn: &Connection,
    m: &PythonDeployable,
    dataset_id: Option<i64>,
    target_mapping: Option<&str>,
    variables: &str,
) -> Result<LegacyModelEntry> {
    conn.execute(
        "INSERT INTO legacy_models (name, version, dataset_id, target, target_mapping, variables, \
         estimator_class, estimator_type, description, created_at, legacy_id, legacy_dataset_id, \
         legacy_hash, pickle_bytes, pickle_md5) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            m.name,
            m.version,
            dataset_id,
            m.target,
            target_mapping,
            variables,
            m.estimator_class,
            m.estimator_type,
            m.description,
            m.created_at,
            m.id,
            m.dataset_id,
            m.hash,
            m.pickle_bytes,
            m.pickle_md5
        ],
    )?;
    let id = conn.last_insert_rowid();
    Ok(conn.query_row(
        &format!("SELECT {LEGACY_MODEL_COLUMNS} WHERE l.id = ?1"),
        [id],
        legacy_model_entry,
    )?)
}

/// The legacy call of this model with this Python id and time, if already imported.
pub fn find_legacy_call(
    conn: &Connection,
    legacy_model_id: i64,
    legacy_id: i64,
    created_at: Option<&str>,
) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM legacy_prediction_calls WHERE legacy_model_id = ?1 AND legacy_id = ?2 \
             AND created_at IS ?3",
            params![legacy_model_id, legacy_id, created_at],
            |r| r.get(0),
        )
        .optional()?)
}

/// Writes one legacy call and its records (`(reference_id, inputs JSON, outputs JSON)`, in
/// order); returns the call id.
pub fn insert_legacy_call(
    conn: &Connection,
    legacy_model_id: i64,
    legacy_id: i64,
    created_at: Option<&str>,
    n_records: i64,
    records: &[(Option<String>, String, String)],
) -> Result<i64> {
    conn.execute(
        "INSERT INTO legacy_prediction_calls (legacy_model_id, created_at, n_records, legacy_id) \
         VALUES (?1, ?2, ?3, ?4)",
        params![legacy_model_id, created_at, n_records, legacy_id],
    )?;
    let call = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached(
        "INSERT INTO legacy_prediction_records (call_id, position, reference_id, inputs, outputs) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, (reference, inputs, outputs)) in records.iter().enumerate() {
        stmt.execute(params![call, i as i64, reference, inputs, outputs])?;
    }
    Ok(call)
}

/// Writes one record of legacy call `call_id` at `position` (inputs and outputs as JSON
/// objects): the import streams records into calls written before them.
pub fn insert_legacy_record(
    conn: &Connection,
    call_id: i64,
    position: i64,
    reference_id: Option<&str>,
    inputs: &str,
    outputs: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO legacy_prediction_records (call_id, position, reference_id, inputs, outputs) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![call_id, position, reference_id, inputs, outputs])?;
    Ok(())
}

/// The stored row-block hashes of dataset `id`: (block size, hashes), or `None` for a
/// dataset bound before format 4.
pub fn row_hashes(conn: &Connection, id: i64) -> Result<Option<(usize, Vec<u64>)>> {
    let mut stmt = conn.prepare(
        "SELECT block_size, xxh3 FROM dataset_row_hashes WHERE dataset_id = ?1 ORDER BY block",
    )?;
    let rows: Vec<(i64, i64)> = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let Some((size, _)) = rows.first() else {
        return Ok(None);
    };
    // A claim from the file: every block must have the same size, of at least one row.
    match usize::try_from(*size) {
        Ok(size) if size >= 1 && rows.iter().all(|(s, _)| *s == rows[0].0) => {
            Ok(Some((size, rows.iter().map(|(_, h)| *h as u64).collect())))
        }
        _ => Err(Error::Corrupt {
            path: conn.path().unwrap_or("<memory>").to_string(),
            reason: format!(
                "dataset id {id}: its row hashes (dataset_row_hashes) record block size {size}, \
                 or blocks of different sizes"
            ),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Cells as stored, whatever their column's declared type (`verify`).
// ---------------------------------------------------------------------------------------------

/// Runs a fixed `SELECT` (parameters `$1`, `$2`, ... are integers) and returns every cell as
/// stored. The SQL is the same text on both backends.
pub fn scan_cells(conn: &Connection, sql: &str, params: &[i64]) -> Result<Vec<Vec<Cell>>> {
    let mut out = Vec::new();
    scan_cells_each(conn, sql, params, |row| {
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// Like [`scan_cells`], one row at a time (memory stays one row, whatever the table holds).
pub fn scan_cells_each(
    conn: &Connection,
    sql: &str,
    params: &[i64],
    mut each: impl FnMut(Vec<Cell>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(r) = rows.next()? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(match r.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Integer(v),
                ValueRef::Real(v) => Cell::Real(v),
                ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(s) => Cell::Text(s.to_string()),
                    Err(_) => Cell::BadText(t.to_vec()),
                },
                ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
            });
        }
        each(cells)?;
    }
    Ok(())
}
