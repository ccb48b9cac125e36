//! The store: all SQL of mlops-lite lives in this folder, and [`Db`] and [`Tx`] (this file)
//! are the seam the rest of the crate sees.
//!
//! [`Db`] is an open registry database, SQLite (file, memory or bytes; every build) or
//! PostgreSQL (native builds), and [`Tx`] one write transaction on it. The registry API
//! (`Registry`), `copy`, `verify` and the import of Python registries (`legacy`) call their
//! methods; each method runs the same statement in the dialect of its backend:
//!
//! - [`types`]: the rows both backends return and take ([`DatasetEntry`], [`ModelEntry`],
//!   [`LogRecord`], [`Cell`], ...);
//! - [`sqlite`]: the SQLite backend: opening files and bytes, migrations (`schema/v*.sql`),
//!   every SQLite statement; `check.rs` opens a file as a check (defensive settings, the schema
//!   compared with its format's), `locks.rs` names who holds a lock on a busy file;
//! - [`pg`]: the PostgreSQL backend (`schema/pg.sql`);
//! - [`legacy_reader`]: reading registries of the Python mlops-lite, strictly read-only.
//!
//! The store imports nothing above it: only `dataset`, `error` and `hash` (never `registry`,
//! `predict`, `cli` or `wasm`).

use rusqlite::{Connection, TransactionBehavior};

use crate::dataset::{ColumnInfo, Dataset};
use crate::error::{Error, Result};

pub(crate) mod check;
pub mod legacy_reader;
mod locks;
#[cfg(not(target_arch = "wasm32"))]
pub mod pg;
pub mod sqlite;
pub mod types;

pub use legacy_reader::{
    open_python_registry, PythonCounts, PythonDataset, PythonDeployable, PythonExecution,
    PythonRecord, PythonRegistry, Skipped,
};
pub use sqlite::{APPLICATION_ID, MIGRATIONS};
pub use types::{
    check_time, Cell, DatasetEntry, LegacyCounts, LegacyModelEntry, LogFilter, LogRecord,
    LoggedCall, LoggedRecord, ModelEntry, ModelRow, NewDataset, NewModel,
};

/// The newest registry format this build reads and writes (on both backends).
pub const SCHEMA_VERSION: i64 = 4;

/// What a commit survives on a registry file (and on PostgreSQL), chosen when the registry is
/// opened ([`crate::Registry::open_with_durability`]; `--durability normal|full` where a
/// command offers it). Native builds only: a registry in memory reaches no disk.
///
/// - [`Durability::Normal`], the default: SQLite in WAL with `synchronous=NORMAL`. A commit
///   is appended to the WAL without waiting for the disk. A crash of the application (or
///   `kill -9`) loses nothing committed; a power loss or an operating-system crash can lose
///   the last transactions committed before it (the file stays consistent: they are rolled
///   back whole). On PostgreSQL, the server's `synchronous_commit` decides (`on` by
///   default: every commit waits for the server's WAL flush).
/// - [`Durability::Full`]: SQLite in WAL with `synchronous=FULL`, every commit waits until
///   the WAL is on the disk (fsync), so a committed transaction survives a power loss; on
///   PostgreSQL, `synchronous_commit=on` for the session, whatever the server's default.
///   Each commit costs a disk flush (the README's Performance section gives both).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A commit survives an application crash, not a power loss (WAL, `synchronous=NORMAL`).
    #[default]
    Normal,
    /// A commit survives a power loss: each one waits for the disk (`synchronous=FULL`).
    Full,
}

#[cfg(not(target_arch = "wasm32"))]
impl Durability {
    /// Its name: `normal` or `full` (what `--durability` takes).
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Normal => "normal",
            Durability::Full => "full",
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl std::str::FromStr for Durability {
    type Err = Error;

    /// `normal` or `full`, in any case.
    fn from_str(s: &str) -> Result<Durability> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" => Ok(Durability::Normal),
            "full" => Ok(Durability::Full),
            _ => Err(Error::InvalidArgument(format!(
                "unknown durability {s:?}: use normal (a commit survives an application crash) \
                 or full (a commit survives a power loss; each one waits for the disk)"
            ))),
        }
    }
}

/// An open registry database.
pub enum Db {
    /// A SQLite database: a file, or in memory.
    Sqlite(Connection),
    /// A schema of a PostgreSQL database.
    #[cfg(not(target_arch = "wasm32"))]
    Postgres(Box<pg::PgStore>),
}

/// Runs `$f` of the matching store with the connection first, then the arguments.
macro_rules! on {
    ($db:expr, $f:ident ( $($a:expr),* )) => {
        match $db {
            Db::Sqlite(c) => sqlite::$f(c, $($a),*),
            #[cfg(not(target_arch = "wasm32"))]
            Db::Postgres(p) if p.is_fresh() => p.read_fresh(|c| pg::$f(c, $($a),*)),
            #[cfg(not(target_arch = "wasm32"))]
            Db::Postgres(p) => pg::$f(&mut p.conn.borrow_mut(), $($a),*),
        }
    };
}

/// Like `on!`, inside a transaction.
macro_rules! on_tx {
    ($tx:expr, $f:ident ( $($a:expr),* )) => {
        match $tx {
            Tx::Sqlite(t) => sqlite::$f(t, $($a),*),
            #[cfg(not(target_arch = "wasm32"))]
            Tx::Postgres(t) => pg::$f(&mut t.store.conn.borrow_mut(), $($a),*),
        }
    };
}

/// Like `on_tx!`, for what only a SQLite registry holds (the `legacy_*` tables of an import
/// of the Python tool's registries, which writes into registry files only).
macro_rules! on_sqlite_tx {
    ($tx:expr, $f:ident ( $($a:expr),* )) => {
        match $tx {
            Tx::Sqlite(t) => sqlite::$f(t, $($a),*),
            #[cfg(not(target_arch = "wasm32"))]
            Tx::Postgres(t) => Err(sqlite_only(&t.store.label, "the legacy_* tables")),
        }
    };
}

/// How many times a write that lost a race (unique constraint, deadlock) is retried.
#[cfg(not(target_arch = "wasm32"))]
const RETRIES: usize = 8;

impl Db {
    /// Whether this is a PostgreSQL registry.
    pub fn is_postgres(&self) -> bool {
        !matches!(self, Db::Sqlite(_))
    }

    /// Makes every later commit of this connection as durable as `durability` says (see
    /// [`Durability`]): SQLite's `synchronous`, PostgreSQL's `synchronous_commit` (`Normal`
    /// leaves the server's own setting).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_durability(&mut self, durability: Durability) -> Result<()> {
        match self {
            Db::Sqlite(c) => sqlite::set_durability(c, durability),
            Db::Postgres(p) => pg::set_durability(&mut p.conn.borrow_mut(), durability),
        }
    }

    /// The durability in effect on this connection, read back from the database (SQLite's
    /// `PRAGMA synchronous`, PostgreSQL's `SHOW synchronous_commit`); `None` for a registry
    /// in memory, which no commit takes to a disk.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn durability(&self) -> Result<Option<Durability>> {
        match self {
            Db::Sqlite(c) => sqlite::durability(c),
            Db::Postgres(p) => pg::durability(&mut p.conn.borrow_mut()).map(Some),
        }
    }

    /// The SQLite connection, if this is SQLite.
    pub fn sqlite(&self) -> Option<&Connection> {
        match self {
            Db::Sqlite(c) => Some(c),
            #[cfg(not(target_arch = "wasm32"))]
            Db::Postgres(_) => None,
        }
    }

    /// The SQLite connection, mutably, if this is SQLite.
    pub fn sqlite_mut(&mut self) -> Option<&mut Connection> {
        match self {
            Db::Sqlite(c) => Some(c),
            #[cfg(not(target_arch = "wasm32"))]
            Db::Postgres(_) => None,
        }
    }

    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`, so writers queue on the busy
    /// timeout instead of failing later).
    pub fn begin(&mut self) -> Result<Tx<'_>> {
        match self {
            Db::Sqlite(c) => {
                let path = c.path().map(str::to_string);
                let label = path.clone().unwrap_or_else(|| "<memory>".into());
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| sqlite::busy_at(e, path.as_deref(), &label))?;
                Ok(Tx::Sqlite(tx))
            }
            #[cfg(not(target_arch = "wasm32"))]
            Db::Postgres(p) => {
                p.conn.borrow_mut().batch_execute("BEGIN")?;
                let mut tx = PgTx {
                    store: p,
                    open: true,
                    created: false,
                };
                // On an empty schema, the first write creates the tables in its transaction.
                tx.created = p.create_in_transaction(&mut p.conn.borrow_mut())?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// Runs `work` in one transaction and commits it. On PostgreSQL a transaction that lost a
    /// race with another writer (a unique constraint, a deadlock) is rolled back and run again.
    pub fn write<T>(&mut self, mut work: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut once = |db: &mut Db| -> Result<T> {
            let mut tx = db.begin()?;
            let value = work(&mut tx)?;
            tx.commit()?;
            Ok(value)
        };
        #[cfg(not(target_arch = "wasm32"))]
        for attempt in 1..=RETRIES {
            match once(self) {
                Err(e) if self.is_postgres() && pg::is_retryable(&e) => {
                    std::thread::sleep(std::time::Duration::from_millis(5 * attempt as u64));
                }
                other => return other,
            }
        }
        once(self)
    }

    /// See [`sqlite::find_dataset_by_fingerprint`].
    pub fn find_dataset_by_fingerprint(
        &self,
        name: &str,
        fingerprint: &str,
    ) -> Result<Option<DatasetEntry>> {
        on!(self, find_dataset_by_fingerprint(name, fingerprint))
    }

    /// See [`sqlite::list_datasets`].
    pub fn list_datasets(&self) -> Result<Vec<DatasetEntry>> {
        on!(self, list_datasets())
    }

    /// See [`sqlite::dataset_by_id`].
    pub fn dataset_by_id(&self, id: i64) -> Result<Option<DatasetEntry>> {
        on!(self, dataset_by_id(id))
    }

    /// See [`sqlite::dataset_by_name`].
    pub fn dataset_by_name(
        &self,
        name: &str,
        version: Option<i64>,
    ) -> Result<Option<DatasetEntry>> {
        on!(self, dataset_by_name(name, version))
    }

    /// See [`sqlite::dataset_source`].
    pub fn dataset_source(&self, id: i64) -> Result<(Option<String>, Option<String>)> {
        on!(self, dataset_source(id))
    }

    /// See [`sqlite::column_infos`].
    pub fn column_infos(&self, id: i64) -> Result<Vec<ColumnInfo>> {
        on!(self, column_infos(id))
    }

    /// See [`sqlite::read_dataset`].
    pub fn read_dataset(&self, entry: &DatasetEntry, label: &str) -> Result<Dataset> {
        on!(self, read_dataset(entry, label))
    }

    /// See [`sqlite::row_hashes`].
    pub fn row_hashes(&self, id: i64) -> Result<Option<(usize, Vec<u64>)>> {
        on!(self, row_hashes(id))
    }

    /// See [`sqlite::list_models`].
    pub fn list_models(&self) -> Result<Vec<ModelEntry>> {
        on!(self, list_models())
    }

    /// See [`sqlite::model_by_id`].
    pub fn model_by_id(&self, id: i64) -> Result<Option<ModelEntry>> {
        on!(self, model_by_id(id))
    }

    /// See [`sqlite::model_by_name`].
    pub fn model_by_name(&self, name: &str, version: Option<i64>) -> Result<Option<ModelEntry>> {
        on!(self, model_by_name(name, version))
    }

    /// See [`sqlite::model_artifact`].
    pub fn model_artifact(&self, id: i64) -> Result<Vec<u8>> {
        on!(self, model_artifact(id))
    }

    /// See [`sqlite::model_row`].
    pub fn model_row(&self, id: i64) -> Result<ModelRow> {
        on!(self, model_row(id))
    }

    /// See [`sqlite::logged_calls`].
    pub fn logged_calls(&self, model_id: i64) -> Result<Vec<LoggedCall>> {
        on!(self, logged_calls(model_id))
    }

    /// See [`sqlite::query_log`].
    pub fn query_log(&self, filter: &LogFilter) -> Result<Vec<LogRecord>> {
        on!(self, query_log(filter))
    }

    /// See [`sqlite::scan_cells`].
    pub fn scan_cells(&self, sql: &str, params: &[i64]) -> Result<Vec<Vec<Cell>>> {
        on!(self, scan_cells(sql, params))
    }

    /// See [`sqlite::scan_cells_each`].
    pub fn scan_cells_each(
        &self,
        sql: &str,
        params: &[i64],
        each: impl FnMut(Vec<Cell>) -> Result<()>,
    ) -> Result<()> {
        on!(self, scan_cells_each(sql, params, each))
    }

    /// See [`sqlite::list_legacy_models`]. A PostgreSQL registry has no `legacy_*` tables:
    /// an error, the same as asking it for its SQLite connection.
    pub fn list_legacy_models(&self) -> Result<Vec<LegacyModelEntry>> {
        match self {
            Db::Sqlite(c) => sqlite::list_legacy_models(c),
            #[cfg(not(target_arch = "wasm32"))]
            // Models are imported from the Python tool into SQLite files only: a PostgreSQL
            // registry has none (listing them is not an error: `model list` asks every time).
            Db::Postgres(_) => Ok(Vec::new()),
        }
    }
}

/// One write transaction. Dropped without [`Tx::commit`], it is rolled back.
pub enum Tx<'a> {
    /// On SQLite.
    Sqlite(rusqlite::Transaction<'a>),
    /// On PostgreSQL.
    #[cfg(not(target_arch = "wasm32"))]
    Postgres(PgTx<'a>),
}

/// A PostgreSQL transaction: `BEGIN` was sent on the store's connection.
#[cfg(not(target_arch = "wasm32"))]
pub struct PgTx<'a> {
    store: &'a pg::PgStore,
    /// Not yet committed.
    open: bool,
    /// This transaction creates the registry's tables.
    created: bool,
}

impl Tx<'_> {
    /// Commits.
    pub fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => Ok(t.commit()?),
            #[cfg(not(target_arch = "wasm32"))]
            Tx::Postgres(mut t) => {
                t.open = false;
                t.store.conn.borrow_mut().batch_execute("COMMIT")?;
                if t.created {
                    t.store.created();
                }
                Ok(())
            }
        }
    }

    /// Serialises writers of one dataset or model name (`kind` is `dataset` or `model`) until
    /// the end of the transaction. SQLite's `BEGIN IMMEDIATE` already serialises all writers.
    pub fn lock_name(&mut self, kind: &str, name: &str) -> Result<()> {
        match self {
            Tx::Sqlite(_) => {
                let _ = (kind, name);
                Ok(())
            }
            #[cfg(not(target_arch = "wasm32"))]
            Tx::Postgres(t) => pg::lock_name(&mut t.store.conn.borrow_mut(), kind, name),
        }
    }

    /// See [`sqlite::find_dataset_by_md5`].
    pub fn find_dataset_by_md5(&mut self, name: &str, md5: &str) -> Result<Option<DatasetEntry>> {
        on_tx!(self, find_dataset_by_md5(name, md5))
    }

    /// See [`sqlite::dataset_by_name`].
    pub fn dataset_by_name(
        &mut self,
        name: &str,
        version: Option<i64>,
    ) -> Result<Option<DatasetEntry>> {
        on_tx!(self, dataset_by_name(name, version))
    }

    /// See [`sqlite::dataset_for_lineage`].
    pub fn dataset_for_lineage(
        &mut self,
        name: &str,
        version: i64,
        md5: &str,
    ) -> Result<Option<DatasetEntry>> {
        on_tx!(self, dataset_for_lineage(name, version, md5))
    }

    /// Inserts a dataset version: the next one, or `version` (kept by `copy`).
    pub fn insert_dataset(
        &mut self,
        new: &NewDataset<'_>,
        data: &Dataset,
        version: Option<i64>,
    ) -> Result<DatasetEntry> {
        let stats = || data.column_info();
        match self {
            Tx::Sqlite(t) => match version {
                Some(v) => sqlite::insert_dataset_version(t, new, data, stats, v),
                None => sqlite::insert_dataset(t, new, data, stats),
            },
            #[cfg(not(target_arch = "wasm32"))]
            Tx::Postgres(t) => pg::insert_dataset_version(
                &mut t.store.conn.borrow_mut(),
                new,
                data,
                stats,
                version,
            ),
        }
    }

    /// See [`sqlite::read_dataset`].
    pub fn read_dataset(&mut self, entry: &DatasetEntry, label: &str) -> Result<Dataset> {
        on_tx!(self, read_dataset(entry, label))
    }

    /// See [`sqlite::model_artifact`].
    pub fn model_artifact(&mut self, id: i64) -> Result<Vec<u8>> {
        on_tx!(self, model_artifact(id))
    }

    /// See [`sqlite::find_model_by_md5`].
    pub fn find_model_by_md5(&mut self, name: &str, md5: &str) -> Result<Option<ModelEntry>> {
        on_tx!(self, find_model_by_md5(name, md5))
    }

    /// See [`sqlite::model_by_name`].
    pub fn model_by_name(
        &mut self,
        name: &str,
        version: Option<i64>,
    ) -> Result<Option<ModelEntry>> {
        on_tx!(self, model_by_name(name, version))
    }

    /// See [`sqlite::insert_model`].
    pub fn insert_model(&mut self, new: &NewModel<'_>) -> Result<ModelEntry> {
        on_tx!(self, insert_model(new))
    }

    /// See [`sqlite::insert_prediction_log`].
    pub fn insert_prediction_log<'p>(
        &mut self,
        model_id: i64,
        dataset_id: i64,
        latency_us: i64,
        n: usize,
        record: impl FnMut(usize, &mut String, &mut String) -> Option<&'p str>,
    ) -> Result<i64> {
        on_tx!(
            self,
            insert_prediction_log(model_id, dataset_id, latency_us, n, record)
        )
    }

    /// See [`sqlite::logged_calls`].
    pub fn logged_calls(&mut self, model_id: i64) -> Result<Vec<LoggedCall>> {
        on_tx!(self, logged_calls(model_id))
    }

    /// See [`sqlite::insert_logged_call`].
    pub fn insert_logged_call(
        &mut self,
        model_id: i64,
        dataset_id: i64,
        call: &LoggedCall,
    ) -> Result<i64> {
        on_tx!(self, insert_logged_call(model_id, dataset_id, call))
    }

    /// See [`sqlite::legacy_counts`] (SQLite only).
    pub fn legacy_counts(&mut self) -> Result<LegacyCounts> {
        on_sqlite_tx!(self, legacy_counts())
    }

    /// See [`sqlite::record_legacy_dataset`] (SQLite only).
    pub fn record_legacy_dataset(&mut self, dataset_id: i64, d: &PythonDataset) -> Result<()> {
        on_sqlite_tx!(self, record_legacy_dataset(dataset_id, d))
    }

    /// See [`sqlite::find_legacy_model`] (SQLite only).
    pub fn find_legacy_model(
        &mut self,
        name: &str,
        version: i64,
        pickle_md5: &str,
    ) -> Result<Option<LegacyModelEntry>> {
        on_sqlite_tx!(self, find_legacy_model(name, version, pickle_md5))
    }

    /// See [`sqlite::insert_legacy_model`] (SQLite only).
    pub fn insert_legacy_model(
        &mut self,
        m: &PythonDeployable,
        dataset_id: Option<i64>,
        target_mapping: Option<&str>,
        variables: &str,
    ) -> Result<LegacyModelEntry> {
        on_sqlite_tx!(
            self,
            insert_legacy_model(m, dataset_id, target_mapping, variables)
        )
    }

    /// See [`sqlite::find_legacy_call`] (SQLite only).
    pub fn find_legacy_call(
        &mut self,
        legacy_model_id: i64,
        legacy_id: i64,
        created_at: Option<&str>,
    ) -> Result<Option<i64>> {
        on_sqlite_tx!(
            self,
            find_legacy_call(legacy_model_id, legacy_id, created_at)
        )
    }

    /// See [`sqlite::insert_legacy_call`] (SQLite only).
    pub fn insert_legacy_call(
        &mut self,
        legacy_model_id: i64,
        legacy_id: i64,
        created_at: Option<&str>,
        n_records: i64,
        records: &[(Option<String>, String, String)],
    ) -> Result<i64> {
        on_sqlite_tx!(
            self,
            insert_legacy_call(legacy_model_id, legacy_id, created_at, n_records, records)
        )
    }

    /// See [`sqlite::insert_legacy_record`] (SQLite only).
    pub fn insert_legacy_record(
        &mut self,
        call_id: i64,
        position: i64,
        reference_id: Option<&str>,
        inputs: &str,
        outputs: &str,
    ) -> Result<()> {
        on_sqlite_tx!(
            self,
            insert_legacy_record(call_id, position, reference_id, inputs, outputs)
        )
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A lost connection cannot roll back, and needs not: the server discards the
            // transaction of a closed session.
            if let Ok(mut c) = self.store.conn.try_borrow_mut() {
                let _ = c.batch_execute("ROLLBACK");
            }
        }
    }
}

/// Removes a registry file and its `-wal`, `-shm` and `-journal` companions (a
/// `postgres://` URL is left alone): for a file a command created and whose first write
/// failed, so that the failed command leaves nothing behind.
#[cfg(not(target_arch = "wasm32"))]
pub fn remove_db_files(db: &std::path::Path) {
    if db.to_str().is_some_and(pg::is_url) {
        return;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

/// An error for what only a SQLite registry can do.
pub fn sqlite_only(label: &str, what: &str) -> Error {
    Error::InvalidArgument(format!(
        "{label} is a PostgreSQL registry; {what} needs a SQLite registry file: copy it into \
         one first (`mlops-lite copy --from '{label}' --to registry.db`)"
    ))
}

// ---------------------------------------------------------------------------------------------
// Shared by the backends.
// ---------------------------------------------------------------------------------------------

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Runs `side` on another thread (natively) while `main` runs here; returns `side`'s result
/// once `main` succeeded.
pub(crate) fn run_beside<T: Send>(
    side: impl FnOnce() -> T + Send,
    main: impl FnOnce() -> Result<()>,
) -> Result<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|s| {
            let h = s.spawn(side);
            main()?;
            Ok(h.join().expect("column statistics do not panic"))
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        main()?;
        Ok(side())
    }
}
