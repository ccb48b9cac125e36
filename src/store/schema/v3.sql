-- mlops-lite registry format 3: what `mlops-lite import-legacy` brings over from a registry of
-- the Python mlops-lite. Its datasets become ordinary datasets (legacy_datasets records where
-- each came from); its models are listed but never runnable (their Python pickles are not
-- stored: only their length and md5); its prediction log is kept as readable JSON.
CREATE TABLE legacy_datasets (
    dataset_id INTEGER NOT NULL REFERENCES datasets (id),
    legacy_id INTEGER NOT NULL,
    legacy_version INTEGER NOT NULL,
    legacy_hash TEXT NOT NULL,
    created_at TEXT,
    imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    PRIMARY KEY (dataset_id, legacy_hash)
) WITHOUT ROWID;

CREATE TABLE legacy_models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    dataset_id INTEGER REFERENCES datasets (id),
    target TEXT NOT NULL,
    target_mapping TEXT,
    variables TEXT NOT NULL,
    estimator_class TEXT NOT NULL,
    estimator_type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT,
    legacy_id INTEGER NOT NULL,
    legacy_dataset_id INTEGER NOT NULL,
    legacy_hash TEXT NOT NULL,
    pickle_bytes INTEGER NOT NULL CHECK (pickle_bytes >= 0),
    pickle_md5 TEXT NOT NULL CHECK (length(pickle_md5) = 32),
    runnable BOOLEAN NOT NULL DEFAULT 0 CHECK (runnable = 0),
    imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    UNIQUE (name, version, pickle_md5)
);

CREATE TABLE legacy_prediction_calls (
    id INTEGER PRIMARY KEY,
    legacy_model_id INTEGER NOT NULL REFERENCES legacy_models (id),
    created_at TEXT,
    n_records INTEGER NOT NULL,
    legacy_id INTEGER NOT NULL,
    UNIQUE (legacy_model_id, legacy_id, created_at)
);

CREATE TABLE legacy_prediction_records (
    call_id INTEGER NOT NULL REFERENCES legacy_prediction_calls (id),
    position INTEGER NOT NULL,
    reference_id TEXT,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    PRIMARY KEY (call_id, position)
) WITHOUT ROWID;
