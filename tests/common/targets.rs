//! Registry targets for tests that run one body on both backends: a SQLite file in a fresh
//! temporary folder, or a fresh schema of the PostgreSQL on 127.0.0.1:5432 (database `test`,
//! trust auth; `MLOPS_LITE_TEST_PG` names another server), dropped when the target is.
//! PostgreSQL missing is a loud failure, never a skip.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The PostgreSQL server the tests use.
pub fn pg_base() -> String {
    std::env::var("MLOPS_LITE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// An admin connection to the test server; panics with how to start it when unreachable.
/// The first call of a test process also drops the schemas left by killed test runs.
pub fn pg_admin() -> postgres::Client {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let mut admin = connect_admin();
    SWEPT.call_once(|| drop_orphan_schemas(&mut admin));
    admin
}

/// Drops `t_*`, `www_e2e_*` and `bench_pg_*` schemas whose creating process (the pid in
/// their third `_` part) no longer runs on this machine: what killed runs left behind.
fn drop_orphan_schemas(admin: &mut postgres::Client) {
    let Ok(rows) = admin.query(
        "SELECT nspname::text FROM pg_namespace \
         WHERE nspname LIKE 't\\_%' OR nspname LIKE 'www\\_e2e\\_%' OR nspname LIKE 'bench\\_pg\\_%'",
        &[],
    ) else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
            }
        }
    }
}

fn connect_admin() -> postgres::Client {
    let base = pg_base();
    postgres::Client::connect(&base, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {base} ({e}). The PostgreSQL tests need it: start \
             it (`sudo service postgresql start`, or `pg_ctlcluster 15 main start`), or set \
             MLOPS_LITE_TEST_PG to a server with a database you may create schemas in"
        )
    })
}

/// A schema name no other test or run uses.
pub fn unique_schema(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{tag}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Which backend a target is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One registry for one test, and a scratch folder.
pub struct Target {
    /// What `--db` and `Registry::open` take: a file path or a postgres:// URL.
    pub db: String,
    pub backend: Backend,
    dir: tempfile::TempDir,
    schema: Option<String>,
}

impl Target {
    pub fn new(backend: Backend) -> Target {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Target {
                db: dir.path().join("registry.db").display().to_string(),
                backend,
                dir,
                schema: None,
            },
            Backend::Postgres => {
                pg_admin(); // fail loudly now when the server is missing
                let schema = unique_schema("reg");
                Target {
                    db: format!("{}?schema={schema}", pg_base()),
                    backend,
                    dir,
                    schema: Some(schema),
                }
            }
        }
    }

    pub fn sqlite() -> Target {
        Target::new(Backend::Sqlite)
    }

    pub fn postgres() -> Target {
        Target::new(Backend::Postgres)
    }

    /// A scratch folder for input files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path in the scratch folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The PostgreSQL schema, when on PostgreSQL.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(s) = &self.schema {
            if let Ok(mut c) = postgres::Client::connect(&pg_base(), postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE"));
            }
        }
    }
}

/// Defines each named `fn(&Target)` as two tests, `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&$crate::common::targets::Target::sqlite())
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    super::$name(&$crate::common::targets::Target::postgres())
                }
            )*
        }
    };
}

/// Everything a registry holds, as the API reports it: to prove a failed call changed nothing
/// on either backend.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub datasets: Vec<mlops_lite::DatasetEntry>,
    pub models: Vec<mlops_lite::ModelEntry>,
    pub log: Vec<mlops_lite::store::LogRecord>,
}

pub fn snapshot(reg: &mlops_lite::Registry) -> Snapshot {
    Snapshot {
        datasets: reg.list_datasets().unwrap(),
        models: reg.list_models().unwrap(),
        log: reg.log(&mlops_lite::store::LogFilter::default()).unwrap(),
    }
}
