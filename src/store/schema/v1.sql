-- mlops-lite registry format 1. Applied once, in one transaction, to an empty database;
-- PRAGMA user_version then records 1. Later formats add migrations; they never edit this file.
CREATE TABLE mlops_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    description TEXT NOT NULL DEFAULT '',
    size_rows INTEGER NOT NULL CHECK (size_rows >= 1),
    size_cols INTEGER NOT NULL CHECK (size_cols >= 1),
    md5 TEXT NOT NULL CHECK (length(md5) = 32),
    data_table TEXT NOT NULL UNIQUE,
    source_format TEXT,
    source_fingerprint TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    UNIQUE (name, version)
);

CREATE INDEX datasets_by_md5 ON datasets (md5);

CREATE TABLE dataset_columns (
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    column_name TEXT NOT NULL,
    original_dtype TEXT NOT NULL,
    converted_dtype TEXT NOT NULL CHECK (converted_dtype IN ('Int64', 'Float64', 'boolean', 'string')),
    null_count INTEGER NOT NULL,
    unique_count INTEGER NOT NULL,
    min_value_num REAL,
    max_value_num REAL,
    mean REAL,
    std REAL,
    PRIMARY KEY (dataset_id, position),
    UNIQUE (dataset_id, column_name)
) WITHOUT ROWID;
