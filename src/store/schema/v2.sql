-- mlops-lite registry format 2: models and the prediction log.
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    dataset_id INTEGER NOT NULL REFERENCES datasets (id),
    target TEXT NOT NULL,
    estimator_class TEXT NOT NULL,
    estimator_type TEXT NOT NULL CHECK (estimator_type IN ('classifier', 'regressor')),
    description TEXT NOT NULL DEFAULT '',
    metrics TEXT NOT NULL,
    signature TEXT NOT NULL,
    classes TEXT NOT NULL,
    artifact BLOB NOT NULL,
    artifact_md5 TEXT NOT NULL CHECK (length(artifact_md5) = 32),
    artifact_format INTEGER NOT NULL,
    mlops_lite_version TEXT NOT NULL,
    smartcore_version TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    UNIQUE (name, version)
);

CREATE INDEX models_by_md5 ON models (artifact_md5);

CREATE TABLE prediction_calls (
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models (id),
    dataset_id INTEGER NOT NULL REFERENCES datasets (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    n_records INTEGER NOT NULL CHECK (n_records >= 1),
    latency_us INTEGER NOT NULL
);

CREATE INDEX prediction_calls_by_model ON prediction_calls (model_id, created_at);

CREATE TABLE prediction_records (
    call_id INTEGER NOT NULL REFERENCES prediction_calls (id),
    position INTEGER NOT NULL,
    reference_id TEXT,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    PRIMARY KEY (call_id, position)
) WITHOUT ROWID;
