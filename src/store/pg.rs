//! The PostgreSQL store (native builds only): the same registry tables as the SQLite file,
//! in one schema of a PostgreSQL database, and the SQL that reads and writes them.
//!
//! A URL `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` names the registry.
//! Without `schema` the tables live in the connection's current schema (normally `public`);
//! with it, in that schema. Schema and tables are created by the first write, inside its
//! transaction, so a failed first write leaves nothing behind. A schema that holds other tables is refused
//! before anything is written. Data tables are bulk loaded with binary `COPY`; each keeps its
//! row order in a first column (`mlops_row`) because PostgreSQL tables have none.
//!
//! Writers: each write is one transaction (`BEGIN` ... `COMMIT`, rolled back on any error or a
//! lost connection). Writers of the same dataset or model name serialise on a transaction-level
//! advisory lock, so versions are consecutive; the `UNIQUE (name, version)` constraints remain
//! the last word, and [`crate::store::Db`] retries a write that lost a race to them.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, CopyInWriter, NoTls, Row, Statement};

use super::types::{
    check_time, damaged, empty_columns, finish_dataset, push_logged, DatasetEntry, LogFilter,
    LogRecord, LoggedCall, LoggedRecord, ModelEntry, ModelRow, NewDataset, NewModel,
    DATASET_COLUMNS, MODEL_COLUMNS,
};
use super::{quote_ident, run_beside, SCHEMA_VERSION};
use crate::dataset::{ColumnInfo, DType, Dataset, Values};
use crate::error::{Error, Result};

const SCHEMA: &str = include_str!("schema/pg.sql");

/// Advisory lock key of "creating or checking the registry tables".
const INIT_LOCK: i64 = 0x4d4c_4f50_0000_0001;

/// Whether `target` names a PostgreSQL registry rather than a file.
pub fn is_url(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

/// An open PostgreSQL registry.
pub struct PgStore {
    /// The connection; a `RefCell` because reads take `&self` in the registry API.
    pub conn: RefCell<Conn>,
    /// How messages name it: the URL without its password.
    pub label: String,
    /// The schema named in the URL, if any.
    schema: Option<String>,
    /// Opened on an empty schema: the tables are created by the first write transaction.
    fresh: Cell<bool>,
}

/// A connection and its prepared statements: each fixed SQL text is prepared once per
/// connection (a round trip saved on every later call). SQL naming a data table is not
/// cached: it is run through [`Conn::client`].
pub struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }

    /// The connection itself, for SQL that is not cached.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Runs statements without parameters (not cached).
    pub fn batch_execute(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let s = self.statement(sql)?;
        Ok(self.client.execute(&s, params)?)
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        Ok(self.client.query(&s, params)?)
    }

    fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let s = self.statement(sql)?;
        Ok(self.client.query_one(&s, params)?)
    }

    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        Ok(self.client.query_opt(&s, params)?)
    }

    fn copy_in(&mut self, sql: &str) -> Result<CopyInWriter<'_>> {
        let s = self.statement(sql)?;
        Ok(self.client.copy_in(&s)?)
    }
}

/// The URL without the password, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth_host, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth_host.rsplit_once('@') {
        Some((auth, host)) => {
            let user = auth.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// Splits our own `schema=NAME` parameter off the URL (the driver does not know it).
fn split_schema(url: &str) -> Result<(String, Option<String>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None));
    };
    let mut schema = None;
    let mut rest = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        match part.strip_prefix("schema=") {
            Some(name) => {
                let ok = !name.is_empty()
                    && name.len() <= 63
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !name.as_bytes()[0].is_ascii_digit();
                if !ok {
                    return Err(Error::InvalidArgument(format!(
                        "{}: schema {name:?} is not a plain PostgreSQL name; use letters, \
                         digits and '_' (up to 63), not starting with a digit",
                        redact(url)
                    )));
                }
                schema = Some(name.to_string());
            }
            None => rest.push(part),
        }
    }
    let base = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((base, schema))
}

/// Connects to the registry at `url`. An empty (or missing) schema is accepted when `create`:
/// the schema and its tables are then made by the first write, in its transaction.
pub fn open(url: &str, create: bool) -> Result<PgStore> {
    let label = redact(url);
    let (driver_url, schema) = split_schema(url)?;
    let mut config = Config::from_str(&driver_url).map_err(|e| {
        Error::InvalidArgument(format!(
            "malformed PostgreSQL URL {label}: {e}; write it as \
             postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]"
        ))
    })?;
    if config.get_hosts().is_empty() {
        return Err(Error::InvalidArgument(format!(
            "malformed PostgreSQL URL {label}: it names no host; write it as \
             postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]"
        )));
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_keepalives_interval().is_none() {
        // Notice a server or network that went away within about a minute, not two hours.
        config
            .keepalives_idle(Duration::from_secs(30))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(3);
    }
    if config.get_application_name().is_none() {
        config.application_name("mlops-lite");
    }
    let mut client = config
        .connect(NoTls)
        .map_err(|e| connect_error(&label, &config, e))?;
    if let Some(s) = &schema {
        // The schema itself is created with the tables, by the first write.
        client.batch_execute(&format!("SET search_path TO {}", quote_ident(s)))?;
    }
    let mut conn = Conn {
        client,
        statements: HashMap::new(),
    };
    let fresh = match inspect(&mut conn, &label, schema.as_deref())? {
        State::Registry => false,
        State::Empty(_) if create => true,
        State::Empty(name) => {
            return Err(Error::NotFound(format!(
                "{label} holds no registry yet (schema {name:?} is empty or missing); bind a \
                 dataset first (`mlops-lite --db '{label}' dataset add --sample iris`) or check \
                 the URL"
            )))
        }
    };
    Ok(PgStore {
        conn: RefCell::new(conn),
        label,
        schema,
        fresh: Cell::new(fresh),
    })
}

/// `Full`: `synchronous_commit=on` for this session (every commit waits for the server's WAL
/// flush), whatever the server's default; `Normal`: the server's default again.
pub fn set_durability(c: &mut Conn, durability: super::Durability) -> Result<()> {
    c.batch_execute(match durability {
        super::Durability::Normal => "SET synchronous_commit TO DEFAULT",
        super::Durability::Full => "SET synchronous_commit TO on",
    })?;
    Ok(())
}

/// The durability in effect on this session: `synchronous_commit` `off` is normal (a server
/// crash can lose the last commits), any other value (`local`, `on`, `remote_write`,
/// `remote_apply`) waits at least for the local WAL flush: full.
pub fn durability(c: &mut Conn) -> Result<super::Durability> {
    let value: String = c.query_one("SHOW synchronous_commit", &[])?.get(0);
    Ok(if value.eq_ignore_ascii_case("off") {
        super::Durability::Normal
    } else {
        super::Durability::Full
    })
}

/// Connects to the existing registry at `url` for reading only: every transaction of the
/// session is `READ ONLY`, so the server refuses any write.
pub fn open_read_only(url: &str) -> Result<PgStore> {
    let store = open(url, false)?;
    store
        .conn
        .borrow_mut()
        .client
        .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")?;
    Ok(store)
}

fn connect_error(label: &str, config: &Config, e: postgres::Error) -> Error {
    let user = config.get_user().unwrap_or("(none)");
    let db = config.get_dbname().unwrap_or(user);
    let reason = match e.code() {
        Some(c) if *c == SqlState::INVALID_PASSWORD => format!(
            "the server refused the password of user {user:?} ({e}); check the user and password in the URL"
        ),
        Some(c) if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => format!(
            "the server refused user {user:?} ({e}); check the user name in the URL, or create \
             the role (`createuser {user}`)"
        ),
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => format!(
            "database {db:?} does not exist ({e}); create it (`createdb {db}`) or fix the URL"
        ),
        Some(_) => format!("the server refused the connection: {e}"),
        None => format!(
            "the server is not reachable ({e}); is PostgreSQL running there? Start it \
             (e.g. `sudo service postgresql start`) or fix the host and port in the URL"
        ),
    };
    Error::Connect {
        target: label.to_string(),
        reason,
    }
}

/// What a schema holds.
enum State {
    /// An mlops-lite registry this build reads.
    Registry,
    /// Nothing (or the schema does not exist yet): its name.
    Empty(String),
}

/// Checks what the connection's schema holds: an mlops-lite registry of a format this build
/// reads, or nothing. Another program's tables and newer formats are errors.
fn inspect(c: &mut Conn, label: &str, schema: Option<&str>) -> Result<State> {
    let current: Option<String> = c.query_one("SELECT current_schema()", &[])?.get(0);
    let name = match (current, schema) {
        (Some(name), _) => name,
        (None, Some(wanted)) => return Ok(State::Empty(wanted.to_string())),
        (None, None) => {
            return Err(Error::NotARegistry {
                path: label.into(),
                reason: "its search_path names no existing schema; add ?schema=NAME to the URL \
                         (mlops-lite creates it)"
                    .into(),
            })
        }
    };
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tables.iter().any(|t| t == "mlops_meta") {
        let row = c.query_opt(
            "SELECT value FROM mlops_meta WHERE key = 'format_version'",
            &[],
        )?;
        let version: Option<i64> = row.and_then(|r| r.get::<_, String>(0).parse().ok());
        return match version {
            Some(v) if v > SCHEMA_VERSION => Err(Error::NewerFormat {
                path: label.into(),
                found: v,
                supported: SCHEMA_VERSION,
            }),
            Some(v) if v == SCHEMA_VERSION => {
                check_objects(c, label, &name)?;
                Ok(State::Registry)
            }
            _ => Err(Error::NotARegistry {
                path: label.into(),
                reason: format!(
                    "schema {name:?} has an mlops_meta table without a format_version this \
                     build knows; use another schema (?schema=NAME)"
                ),
            }),
        };
    }
    // Not a registry: the schema must hold nothing at all (no table, view, sequence,
    // function or type) before mlops-lite creates its tables in it.
    let mut tables = tables;
    for r in c.query(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind NOT IN ('r', 'i', 't') \
         UNION ALL SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = current_schema() \
         UNION ALL SELECT t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = current_schema() AND t.typrelid = 0 \
           AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)",
        &[],
    )? {
        let name: String = r.get(0);
        if !tables.contains(&name) {
            tables.push(name);
        }
    }
    if !tables.is_empty() {
        let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        return Err(Error::NotARegistry {
            path: label.into(),
            reason: format!(
                "schema {name:?} holds other objects ({}{}); mlops-lite only writes into a \
                 schema of its own: add ?schema=NAME to the URL (it is created) or use another \
                 database",
                shown.join(", "),
                if tables.len() > 5 { ", ..." } else { "" }
            ),
        });
    }
    Ok(State::Empty(name))
}

/// Every object of the registry's schema must be one that mlops-lite creates: its tables
/// (`SCHEMA` and one `data_<id>` per dataset), their indexes and identity sequences. Views,
/// materialized views, foreign tables, other tables, sequences, functions, types, triggers,
/// rules and row-level security policies are refused with [`Error::Altered`] naming them: a
/// trigger or rule would run inside our writes, a view or policy would change what reads see.
fn check_objects(c: &mut Conn, label: &str, schema: &str) -> Result<()> {
    const SHOWN: usize = 5;
    let ours: Vec<String> = SCHEMA
        .lines()
        .filter_map(|l| l.strip_prefix("CREATE TABLE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let mut problems: Vec<String> = Vec::new();
    // Relations: tables, indexes, sequences, views, ... Read before the datasets: a data
    // table seen here was committed with its datasets row, which the next read then sees
    // (each statement reads the latest committed state).
    let relations = c.query(
        "SELECT c.relname::text, c.relkind::text, \
                COALESCE((SELECT t.relname::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
                          WHERE i.indexrelid = c.oid), \
                         (SELECT t.relname::text FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid \
                          WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass \
                            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1)), \
                c.relrowsecurity \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() ORDER BY c.oid",
        &[],
    )?;
    let data: Vec<String> = c
        .query("SELECT data_table FROM datasets", &[])?
        .iter()
        .filter_map(|r| r.try_get::<_, String>(0).ok())
        .collect();
    let is_ours = |t: &str| ours.iter().any(|o| o == t) || data.iter().any(|d| d == t);
    for r in relations {
        let name: String = r.get(0);
        let kind: String = r.get(1);
        let owner: Option<String> = r.get(2);
        let rls: bool = r.get(3);
        let owned = owner.as_deref().is_some_and(is_ours);
        let problem = match kind.as_str() {
            "r" if is_ours(&name) && !rls => None,
            "r" if is_ours(&name) => Some(format!("table {name:?} has row-level security enabled")),
            "r" => Some(format!(
                "table {name:?} is not part of an mlops-lite registry"
            )),
            "i" | "S" if owned => None,
            "i" => Some(format!("index {name:?} is not one of mlops-lite's")),
            "S" => Some(format!(
                "sequence {name:?} is not part of an mlops-lite registry"
            )),
            "v" => Some(format!("view {name:?}")),
            "m" => Some(format!("materialized view {name:?}")),
            "f" => Some(format!("foreign table {name:?}")),
            "p" => Some(format!("partitioned table {name:?}")),
            "c" => Some(format!("composite type {name:?}")),
            other => Some(format!("relation {name:?} of kind {other:?}")),
        };
        problems.extend(problem);
    }
    for (sql, what) in [
        (
            "SELECT t.tgname::text || ' on ' || c.relname::text FROM pg_trigger t \
             JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
            "trigger",
        ),
        (
            "SELECT rulename::text || ' on ' || tablename::text FROM pg_rules WHERE schemaname = current_schema()",
            "rule",
        ),
        (
            "SELECT policyname::text || ' on ' || tablename::text FROM pg_policies WHERE schemaname = current_schema()",
            "policy",
        ),
        (
            "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE n.nspname = current_schema()",
            "function",
        ),
        (
            // Types other than the row types of tables (and their array types).
            "SELECT t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE n.nspname = current_schema() AND t.typrelid = 0 \
               AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)",
            "type",
        ),
    ] {
        for r in c.query(sql, &[])? {
            let name: String = r.get(0);
            problems.push(format!("{what} {name:?}"));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let total = problems.len();
    problems.truncate(SHOWN);
    for p in &mut problems {
        p.push_str(&format!(" (in schema {schema:?})"));
    }
    Err(Error::Altered {
        path: label.into(),
        objects: problems,
        total,
    })
}

impl PgStore {
    /// Inside the caller's open transaction: when this registry was opened on an empty schema,
    /// creates the schema and its tables (unless another process did meanwhile), so that they
    /// are committed or rolled back with the caller's first write: a failed first write leaves
    /// the database as it was. Returns whether it created them.
    pub fn create_in_transaction(&self, c: &mut Conn) -> Result<bool> {
        if !self.fresh.get() {
            return Ok(false);
        }
        c.execute("SELECT pg_advisory_xact_lock($1)", &[&INIT_LOCK])?;
        if let Some(s) = &self.schema {
            c.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(s)))?;
        }
        if let State::Registry = inspect(c, &self.label, self.schema.as_deref())? {
            // Another process created it (and committed) while we were not looking.
            self.fresh.set(false);
            return Ok(false);
        }
        c.batch_execute(SCHEMA)?;
        c.execute(
            "INSERT INTO mlops_meta (key, value) VALUES ('format', 'mlops-lite registry'), \
             ('format_version', $1), ('written_by', $2)",
            &[
                &SCHEMA_VERSION.to_string(),
                &concat!("mlops-lite ", env!("CARGO_PKG_VERSION")),
            ],
        )?;
        Ok(true)
    }

    /// Whether the tables are not created yet (opened on an empty schema, nothing committed).
    pub fn is_fresh(&self) -> bool {
        self.fresh.get()
    }

    /// The tables were committed.
    pub fn created(&self) {
        self.fresh.set(false);
    }

    /// Runs a read on a registry whose tables are not created yet: in a transaction that
    /// creates them and is rolled back (so an empty registry reads as empty, and nothing is
    /// written).
    pub fn read_fresh<T>(&self, read: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let mut c = self.conn.borrow_mut();
        c.batch_execute("BEGIN")?;
        let result = match self.create_in_transaction(&mut c) {
            Ok(_) => read(&mut c),
            Err(e) => Err(e),
        };
        let end = c.batch_execute("ROLLBACK");
        let value = result?;
        end?;
        Ok(value)
    }
}

/// A lock key for writers of one dataset or model name.
pub fn name_lock(kind: &str, name: &str) -> i64 {
    let mut bytes = kind.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend_from_slice(name.as_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes) as i64
}

/// Takes the transaction-level lock of `kind` `name` (released at commit or rollback).
pub fn lock_name(c: &mut Conn, kind: &str, name: &str) -> Result<()> {
    c.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&name_lock(kind, name)],
    )?;
    Ok(())
}

/// Whether a failed write lost a race and may be retried.
pub fn is_retryable(e: &Error) -> bool {
    match e {
        Error::Postgres(p) => matches!(
            p.code(),
            Some(c) if *c == SqlState::UNIQUE_VIOLATION
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
        ),
        _ => false,
    }
}

fn dataset_entry(r: &Row) -> DatasetEntry {
    DatasetEntry {
        id: r.get(0),
        name: r.get(1),
        version: r.get(2),
        size_cols: r.get(3),
        size_rows: r.get(4),
        description: r.get(5),
        created_at: r.get(6),
        md5: r.get(7),
        data_table: r.get(8),
    }
}

fn model_entry(r: &Row) -> ModelEntry {
    let metrics: String = r.get(7);
    ModelEntry {
        id: r.get(0),
        name: r.get(1),
        version: r.get(2),
        dataset_registry_id: r.get(3),
        estimator_class: r.get(4),
        estimator_type: r.get(5),
        description: r.get(6),
        metrics: serde_json::from_str(&metrics).unwrap_or(serde_json::Value::Null),
        created_at: r.get(8),
        target: r.get(9),
        artifact_md5: r.get(10),
    }
}

fn one_dataset(
    c: &mut Conn,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<DatasetEntry>> {
    let sql = format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE {filter} LIMIT 1");
    Ok(c.query_opt(&sql, params)?.as_ref().map(dataset_entry))
}

fn one_model(
    c: &mut Conn,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<ModelEntry>> {
    let sql = format!("SELECT {MODEL_COLUMNS} FROM models WHERE {filter} LIMIT 1");
    Ok(c.query_opt(&sql, params)?.as_ref().map(model_entry))
}

/// See [`super::sqlite::find_dataset_by_md5`].
pub fn find_dataset_by_md5(c: &mut Conn, name: &str, md5: &str) -> Result<Option<DatasetEntry>> {
    one_dataset(c, "name = $1 AND md5 = $2 ORDER BY version", &[&name, &md5])
}

/// See [`super::sqlite::find_dataset_by_fingerprint`].
pub fn find_dataset_by_fingerprint(
    c: &mut Conn,
    name: &str,
    fingerprint: &str,
) -> Result<Option<DatasetEntry>> {
    one_dataset(
        c,
        "name = $1 AND source_fingerprint = $2 ORDER BY version",
        &[&name, &fingerprint],
    )
}

/// See [`super::sqlite::list_datasets`].
pub fn list_datasets(c: &mut Conn) -> Result<Vec<DatasetEntry>> {
    let sql = format!("SELECT {DATASET_COLUMNS} FROM datasets ORDER BY id");
    Ok(c.query(&sql, &[])?.iter().map(dataset_entry).collect())
}

/// See [`super::sqlite::dataset_by_id`].
pub fn dataset_by_id(c: &mut Conn, id: i64) -> Result<Option<DatasetEntry>> {
    one_dataset(c, "id = $1", &[&id])
}

/// See [`super::sqlite::dataset_by_name`].
pub fn dataset_by_name(
    c: &mut Conn,
    name: &str,
    version: Option<i64>,
) -> Result<Option<DatasetEntry>> {
    match version {
        Some(v) => one_dataset(c, "name = $1 AND version = $2", &[&name, &v]),
        None => one_dataset(c, "name = $1 ORDER BY version DESC", &[&name]),
    }
}

/// See [`super::sqlite::dataset_source`].
pub fn dataset_source(c: &mut Conn, id: i64) -> Result<(Option<String>, Option<String>)> {
    let r = c.query_one(
        "SELECT source_format, source_fingerprint FROM datasets WHERE id = $1",
        &[&id],
    )?;
    Ok((r.get(0), r.get(1)))
}

/// See [`super::sqlite::column_infos`].
pub fn column_infos(c: &mut Conn, id: i64) -> Result<Vec<ColumnInfo>> {
    let rows = c.query(
        "SELECT column_name, original_dtype, converted_dtype, null_count, unique_count, \
         min_value_num, max_value_num, mean, std FROM dataset_columns WHERE dataset_id = $1 ORDER BY position",
        &[&id],
    )?;
    Ok(rows
        .iter()
        .map(|r| ColumnInfo {
            column_name: r.get(0),
            original_dtype: r.get(1),
            converted_dtype: r.get(2),
            null_count: r.get::<_, i64>(3) as u64,
            unique_count: r.get::<_, i64>(4) as u64,
            min_value_num: r.get(5),
            max_value_num: r.get(6),
            mean: r.get(7),
            std: r.get(8),
        })
        .collect())
}

/// The names of a data table's columns: the row-order column, then the dataset's columns
/// (cut to PostgreSQL's 63-byte identifiers when longer, keeping them distinct).
fn physical_columns(data: &Dataset) -> (String, Vec<String>) {
    // PostgreSQL truncates identifiers to 63 bytes: a longer name is cut (at a character
    // boundary) and given a suffix that no other column of the table has, short names first
    // reserved as they are (they are distinct already).
    let mut taken: std::collections::HashSet<String> = data
        .columns()
        .iter()
        .filter(|c| c.name.len() <= 63)
        .map(|c| c.name.clone())
        .collect();
    let mut names: Vec<String> = Vec::new();
    for (i, c) in data.columns().iter().enumerate() {
        if c.name.len() <= 63 {
            names.push(c.name.clone());
            continue;
        }
        let mut k = 0usize;
        let name = loop {
            let suffix = if k == 0 {
                format!("_{i}")
            } else {
                format!("_{i}_{k}")
            };
            let mut end = 63 - suffix.len();
            while !c.name.is_char_boundary(end) {
                end -= 1;
            }
            let candidate = format!("{}{suffix}", &c.name[..end]);
            if !taken.contains(&candidate) {
                break candidate;
            }
            k += 1;
        };
        taken.insert(name.clone());
        names.push(name);
    }
    let mut row = "mlops_row".to_string();
    while names.contains(&row) {
        row.push('_');
    }
    (row, names)
}

fn pg_type(t: DType) -> (&'static str, Type) {
    match t {
        DType::Integer => ("BIGINT", Type::INT8),
        DType::Float => ("DOUBLE PRECISION", Type::FLOAT8),
        DType::Boolean => ("BOOLEAN", Type::BOOL),
        DType::String => ("TEXT", Type::TEXT),
    }
}

/// One value on its way into a binary COPY.
enum CopyCell<'a> {
    I(Option<i64>),
    F(Option<f64>),
    B(Option<bool>),
    S(Option<&'a str>),
}

impl CopyCell<'_> {
    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            CopyCell::I(v) => v,
            CopyCell::F(v) => v,
            CopyCell::B(v) => v,
            CopyCell::S(v) => v,
        }
    }
}

/// Inserts a dataset at `version` inside the caller's transaction; see
/// [`super::sqlite::insert_dataset_version`]. The rows go in with one binary `COPY`, while another
/// thread computes the column summaries and row hashes.
pub fn insert_dataset_version(
    c: &mut Conn,
    new: &NewDataset<'_>,
    data: &Dataset,
    stats: impl FnOnce() -> Vec<ColumnInfo> + Send,
    version: Option<i64>,
) -> Result<DatasetEntry> {
    for col in data.columns() {
        if let Values::String(v) = &col.values {
            if let Some(r) = v
                .iter()
                .position(|s| s.as_deref().is_some_and(|s| s.contains('\0')))
            {
                return Err(Error::InvalidArgument(format!(
                    "dataset {:?}: row {}, column {:?} holds a NUL character, which PostgreSQL \
                     text cannot store; remove it from the data or keep this dataset in a \
                     SQLite registry file",
                    new.name,
                    r + 1,
                    col.name
                )));
            }
        }
    }
    let version = match version {
        Some(v) => v,
        None => c
            .query_one(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM datasets WHERE name = $1",
                &[&new.name],
            )?
            .get(0),
    };
    let id: i64 = c
        .query_one(
            "SELECT nextval(pg_get_serial_sequence('datasets', 'id'))",
            &[],
        )?
        .get(0);
    let table = format!("data_{id}");
    c.execute(
        "INSERT INTO datasets (id, name, version, description, size_rows, size_cols, md5, data_table, \
         source_format, source_fingerprint, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         COALESCE($11, to_char(timezone('UTC', clock_timestamp()), 'YYYY-MM-DD HH24:MI:SS')))",
        &[
            &id,
            &new.name,
            &version,
            &new.description,
            &(data.rows() as i64),
            &(data.columns().len() as i64),
            &new.md5,
            &table,
            &new.source_format,
            &new.source_fingerprint,
            &new.created_at,
        ],
    )?;
    let (row_col, names) = physical_columns(data);
    let mut defs = vec![format!("{} BIGINT NOT NULL", quote_ident(&row_col))];
    let mut types = vec![Type::INT8];
    for (name, col) in names.iter().zip(data.columns()) {
        let (sql, t) = pg_type(col.values.dtype());
        defs.push(format!("{} {sql}", quote_ident(name)));
        types.push(t);
    }
    c.batch_execute(&format!(
        "CREATE TABLE {} ({})",
        quote_ident(&table),
        defs.join(", ")
    ))?;
    let (infos, (block_size, hashes)) = run_beside(
        || (stats(), data.row_hashes()),
        || copy_rows(c, &table, &types, data),
    )?;
    if !hashes.is_empty() {
        let blocks: Vec<i64> = (0..hashes.len() as i64).collect();
        let values: Vec<i64> = hashes.iter().map(|h| *h as i64).collect();
        c.execute(
            "INSERT INTO dataset_row_hashes (dataset_id, block, block_size, xxh3) \
             SELECT $1, b, $2, h FROM unnest($3::bigint[], $4::bigint[]) AS t(b, h)",
            &[&id, &(block_size as i64), &blocks, &values],
        )?;
    }
    for (i, info) in infos.iter().enumerate() {
        c.execute(
            "INSERT INTO dataset_columns (dataset_id, position, column_name, original_dtype, converted_dtype, \
             null_count, unique_count, min_value_num, max_value_num, mean, std) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &id,
                &(i as i64),
                &info.column_name,
                &info.original_dtype,
                &info.converted_dtype,
                &(info.null_count as i64),
                &(info.unique_count as i64),
                &info.min_value_num,
                &info.max_value_num,
                &info.mean,
                &info.std,
            ],
        )?;
    }
    dataset_by_id(c, id)?.ok_or_else(|| Error::NotFound(format!("dataset id {id} vanished")))
}

fn copy_rows(c: &mut Conn, table: &str, types: &[Type], data: &Dataset) -> Result<()> {
    let sink = c.client().copy_in(&format!(
        "COPY {} FROM STDIN (FORMAT binary)",
        quote_ident(table)
    ))?;
    let mut w = BinaryCopyInWriter::new(sink, types);
    let mut cells: Vec<CopyCell<'_>> = Vec::with_capacity(types.len());
    for r in 0..data.rows() {
        cells.clear();
        cells.push(CopyCell::I(Some(r as i64)));
        for col in data.columns() {
            cells.push(match &col.values {
                Values::Integer(v) => CopyCell::I(v[r]),
                Values::Float(v) => CopyCell::F(Some(v[r]).filter(|x| !x.is_nan())),
                Values::Boolean(v) => CopyCell::B(v[r]),
                Values::String(v) => CopyCell::S(v[r].as_deref()),
            });
        }
        let refs: Vec<&(dyn ToSql + Sync)> = cells.iter().map(CopyCell::sql).collect();
        w.write(&refs)?;
    }
    w.finish()?;
    Ok(())
}

/// See [`super::sqlite::read_dataset`]: the rows in their recorded order, typed by the column metadata.
pub fn read_dataset(c: &mut Conn, entry: &DatasetEntry, label: &str) -> Result<Dataset> {
    let infos = column_infos(c, entry.id)?;
    let damaged = |reason: String| damaged(label, entry, reason);
    let (types, mut cols) = empty_columns(entry, label, &infos)?;
    let sql = format!(
        "SELECT * FROM {} ORDER BY 1",
        quote_ident(&entry.data_table)
    );
    let mut it = c
        .client()
        .query_raw(&sql, std::iter::empty::<i64>())
        .map_err(|e| damaged(format!("cannot read it: {e}")))?;
    let mut r = 0usize;
    use postgres::fallible_iterator::FallibleIterator;
    while let Some(row) = it.next()? {
        r += 1;
        if row.len() != cols.len() + 1 {
            return Err(damaged(format!(
                "it has {} columns but the registry recorded {} (plus the row-order column)",
                row.len(),
                cols.len()
            )));
        }
        for (i, col) in cols.iter_mut().enumerate() {
            let bad = |e: postgres::Error| {
                damaged(format!(
                    "row {r}, column {:?}: {e} (expected {})",
                    infos[i].column_name,
                    types[i].name()
                ))
            };
            let k = i + 1;
            match col {
                Values::Integer(v) => v.push(row.try_get(k).map_err(bad)?),
                Values::Float(v) => v.push(
                    row.try_get::<_, Option<f64>>(k)
                        .map_err(bad)?
                        .unwrap_or(f64::NAN),
                ),
                Values::Boolean(v) => v.push(row.try_get(k).map_err(bad)?),
                Values::String(v) => v.push(row.try_get(k).map_err(bad)?),
            }
        }
    }
    drop(it);
    finish_dataset(entry, label, infos, cols, r)
}

/// See [`super::sqlite::row_hashes`].
pub fn row_hashes(c: &mut Conn, id: i64) -> Result<Option<(usize, Vec<u64>)>> {
    let rows = c.query(
        "SELECT block_size, xxh3 FROM dataset_row_hashes WHERE dataset_id = $1 ORDER BY block",
        &[&id],
    )?;
    Ok(rows.first().map(|first| {
        (
            first.get::<_, i64>(0) as usize,
            rows.iter().map(|r| r.get::<_, i64>(1) as u64).collect(),
        )
    }))
}

/// See [`super::sqlite::dataset_for_lineage`].
pub fn dataset_for_lineage(
    c: &mut Conn,
    name: &str,
    version: i64,
    md5: &str,
) -> Result<Option<DatasetEntry>> {
    one_dataset(
        c,
        "md5 = $3 ORDER BY (name = $1 AND version = $2) DESC, id",
        &[&name, &version, &md5],
    )
}

/// See [`super::sqlite::find_model_by_md5`].
pub fn find_model_by_md5(c: &mut Conn, name: &str, md5: &str) -> Result<Option<ModelEntry>> {
    one_model(
        c,
        "name = $1 AND artifact_md5 = $2 ORDER BY version",
        &[&name, &md5],
    )
}

/// See [`super::sqlite::insert_model`].
pub fn insert_model(c: &mut Conn, new: &NewModel<'_>) -> Result<ModelEntry> {
    let version: i64 = match new.version {
        Some(v) => v,
        None => c
            .query_one(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE name = $1",
                &[&new.name],
            )?
            .get(0),
    };
    let id: i64 = c
        .query_one(
            "INSERT INTO models (name, version, dataset_id, target, estimator_class, estimator_type, description, \
             metrics, signature, classes, artifact, artifact_md5, artifact_format, mlops_lite_version, smartcore_version, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             COALESCE($16, to_char(timezone('UTC', clock_timestamp()), 'YYYY-MM-DD HH24:MI:SS'))) RETURNING id",
            &[
                &new.name,
                &version,
                &new.dataset_id,
                &new.target,
                &new.estimator_class,
                &new.estimator_type,
                &new.description,
                &new.metrics,
                &new.signature,
                &new.classes,
                &new.artifact,
                &new.artifact_md5,
                &(new.artifact_format as i64),
                &new.mlops_lite_version,
                &new.smartcore_version,
                &new.created_at,
            ],
        )?
        .get(0);
    model_by_id(c, id)?.ok_or_else(|| Error::NotFound(format!("model id {id} vanished")))
}

/// See [`super::sqlite::list_models`].
pub fn list_models(c: &mut Conn) -> Result<Vec<ModelEntry>> {
    let sql = format!("SELECT {MODEL_COLUMNS} FROM models ORDER BY id");
    Ok(c.query(&sql, &[])?.iter().map(model_entry).collect())
}

/// See [`super::sqlite::model_by_id`].
pub fn model_by_id(c: &mut Conn, id: i64) -> Result<Option<ModelEntry>> {
    one_model(c, "id = $1", &[&id])
}

/// See [`super::sqlite::model_by_name`].
pub fn model_by_name(c: &mut Conn, name: &str, version: Option<i64>) -> Result<Option<ModelEntry>> {
    match version {
        Some(v) => one_model(c, "name = $1 AND version = $2", &[&name, &v]),
        None => one_model(c, "name = $1 ORDER BY version DESC", &[&name]),
    }
}

/// See [`super::sqlite::model_artifact`].
pub fn model_artifact(c: &mut Conn, id: i64) -> Result<Vec<u8>> {
    Ok(
        c.query_one("SELECT artifact FROM models WHERE id = $1", &[&id])?
            .get(0),
    )
}

/// See [`super::sqlite::model_row`].
pub fn model_row(c: &mut Conn, id: i64) -> Result<ModelRow> {
    let entry = model_by_id(c, id)?
        .ok_or_else(|| Error::NotFound(format!("model id {id} is not there")))?;
    let r = c.query_one(
        "SELECT metrics, signature, classes, artifact, artifact_format, mlops_lite_version, smartcore_version \
         FROM models WHERE id = $1",
        &[&id],
    )?;
    Ok(ModelRow {
        entry,
        metrics: r.get(0),
        signature: r.get(1),
        classes: r.get(2),
        artifact: r.get(3),
        artifact_format: r.get(4),
        mlops_lite_version: r.get(5),
        smartcore_version: r.get(6),
    })
}

/// A binary COPY into `prediction_records` (call_id, position, reference_id, inputs, outputs).
fn records_writer(c: &mut Conn) -> Result<BinaryCopyInWriter<'_>> {
    let sink = c.copy_in(
        "COPY prediction_records (call_id, position, reference_id, inputs, outputs) \
         FROM STDIN (FORMAT binary)",
    )?;
    Ok(BinaryCopyInWriter::new(
        sink,
        &[Type::INT8, Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT],
    ))
}

/// See [`super::sqlite::insert_prediction_log`]: the call row, then its records with one binary COPY.
pub fn insert_prediction_log<'p>(
    c: &mut Conn,
    model_id: i64,
    dataset_id: i64,
    latency_us: i64,
    n: usize,
    mut record: impl FnMut(usize, &mut String, &mut String) -> Option<&'p str>,
) -> Result<i64> {
    let call: i64 = c
        .query_one(
            "INSERT INTO prediction_calls (model_id, dataset_id, n_records, latency_us) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&model_id, &dataset_id, &(n as i64), &latency_us],
        )?
        .get(0);
    let mut w = records_writer(c)?;
    let (mut inputs, mut outputs) = (String::new(), String::new());
    for i in 0..n {
        let reference = record(i, &mut inputs, &mut outputs);
        w.write(&[
            &call,
            &(i as i64),
            &reference,
            &inputs.as_str(),
            &outputs.as_str(),
        ])?;
    }
    w.finish()?;
    Ok(call)
}

/// See [`super::sqlite::insert_logged_call`].
pub fn insert_logged_call(
    c: &mut Conn,
    model_id: i64,
    dataset_id: i64,
    call: &LoggedCall,
) -> Result<i64> {
    let id: i64 = c
        .query_one(
            "INSERT INTO prediction_calls (model_id, dataset_id, created_at, n_records, latency_us) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&model_id, &dataset_id, &call.created_at, &call.n_records, &call.latency_us],
        )?
        .get(0);
    let mut w = records_writer(c)?;
    for r in &call.records {
        w.write(&[&id, &r.position, &r.reference_id, &r.inputs, &r.outputs])?;
    }
    w.finish()?;
    Ok(id)
}

/// See [`super::sqlite::logged_calls`].
pub fn logged_calls(c: &mut Conn, model_id: i64) -> Result<Vec<LoggedCall>> {
    let rows = c.query(
        "SELECT c.id, c.created_at, c.n_records, c.latency_us, r.position, r.reference_id, r.inputs, r.outputs \
         FROM prediction_calls c JOIN prediction_records r ON r.call_id = c.id \
         WHERE c.model_id = $1 ORDER BY c.id, r.position",
        &[&model_id],
    )?;
    let mut calls = Vec::new();
    for r in &rows {
        let call = LoggedCall {
            created_at: r.get(1),
            n_records: r.get(2),
            latency_us: r.get(3),
            records: Vec::new(),
        };
        let record = LoggedRecord {
            position: r.get(4),
            reference_id: r.get(5),
            inputs: r.get(6),
            outputs: r.get(7),
        };
        push_logged(&mut calls, r.get(0), call, record);
    }
    Ok(calls.into_iter().map(|(_, c)| c).collect())
}

/// See [`super::sqlite::query_log`].
pub fn query_log(c: &mut Conn, filter: &LogFilter) -> Result<Vec<LogRecord>> {
    let since = filter.since.as_deref().map(check_time).transpose()?;
    let until = filter.until.as_deref().map(check_time).transpose()?;
    let sql = "SELECT c.id, r.position, c.created_at, m.id, m.name, m.version, r.reference_id, r.inputs, r.outputs \
         FROM prediction_records r JOIN prediction_calls c ON c.id = r.call_id JOIN models m ON m.id = c.model_id \
         WHERE ($1::bigint IS NULL OR c.model_id = $1) AND ($2::text IS NULL OR r.reference_id = $2) \
         AND ($3::text IS NULL OR c.created_at >= $3) AND ($4::text IS NULL OR c.created_at < $4) \
         ORDER BY c.id DESC, r.position DESC LIMIT $5 OFFSET $6";
    let limit = filter.limit.filter(|l| *l >= 0);
    let offset = filter.offset.unwrap_or(0).max(0);
    let rows = c.query(
        sql,
        &[
            &filter.model_id,
            &filter.reference_id,
            &since,
            &until,
            &limit,
            &offset,
        ],
    )?;
    let mut all: Vec<LogRecord> = rows
        .iter()
        .map(|r| {
            let inputs: String = r.get(7);
            let outputs: String = r.get(8);
            LogRecord {
                call_id: r.get(0),
                position: r.get(1),
                created_at: r.get(2),
                model_id: r.get(3),
                model_name: r.get(4),
                model_version: r.get(5),
                reference_id: r.get(6),
                inputs: serde_json::from_str(&inputs).unwrap_or(serde_json::Value::String(inputs)),
                outputs: serde_json::from_str(&outputs)
                    .unwrap_or(serde_json::Value::String(outputs)),
            }
        })
        .collect();
    all.reverse();
    Ok(all)
}

/// See [`super::sqlite::scan_cells`]: PostgreSQL columns are typed, so each cell is read by its
/// column's type.
pub fn scan_cells(c: &mut Conn, sql: &str, params: &[i64]) -> Result<Vec<Vec<super::Cell>>> {
    let mut out = Vec::new();
    scan_cells_each(c, sql, params, |row| {
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// See [`super::sqlite::scan_cells_each`]: rows are streamed from the server.
pub fn scan_cells_each(
    c: &mut Conn,
    sql: &str,
    params: &[i64],
    mut each: impl FnMut(Vec<super::Cell>) -> Result<()>,
) -> Result<()> {
    use super::Cell;
    use postgres::fallible_iterator::FallibleIterator;
    let statement = c.statement(sql)?;
    let args: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
    let mut rows = c.client().query_raw(&statement, args)?;
    while let Some(r) = rows.next()? {
        let mut cells = Vec::with_capacity(r.len());
        for (i, col) in r.columns().iter().enumerate() {
            let t = col.type_();
            let cell = if *t == Type::INT8 {
                r.try_get::<_, Option<i64>>(i)?.map(Cell::Integer)
            } else if *t == Type::INT4 {
                r.try_get::<_, Option<i32>>(i)?
                    .map(|v| Cell::Integer(v.into()))
            } else if *t == Type::INT2 {
                r.try_get::<_, Option<i16>>(i)?
                    .map(|v| Cell::Integer(v.into()))
            } else if *t == Type::BOOL {
                r.try_get::<_, Option<bool>>(i)?
                    .map(|v| Cell::Integer(v.into()))
            } else if *t == Type::FLOAT8 {
                r.try_get::<_, Option<f64>>(i)?.map(Cell::Real)
            } else if *t == Type::FLOAT4 {
                r.try_get::<_, Option<f32>>(i)?
                    .map(|v| Cell::Real(v.into()))
            } else if *t == Type::BYTEA {
                r.try_get::<_, Option<Vec<u8>>>(i)?.map(Cell::Blob)
            } else {
                r.try_get::<_, Option<String>>(i)?.map(Cell::Text)
            };
            cells.push(cell.unwrap_or(Cell::Null));
        }
        each(cells)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Column;

    #[test]
    fn urls_are_redacted_and_split() {
        assert_eq!(
            redact("postgres://bob:secret@db.example:5433/reg?schema=x"),
            "postgres://bob@db.example:5433/reg?schema=x"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        let (base, schema) =
            split_schema("postgres://u@h/db?schema=team_1&sslmode=disable").unwrap();
        assert_eq!(base, "postgres://u@h/db?sslmode=disable");
        assert_eq!(schema.as_deref(), Some("team_1"));
        assert!(split_schema("postgres://u@h/db?schema=a;drop").is_err());
        assert!(split_schema("postgres://u@h/db?schema=1a").is_err());
        assert!(is_url("postgresql://x/y") && !is_url("postgres.db"));
    }

    #[test]
    fn long_and_clashing_column_names_get_distinct_postgres_names() {
        let long = "é".repeat(40); // 80 bytes
        let data = Dataset::new(vec![
            Column::new(long.clone(), Values::Float(vec![1.0])),
            Column::new(format!("{long}x"), Values::Float(vec![2.0])),
            Column::new("mlops_row", Values::Integer(vec![Some(1)])),
        ])
        .unwrap();
        let (row, names) = physical_columns(&data);
        assert_eq!(row, "mlops_row_");
        assert!(names.iter().all(|n| n.len() <= 63));
        assert_ne!(names[0], names[1]);
        assert_eq!(names[2], "mlops_row");
    }

    #[test]
    fn a_truncated_name_never_takes_the_name_of_another_column() {
        let long = "a".repeat(80);
        // The second column is, by its own name, what the first would be cut to.
        let cut = format!("{}_0", "a".repeat(61));
        let data = Dataset::new(vec![
            Column::new(long, Values::Float(vec![1.0])),
            Column::new(cut.clone(), Values::Float(vec![2.0])),
        ])
        .unwrap();
        let (_, names) = physical_columns(&data);
        assert_eq!(names[1], cut);
        assert_ne!(names[0], names[1]);
        assert!(names[0].len() <= 63, "{}", names[0]);
    }
}
