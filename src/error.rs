//! The one error type of the crate.
//!
//! Every fallible call in mlops-lite returns [`Error`]. Messages locate the problem (file, line,
//! record, column, dataset reference) and end with what to do next, so the CLI and the wasm
//! layer can show them as they are. [`Error::kind`] lets callers branch without parsing text.

use std::fmt;

/// A crate-wide result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely: for callers that branch on the kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input data (CSV, JSON, records) is malformed or unsupported.
    Input,
    /// An argument (name, reference, option) is not acceptable.
    InvalidArgument,
    /// A dataset, model or file that was asked for does not exist.
    NotFound,
    /// The database is not an mlops-lite registry (not SQLite, or someone else's tables).
    NotARegistry,
    /// The registry was written by a newer mlops-lite with a newer file format.
    NewerFormat,
    /// The registry is damaged: truncated file, malformed pages, or a stored md5 that no
    /// longer matches its content.
    Corrupt,
    /// An error from SQLite that none of the above describes.
    Database,
    /// Reading or writing a file failed.
    Io,
    /// The database server could not be reached, or refused the connection or credentials.
    Connection,
    /// The registry file holds objects that mlops-lite does not define (triggers, views,
    /// unknown tables, indexes or columns): someone altered it, and it is not opened.
    Altered,
    /// The registry is of an older format and the command only reads: `migrate` upgrades it.
    OlderFormat,
    /// Another writer held the registry's write lock for longer than the command waits.
    Busy,
}

impl ErrorKind {
    /// The kind as a snake_case word (`input`, `not_found`, ...): what the Python package's
    /// exception carries in `kind`, so callers branch on a stable name, not on the message.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Input => "input",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::NotFound => "not_found",
            ErrorKind::NotARegistry => "not_a_registry",
            ErrorKind::NewerFormat => "newer_format",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Database => "database",
            ErrorKind::Io => "io",
            ErrorKind::Connection => "connection",
            ErrorKind::Altered => "altered",
            ErrorKind::OlderFormat => "older_format",
            ErrorKind::Busy => "busy",
        }
    }

    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Input,
        ErrorKind::InvalidArgument,
        ErrorKind::NotFound,
        ErrorKind::NotARegistry,
        ErrorKind::NewerFormat,
        ErrorKind::Corrupt,
        ErrorKind::Database,
        ErrorKind::Io,
        ErrorKind::Connection,
        ErrorKind::Altered,
        ErrorKind::OlderFormat,
        ErrorKind::Busy,
    ];
}

/// Where in an input file a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// 1-based line of the record (CSV), when known.
    pub line: Option<u64>,
    /// 1-based record number (data rows, not counting a CSV header), when known.
    pub record: Option<u64>,
    /// The column or field name, when the problem is in one column.
    pub column: Option<String>,
    /// 0-based index of the record in a batch of records to predict (shown `records[i]`).
    pub index: Option<u32>,
    /// 1-based column (character) within `line`, for JSON text.
    pub char: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match (self.line, self.char) {
            (Some(line), Some(char)) => parts.push(format!("line {line}, column {char}")),
            (Some(line), None) => parts.push(format!("line {line}")),
            _ => {}
        }
        if let Some(record) = self.record {
            parts.push(format!("record {record}"));
        }
        match (self.index, &self.column) {
            // A record of a batch to predict: `records[2] field "x"`, as the input is indexed.
            (Some(index), Some(field)) => parts.push(format!("records[{index}] field {field:?}")),
            (Some(index), None) => parts.push(format!("records[{index}]")),
            (None, Some(column)) => parts.push(format!("column {column:?}")),
            (None, None) => {}
        }
        f.write_str(&parts.join(", "))
    }
}

/// The error type of mlops-lite.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Input data is malformed: `source` names the file (or `<bytes>`), `location` where.
    Input {
        /// The file name, or a label such as `<bytes>` for in-memory input.
        source: String,
        /// Line, record and column, as far as they apply.
        location: Location,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An argument such as a name, reference or option is not acceptable.
    InvalidArgument(String),
    /// Something that was asked for does not exist; the message says how to list what does.
    NotFound(String),
    /// The database at `path` is not an mlops-lite registry.
    NotARegistry {
        /// The database path, or `<bytes>`.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// The registry uses a newer file format than this build reads. Nothing was changed.
    NewerFormat {
        /// The database path, or `<bytes>`.
        path: String,
        /// The schema version found in the file.
        found: i64,
        /// The newest schema version this build reads.
        supported: i64,
    },
    /// The registry is damaged.
    Corrupt {
        /// The database path, or `<bytes>`.
        path: String,
        /// What was found to be damaged.
        reason: String,
    },
    /// The file holds objects that its format does not define: it was altered outside
    /// mlops-lite, and nothing in it was read or run.
    Altered {
        /// The database path, or `<bytes>`.
        path: String,
        /// The first few offending objects, each described in a sentence.
        objects: Vec<String>,
        /// How many were found in all.
        total: usize,
    },
    /// The registry is of an older format; a command that only reads does not upgrade it.
    OlderFormat {
        /// The database path.
        path: String,
        /// The format found in the file.
        found: i64,
        /// The format this build reads and writes.
        supported: i64,
    },
    /// Another process held the write lock for longer than the command waits.
    Busy {
        /// The database path.
        path: String,
        /// The processes that hold a lock on the file, as far as the system tells
        /// (`pid 123: mlops-lite dataset add big.csv`); may be empty.
        holders: Vec<String>,
        /// How long the command waited, in seconds.
        waited_secs: u64,
    },
    /// An error from SQLite.
    Database(rusqlite::Error),
    /// An error from PostgreSQL (native builds only).
    #[cfg(not(target_arch = "wasm32"))]
    Postgres(postgres::Error),
    /// The database server at `target` could not be reached or refused the connection.
    Connect {
        /// The server, as `postgres://user@host:port/database` (never with the password).
        target: String,
        /// What happened and what to do.
        reason: String,
    },
    /// A file could not be read or written.
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input { .. } => ErrorKind::Input,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::NotARegistry { .. } => ErrorKind::NotARegistry,
            Error::NewerFormat { .. } => ErrorKind::NewerFormat,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Altered { .. } => ErrorKind::Altered,
            Error::OlderFormat { .. } => ErrorKind::OlderFormat,
            Error::Busy { .. } => ErrorKind::Busy,
            Error::Database(_) => ErrorKind::Database,
            #[cfg(not(target_arch = "wasm32"))]
            Error::Postgres(_) => ErrorKind::Database,
            Error::Connect { .. } => ErrorKind::Connection,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// An input error at a location in `source`.
    pub(crate) fn input(source: &str, location: Location, message: impl Into<String>) -> Self {
        Error::Input {
            source: source.to_string(),
            location,
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input {
                source,
                location,
                message,
            } => {
                let loc = location.to_string();
                match (source.is_empty(), loc.is_empty()) {
                    (true, true) => f.write_str(message),
                    (true, false) => write!(f, "{loc}: {message}"),
                    (false, true) => write!(f, "{source}: {message}"),
                    (false, false) => write!(f, "{source}: {loc}: {message}"),
                }
            }
            Error::InvalidArgument(message) | Error::NotFound(message) => f.write_str(message),
            Error::NotARegistry { path, reason } => {
                write!(f, "{path} is not an mlops-lite registry: {reason}")
            }
            Error::NewerFormat {
                path,
                found,
                supported,
            } => write!(
                f,
                "{path} uses registry format {found}, but this build of mlops-lite {} reads \
                 formats 1 to {supported}; upgrade mlops-lite to open it (the file was not changed)",
                env!("CARGO_PKG_VERSION")
            ),
            Error::Corrupt { path, reason } => write!(
                f,
                "{path} is damaged: {reason}; restore it from a copy (mlops-lite did not change it)"
            ),
            Error::Altered {
                path,
                objects,
                total,
            } => {
                write!(
                    f,
                    "{path} was altered outside mlops-lite and is not opened: {}",
                    objects.join("; ")
                )?;
                if *total > objects.len() {
                    write!(f, " (and {} more)", total - objects.len())?;
                }
                write!(
                    f,
                    ". Nothing stored in it was run or changed; get the registry again from \
                     its source"
                )?;
                if path.starts_with("postgres") {
                    write!(f, ", or inspect its schema with psql (`\\d`)")?;
                } else if !path.starts_with('<') {
                    write!(f, ", or inspect it with `sqlite3 {path} .schema`")?;
                }
                Ok(())
            }
            Error::OlderFormat {
                path,
                found,
                supported,
            } => write!(
                f,
                "{path} uses registry format {found}; this command only reads and does not \
                 upgrade it: run `mlops-lite --db {path} migrate` to upgrade it to format \
                 {supported} (any command that writes upgrades it too)"
            ),
            Error::Busy {
                path,
                holders,
                waited_secs,
            } => {
                write!(
                    f,
                    "{path} is locked by another writer (waited {waited_secs} s)"
                )?;
                if !holders.is_empty() {
                    write!(f, ": {}", holders.join(", "))?;
                }
                write!(
                    f,
                    "; nothing was computed or written: run the command again when that \
                     writer is done"
                )
            }
            Error::Database(e) => match e {
                // A cell of the wrong type: SQLite keeps any value in any column, so a file
                // edited outside mlops-lite can hold text where a number belongs.
                rusqlite::Error::InvalidColumnType(_, column, found) => write!(
                    f,
                    "a stored cell of column {column:?} holds {found} where another type \
                     belongs: the file was altered outside mlops-lite; `mlops-lite verify` \
                     names every such cell by table and row"
                ),
                rusqlite::Error::FromSqlConversionFailure(i, found, why) => write!(
                    f,
                    "a stored cell (result column {i}, {found}) cannot be read ({why}): the \
                     file was altered outside mlops-lite; `mlops-lite verify` names every such \
                     cell by table and row"
                ),
                rusqlite::Error::IntegralValueOutOfRange(i, v) => write!(
                    f,
                    "a stored integer (result column {i}) is out of range ({v}): the file was \
                     altered outside mlops-lite; `mlops-lite verify` names every such cell by \
                     table and row"
                ),
                rusqlite::Error::Utf8Error(_, why) => write!(
                    f,
                    "a stored text cell is not valid UTF-8 ({why}): the file was altered \
                     outside mlops-lite; `mlops-lite verify` names every such cell by table \
                     and row"
                ),
                e => write!(f, "database error: {e}"),
            },
            #[cfg(not(target_arch = "wasm32"))]
            Error::Postgres(e) => {
                let io = std::error::Error::source(e)
                    .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
                if e.is_closed() || io {
                    return write!(
                        f,
                        "the connection to PostgreSQL was lost ({e}); the operation's \
                         transaction was not committed, so nothing of it was written: \
                         check the server and run the command again"
                    );
                }
                match e.as_db_error() {
                    Some(db) => {
                        write!(f, "PostgreSQL error {}: {}", db.code().code(), db.message())?;
                        if let Some(d) = db.detail() {
                            write!(f, " ({d})")?;
                        }
                        if let Some(h) = db.hint() {
                            write!(f, "; hint: {h}")?;
                        }
                        Ok(())
                    }
                    None => write!(f, "PostgreSQL error: {e}"),
                }
            }
            Error::Connect { target, reason } => write!(f, "cannot connect to {target}: {reason}"),
            Error::Io { path, source } => write!(f, "{path}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Database(e) => Some(e),
            #[cfg(not(target_arch = "wasm32"))]
            Error::Postgres(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(e)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn every_kind_has_its_own_snake_case_name() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for n in names {
            assert!(
                n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{n}"
            );
        }
        assert_eq!(ErrorKind::NotFound.name(), "not_found");
    }
}
