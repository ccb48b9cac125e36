//! The client API: [`Registry`], one open registry database.
//!
//! This is what the CLI and the wasm bindings call. It validates names and references, runs
//! each write in one transaction (a failed call leaves the registry exactly as it was), and
//! leaves SQL to [`crate::store`] and data handling to [`crate::dataset`].

use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use std::collections::HashMap;
use std::rc::Rc;

use crate::dataset::fingerprint::Source;
use crate::dataset::import::{self, Format, Input, Progress};
use crate::dataset::{ColumnInfo, Dataset};
use crate::error::{Error, Result};
pub use crate::hash::md5_hex;
use crate::log::LogQuery;
use crate::pipeline::batch::BatchOut;
use crate::pipeline::{self, Lineage, Pipeline, TrainSpec};
use crate::predict::{self, Predictions};
use crate::records::{Batch, Records};
#[cfg(not(target_arch = "wasm32"))]
use crate::store::Durability;
use crate::store::{
    self, DatasetEntry, Db, LogFilter, LogRecord, ModelEntry, NewDataset, NewModel, Tx,
};
use crate::train::TrainRequest;

/// An open registry.
pub struct Registry {
    db: Db,
    label: String,
    /// Pipelines already read and checked, by model id and artifact md5.
    models: HashMap<i64, (String, Rc<Pipeline>)>,
}

/// One call's log rows, computed with its predictions by [`Registry::predict_pending`] and
/// written later by [`Registry::write_pending`]: each record's inputs and outputs as the log
/// stores them (JSON text), and its reference id.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct PendingLog {
    model_id: i64,
    dataset_id: i64,
    latency_us: i64,
    /// Every record's inputs then outputs, one after the other.
    text: String,
    /// Per record: where its inputs end and where its outputs end in `text`.
    ends: Vec<(usize, usize)>,
    reference_ids: Vec<Option<String>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl PendingLog {
    /// How many records the call logs.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the call logs no record (never, from [`Registry::predict_pending`]).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Everything about one model version: what `mlops-lite model info` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// The model's row.
    pub model: ModelEntry,
    /// Input features and their dtypes.
    pub signature: Vec<pipeline::Feature>,
    /// Target column.
    pub target: String,
    /// Class labels (classifiers).
    pub classes: Vec<String>,
    /// Held-out metrics.
    pub metrics: pipeline::metrics::Metrics,
    /// The resolved training spec (absent for a pipeline fitted by another library).
    pub spec: Option<TrainSpec>,
    /// The library that fitted it, when mlops-lite did not.
    pub fitted_by: Option<pipeline::FittedBy>,
    /// The fitted column groups: name, input features and step names, in order.
    pub transformers: Vec<TransformerInfo>,
    /// The training dataset.
    pub dataset: DatasetEntry,
    /// Artifact format version.
    pub artifact_format: u32,
    /// The mlops-lite version that wrote it.
    pub mlops_lite_version: String,
    /// The smartcore version it was trained with.
    pub smartcore_version: String,
    /// Every version of this model name.
    pub versions: Vec<ModelEntry>,
}

/// One fitted column group of a model, as [`ModelInfo`] shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransformerInfo {
    /// The group's name.
    pub name: String,
    /// Its input features.
    pub columns: Vec<String>,
    /// Its steps, as named in training specs (`standard_scaler`, ...).
    pub steps: Vec<&'static str>,
}

/// The rows of its training dataset a model version was fitted on and held out: what
/// `mlops-lite model split` shows, so another tool can train and score on the same rows.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSplit {
    /// The model's row.
    pub model: ModelEntry,
    /// The training dataset.
    pub dataset: DatasetEntry,
    /// The stored spec's held-out fraction.
    pub test_size: f64,
    /// The stored spec's seed.
    pub seed: u64,
    /// The rows (0-based, in the dataset's order) in each part.
    #[serde(flatten)]
    pub rows: pipeline::SplitRows,
}

/// The result of binding a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundModel {
    /// The model version that holds the artifact.
    pub model: ModelEntry,
    /// True when a new version was written; false when the identical artifact was already
    /// bound under that name.
    pub created: bool,
}

/// The result of binding a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bound {
    /// The dataset version that holds the content.
    pub dataset: DatasetEntry,
    /// True when a new version was written; false when identical content was already bound
    /// under that name and nothing was written.
    pub created: bool,
}

/// How a reference names a dataset or model: `7` (id), `iris` (latest), `iris@2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// By registry id.
    Id(i64),
    /// By name, and version (latest when `None`).
    Name(String, Option<i64>),
}

impl Reference {
    /// Parses `ID`, `NAME` or `NAME@VERSION`.
    pub fn parse(text: &str) -> Result<Reference> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse()
                .map(Reference::Id)
                .map_err(|_| Error::InvalidArgument(format!("id {text} is too large")));
        }
        if let Some((name, version)) = text.rsplit_once('@') {
            let v: i64 = version.parse().ok().filter(|v| *v >= 1).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{text:?}: the version after '@' must be a whole number from 1, as in iris@2"
                ))
            })?;
            return Ok(Reference::Name(name.to_string(), Some(v)));
        }
        if text.is_empty() {
            return Err(Error::InvalidArgument(
                "empty reference; use an id, a name, or name@version".into(),
            ));
        }
        Ok(Reference::Name(text.to_string(), None))
    }
}

/// Checks a dataset or model name: 1 to 200 characters, no control characters, no '@'
/// (it separates the version), no leading or trailing space, and not only digits (that
/// would read as an id). Quotes, SQL and HTML characters are fine: names are stored as
/// values, never pasted into SQL or HTML.
pub fn check_name(name: &str) -> Result<()> {
    let problem = if name.trim().is_empty() {
        Some("it is empty")
    } else if name.chars().count() > 200 {
        Some("it is longer than 200 characters")
    } else if name.trim() != name {
        Some("it starts or ends with white space")
    } else if name.contains('@') {
        Some("it contains '@', which separates name and version in references")
    } else if name.chars().any(char::is_control) {
        Some("it contains a control character")
    } else if name.bytes().all(|b| b.is_ascii_digit()) {
        Some("it is only digits, which would read as an id")
    } else {
        None
    };
    match problem {
        Some(p) => Err(Error::InvalidArgument(format!(
            "invalid name {name:?}: {p}; choose another name"
        ))),
        None => Ok(()),
    }
}

impl Registry {
    /// Opens the registry file at `path`, creating it (and its tables) if it does not exist.
    /// A `postgres://USER@HOST:PORT/DATABASE[?schema=NAME]` URL instead of a path opens (and
    /// creates) the registry in that PostgreSQL database (native builds).
    pub fn open(path: impl AsRef<Path>) -> Result<Registry> {
        Registry::open_with(path.as_ref(), true)
    }

    /// Opens the registry file (or PostgreSQL URL) at `path`, which must exist.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Registry> {
        Registry::open_with(path.as_ref(), false)
    }

    /// Opens (and creates) the registry at `path` like [`Registry::open`], with every commit
    /// as durable as `durability` says: [`Durability::Normal`] is what [`Registry::open`]
    /// does (WAL, `synchronous=NORMAL`: survives an application crash, a power loss can
    /// lose the last commits); [`Durability::Full`] makes each commit wait for the disk
    /// (`synchronous=FULL`; on PostgreSQL `synchronous_commit=on`), so it survives a power
    /// loss. Native builds.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_with_durability(
        path: impl AsRef<Path>,
        durability: Durability,
    ) -> Result<Registry> {
        let mut reg = Registry::open(path)?;
        reg.db.set_durability(durability)?;
        Ok(reg)
    }

    /// The durability in effect, read back from the database (see [`Durability`]); `None`
    /// for a registry in memory or opened from bytes, which no commit takes to a disk.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn durability(&self) -> Result<Option<Durability>> {
        self.db.durability()
    }

    /// Opens the registry file (or PostgreSQL URL) at `path` for reading only. SQLite opens
    /// the file read-only, so nothing this registry does can change it: no migration, no
    /// switch of its journal mode, no write (a write fails). A file of an older format is
    /// refused with [`Error::OlderFormat`] (`mlops-lite migrate` upgrades it). On PostgreSQL
    /// the session's transactions are read-only.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Registry> {
        let path = path.as_ref();
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(url) = path.to_str().filter(|p| store::pg::is_url(p)) {
            let pg = store::pg::open_read_only(url)?;
            return Ok(Registry {
                label: pg.label.clone(),
                db: Db::Postgres(Box::new(pg)),
                models: HashMap::new(),
            });
        }
        Ok(Registry {
            db: Db::Sqlite(store::sqlite::open_file_read_only(path)?),
            label: path.display().to_string(),
            models: HashMap::new(),
        })
    }

    /// Opens a registry to read from without changing it, whatever its format: like
    /// [`Registry::open_read_only`], except that a file of an older format is read into
    /// memory and upgraded there (the file itself is not changed; memory: its size). `copy`
    /// reads its source this way.
    pub fn open_source(path: impl AsRef<Path>) -> Result<Registry> {
        let path = path.as_ref();
        match Registry::open_read_only(path) {
            Err(Error::OlderFormat { .. }) => {
                let label = path.display().to_string();
                let bytes = std::fs::read(path).map_err(|e| Error::io(&label, e))?;
                let mut reg = Registry::from_bytes(&bytes)?;
                reg.label = label;
                Ok(reg)
            }
            other => other,
        }
    }

    fn open_with(path: &Path, create: bool) -> Result<Registry> {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(url) = path.to_str().filter(|p| store::pg::is_url(p)) {
            let pg = store::pg::open(url, create)?;
            return Ok(Registry {
                label: pg.label.clone(),
                db: Db::Postgres(Box::new(pg)),
                models: HashMap::new(),
            });
        }
        Ok(Registry {
            db: Db::Sqlite(store::sqlite::open_file(path, create)?),
            label: path.display().to_string(),
            models: HashMap::new(),
        })
    }

    /// A new, empty registry in memory.
    pub fn open_in_memory() -> Result<Registry> {
        Ok(Registry {
            db: Db::Sqlite(store::sqlite::open_memory()?),
            label: "<memory>".into(),
            models: HashMap::new(),
        })
    }

    /// Opens a registry from the bytes of a registry file (kept in memory; see
    /// [`Registry::to_bytes`]). Empty bytes give a new, empty registry.
    pub fn from_bytes(bytes: &[u8]) -> Result<Registry> {
        Ok(Registry {
            db: Db::Sqlite(store::sqlite::open_bytes(bytes)?),
            label: "<bytes>".into(),
            models: HashMap::new(),
        })
    }

    /// The whole registry as the bytes of a database file.
    pub fn to_bytes(&mut self) -> Result<Vec<u8>> {
        let label = self.label.clone();
        match self.db.sqlite_mut() {
            Some(c) => store::sqlite::to_bytes(c),
            None => Err(store::sqlite_only(&label, "turning it into file bytes")),
        }
    }

    /// The whole registry as the bytes of one SQLite file, consistent as of one moment
    /// (`GET /api/registry.db`): a SQLite registry serialized in one read transaction (as
    /// [`Registry::to_bytes`]); a PostgreSQL one copied, with its log, into a registry in
    /// memory first (what `copy --with-log` would write to a file). Native builds.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn snapshot(&mut self) -> Result<Vec<u8>> {
        if !self.db.is_postgres() {
            return self.to_bytes();
        }
        let mut file = Registry::open_in_memory()?;
        let selection = crate::copy::Selection {
            with_log: true,
            ..Default::default()
        };
        crate::copy::copy(self, &mut file, &selection)?;
        file.to_bytes()
    }

    /// Whether this registry lives in PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db.is_postgres()
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn db_mut(&mut self) -> &mut Db {
        &mut self.db
    }

    /// How messages name this registry (its path, `<memory>` or `<bytes>`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Binds `data` under `name`. Identical content already bound under `name` returns that
    /// version and writes nothing; other content becomes the next version. The same content
    /// under a new name is bound under the new name.
    pub fn bind_dataset(&mut self, data: &Dataset, name: &str, description: &str) -> Result<Bound> {
        self.bind(data, name, description, None)
    }

    /// Reads `input` as `format` and binds it under `name`, like [`Registry::bind_dataset`].
    ///
    /// The source's fingerprint (a fast hash of its bytes) is stored as provenance but never
    /// trusted: a fingerprint in a file can be copied from another dataset with `sqlite3`, and
    /// nothing stored lets it be recomputed without the source. So the source is always
    /// parsed, and it is "already there" only when a version of `name` holds content with the
    /// same md5, recomputed from the parsed rows.
    pub fn bind_dataset_from(
        &mut self,
        input: Input<'_>,
        format: Format,
        name: &str,
        description: &str,
        progress: Progress<'_>,
    ) -> Result<Bound> {
        check_name(name)?;
        let source = Source::of(&input, format)?;
        // A version of `name` sealed by this machine from these very bytes: nothing to parse.
        for entry in self
            .db
            .list_datasets()?
            .into_iter()
            .filter(|d| d.name == name)
        {
            if let (_, Some(stored)) = self.db.dataset_source(entry.id)? {
                if source.recognises(name, &entry.md5, &stored) {
                    return Ok(Bound {
                        dataset: entry,
                        created: false,
                    });
                }
            }
        }
        let data = import::read(input, format, progress)?;
        self.bind(&data, name, description, Some(&source))
    }

    fn bind(
        &mut self,
        data: &Dataset,
        name: &str,
        description: &str,
        source: Option<&Source>,
    ) -> Result<Bound> {
        check_name(name)?;
        import::check_new_column_names(data, "<data>")?;
        let md5 = data.md5();
        let source_format = source.map(Source::format);
        let fingerprint = source.map(|s| s.fingerprint(name, &md5));
        let source_fingerprint = fingerprint.as_deref();
        self.db.write(|tx| {
            tx.lock_name("dataset", name)?;
            if let Some(existing) = tx.find_dataset_by_md5(name, &md5)? {
                return Ok(Bound {
                    dataset: existing,
                    created: false,
                });
            }
            let new = NewDataset {
                name,
                description,
                md5: &md5,
                source_format,
                source_fingerprint,
                created_at: None,
            };
            let entry = tx.insert_dataset(&new, data, None)?;
            Ok(Bound {
                dataset: entry,
                created: true,
            })
        })
    }

    /// Every dataset version, oldest first.
    pub fn list_datasets(&self) -> Result<Vec<DatasetEntry>> {
        self.db.list_datasets()
    }

    /// The dataset version a reference (`id`, `name`, `name@version`) names.
    pub fn dataset(&self, reference: &str) -> Result<DatasetEntry> {
        let found = match Reference::parse(reference)? {
            Reference::Id(id) => self.db.dataset_by_id(id)?,
            Reference::Name(name, version) => self.db.dataset_by_name(&name, version)?,
        };
        found.ok_or_else(|| {
            Error::NotFound(format!(
                "dataset {reference:?} is not in {}; `mlops-lite dataset list` shows what is",
                self.label
            ))
        })
    }

    /// Column summaries of a dataset: dtypes, null and unique counts, min, max, mean, std.
    pub fn info(&self, reference: &str) -> Result<Vec<ColumnInfo>> {
        let entry = self.dataset(reference)?;
        self.db.column_infos(entry.id)
    }

    /// The data of a dataset, exactly as bound. Its md5 is recomputed and must equal the
    /// stored one, else the registry is reported as damaged.
    pub fn pull_dataset(&self, reference: &str) -> Result<(DatasetEntry, Dataset)> {
        let entry = self.dataset(reference)?;
        let data = self.db.read_dataset(&entry, &self.label)?;
        let md5 = data.md5();
        if md5 != entry.md5 {
            return Err(Error::Corrupt {
                path: self.label.clone(),
                reason: format!(
                    "dataset {}@{} (table {}) no longer matches its md5: stored {}, content {md5}",
                    entry.name, entry.version, entry.data_table, entry.md5
                ),
            });
        }
        Ok((entry, data))
    }

    /// Rows `offset..offset + limit` of a dataset (a page of `GET /api/datasets/{ref}/rows`),
    /// checked like [`Registry::pull_dataset`]: the whole dataset is read and its md5
    /// compared, then the page is cut out (a paged read is issue 19's).
    pub fn dataset_rows(
        &self,
        reference: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(DatasetEntry, Dataset)> {
        let (entry, data) = self.pull_dataset(reference)?;
        Ok((entry, data.rows_range(offset, limit)))
    }

    /// Trains a pipeline on a dataset of this registry (not bound yet: see
    /// [`Registry::bind_model`]).
    pub fn train_model(&self, dataset_ref: &str, spec: &TrainSpec) -> Result<Pipeline> {
        let (entry, data) = self.pull_dataset(dataset_ref)?;
        pipeline::train(
            &data,
            spec,
            Lineage {
                name: entry.name,
                version: entry.version,
                md5: entry.md5,
            },
        )
    }

    /// Binds a fitted pipeline under `name`, linked to its training dataset (which must be
    /// in this registry with the recorded md5). The identical artifact under `name` returns
    /// that version and writes nothing; another artifact is the next version.
    pub fn bind_model(
        &mut self,
        pipeline: &Pipeline,
        name: &str,
        description: &str,
    ) -> Result<BoundModel> {
        check_name(name)?;
        pipeline.validate()?;
        let artifact = pipeline.to_artifact();
        // What no build would read back is not written (a forest fitted elsewhere can be large).
        crate::pipeline::check_artifact_size(artifact.len(), crate::pipeline::MAX_ARTIFACT_BYTES)?;
        let md5 = md5_hex(&artifact);
        let label = self.label.clone();
        let (metrics, signature, classes) = (
            json(&pipeline.metrics),
            json(&pipeline.signature),
            json(&pipeline.classes),
        );
        self.db.write(|tx| {
        tx.lock_name("model", name)?;
        if let Some(existing) = tx.find_model_by_md5(name, &md5)? {
            return Ok(BoundModel {
                model: existing,
                created: false,
            });
        }
        let d = &pipeline.dataset;
        let dataset = tx
            .dataset_for_lineage(&d.name, d.version, &d.md5)?
            .ok_or_else(|| {
                Error::NotFound(format!(
                "the model's training dataset {}@{} (md5 {}) is not in {label}; bind that dataset first",
                d.name, d.version, d.md5
            ))
            })?;
        let new = NewModel {
            name,
            description,
            dataset_id: dataset.id,
            target: &pipeline.target,
            estimator_class: &pipeline.estimator_class,
            estimator_type: &pipeline.estimator_type,
            metrics: &metrics,
            signature: &signature,
            classes: &classes,
            artifact: &artifact,
            artifact_md5: &md5,
            artifact_format: pipeline.artifact_format,
            mlops_lite_version: &pipeline.mlops_lite_version,
            smartcore_version: &pipeline.smartcore_version,
            version: None,
            created_at: None,
        };
        let model = tx.insert_model(&new)?;
        Ok(BoundModel {
            model,
            created: true,
        })
        })
    }

    /// Binds a pipeline fitted outside mlops-lite ([`crate::fitted`]) as `name`, on the
    /// dataset `dataset_ref` names (pulled and md5-checked): checked against that dataset
    /// before anything is written, then bound as [`Registry::bind_model`] binds. Native
    /// builds only (the Python package binds; the WebAssembly build runs what it bound).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn bind_fitted(
        &mut self,
        fitted: crate::fitted::FittedElsewhere,
        dataset_ref: &str,
        name: &str,
        description: &str,
    ) -> Result<(BoundModel, Pipeline)> {
        check_name(name)?;
        let (entry, data) = self.pull_dataset(dataset_ref)?;
        let lineage = Lineage {
            name: entry.name,
            version: entry.version,
            md5: entry.md5,
        };
        let pipeline = crate::fitted::pipeline_for(fitted, &data, lineage)?;
        let bound = self.bind_model(&pipeline, name, description)?;
        Ok((bound, pipeline))
    }

    /// Trains and binds what a door asked for: the request's spec ([`TrainRequest::spec`]),
    /// the model name checked before a possibly long fit, then [`Registry::train_model`] and
    /// [`Registry::bind_model`]. Returns the bound model and the fitted pipeline.
    pub fn train_and_bind(&mut self, request: &TrainRequest) -> Result<(BoundModel, Pipeline)> {
        let spec = request.spec()?;
        check_name(&request.name)?;
        let pipeline = self.train_model(&request.dataset, &spec)?;
        let bound = self.bind_model(&pipeline, &request.name, &request.description)?;
        Ok((bound, pipeline))
    }

    /// Every model version, oldest first.
    pub fn list_models(&self) -> Result<Vec<ModelEntry>> {
        self.db.list_models()
    }

    /// The model version a reference (`id`, `name`, `name@version`) names.
    pub fn model(&self, reference: &str) -> Result<ModelEntry> {
        let found = match Reference::parse(reference)? {
            Reference::Id(id) => self.db.model_by_id(id)?,
            Reference::Name(name, version) => self.db.model_by_name(&name, version)?,
        };
        found.ok_or_else(|| {
            Error::NotFound(format!(
                "model {reference:?} is not in {}; `mlops-lite model list` shows what is",
                self.label
            ))
        })
    }

    /// A model's fitted pipeline and its training dataset. The artifact's md5 must equal the
    /// stored one (a tampered blob is refused), its format must be one this build reads, and
    /// its training dataset must be present with the recorded md5.
    pub fn pull_model(
        &mut self,
        reference: &str,
    ) -> Result<(ModelEntry, Rc<Pipeline>, DatasetEntry)> {
        let entry = self.model(reference)?;
        let pipeline = self.load_pipeline(&entry)?;
        let dataset = self
            .db
            .dataset_by_id(entry.dataset_registry_id)?
            .filter(|d| d.md5 == pipeline.dataset.md5)
            .ok_or_else(|| Error::Corrupt {
                path: self.label.clone(),
                reason: format!(
                    "model {}@{}'s training dataset (id {}, md5 {}) is missing or changed",
                    entry.name, entry.version, entry.dataset_registry_id, pipeline.dataset.md5
                ),
            })?;
        Ok((entry, pipeline, dataset))
    }

    /// Everything about a model version (signature, metrics, lineage, versions); loading it
    /// checks its artifact like [`Registry::pull_model`].
    pub fn model_info(&mut self, reference: &str) -> Result<ModelInfo> {
        let (model, p, dataset) = self.pull_model(reference)?;
        let versions = self
            .list_models()?
            .into_iter()
            .filter(|m| m.name == model.name)
            .collect();
        Ok(ModelInfo {
            model,
            signature: p.signature.clone(),
            target: p.target.clone(),
            classes: p.classes.clone(),
            metrics: p.metrics.clone(),
            spec: p.spec.clone(),
            fitted_by: p.fitted_by.clone(),
            transformers: p
                .transformers
                .iter()
                .map(|g| TransformerInfo {
                    name: g.name.clone(),
                    columns: g
                        .columns
                        .iter()
                        .map(|&c| p.signature[c].name.clone())
                        .collect(),
                    steps: g.steps.iter().map(|s| s.spec_name()).collect(),
                })
                .collect(),
            dataset,
            artifact_format: p.artifact_format,
            mlops_lite_version: p.mlops_lite_version.clone(),
            smartcore_version: p.smartcore_version.clone(),
            versions,
        })
    }

    /// The rows of its training dataset a model version was fitted on and held out
    /// ([`Pipeline::split_rows`]); loading the model and its dataset checks both like
    /// [`Registry::pull_model`] and [`Registry::pull_dataset`]. Native builds only.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn model_split(&mut self, reference: &str) -> Result<ModelSplit> {
        let (model, p, dataset) = self.pull_model(reference)?;
        let (_, data) = self.pull_dataset(&dataset.id.to_string())?;
        let rows = p.split_rows(&data)?;
        Ok(ModelSplit {
            model,
            dataset,
            test_size: p.trained_spec()?.test_size,
            seed: p.trained_spec()?.seed,
            rows,
        })
    }

    fn load_pipeline(&mut self, entry: &ModelEntry) -> Result<Rc<Pipeline>> {
        if let Some((md5, p)) = self.models.get(&entry.id) {
            if *md5 == entry.artifact_md5 {
                return Ok(p.clone());
            }
        }
        let bytes = self.db.model_artifact(entry.id)?;
        let md5 = md5_hex(&bytes);
        let who = format!("model {}@{} (id {})", entry.name, entry.version, entry.id);
        if md5 != entry.artifact_md5 {
            return Err(Error::Corrupt {
                path: self.label.clone(),
                reason: format!(
                    "{who}: its artifact no longer matches its md5 (stored {}, content {md5}); it was not loaded",
                    entry.artifact_md5
                ),
            });
        }
        let p = Pipeline::from_artifact(&bytes).map_err(|e| Error::Corrupt {
            path: self.label.clone(),
            reason: format!("{who}: {e}"),
        })?;
        let p = Rc::new(p);
        self.models.insert(entry.id, (md5, p.clone()));
        Ok(p)
    }

    /// Predicts records (JSON, CSV, columns or logged rows: see [`Records`]) with a model;
    /// with `log`, the call and every record are written to the prediction log in the same
    /// transaction. The model is resolved once. A bad record fails the whole batch with an
    /// error that locates it and logs nothing; an empty batch returns an empty result.
    pub fn predict<'r>(
        &mut self,
        model_ref: &str,
        records: impl Into<Records<'r>>,
        log: bool,
    ) -> Result<(ModelEntry, Rc<Pipeline>, Predictions)> {
        let started = clock();
        let (entry, pipeline) = self.resolve_model(model_ref)?;
        let predictions = self.predict_resolved(&entry, &pipeline, records.into(), log, started)?;
        Ok((entry, pipeline, predictions))
    }

    /// A model's entry and its loaded pipeline (cached): for a door that needs the signature
    /// before it converts its records, then calls [`Registry::predict_with_model`].
    pub fn resolve_model(&mut self, model_ref: &str) -> Result<(ModelEntry, Rc<Pipeline>)> {
        let entry = self.model(model_ref)?;
        let pipeline = self.load_pipeline(&entry)?;
        Ok((entry, pipeline))
    }

    /// [`Registry::predict`] with a model already resolved by [`Registry::resolve_model`].
    pub fn predict_with_model(
        &mut self,
        entry: &ModelEntry,
        pipeline: &Rc<Pipeline>,
        records: Records<'_>,
        log: bool,
    ) -> Result<Predictions> {
        self.predict_resolved(entry, pipeline, records, log, clock())
    }

    fn predict_resolved(
        &mut self,
        entry: &ModelEntry,
        pipeline: &Rc<Pipeline>,
        records: Records<'_>,
        log: bool,
        started: Started,
    ) -> Result<Predictions> {
        let mut batch = records.into_batch(pipeline)?;
        let run = |batch: &Batch<'_>| predict::run(pipeline, batch);
        let outputs = if !log || batch.is_empty() {
            run(&batch)?
        } else {
            let insert = |tx: &mut Tx<'_>, outputs: &BatchOut, latency: i64| {
                tx.insert_prediction_log(
                    entry.id,
                    entry.dataset_registry_id,
                    latency,
                    batch.len(),
                    |i, inputs, out| {
                        batch.inputs_json(i, inputs);
                        predict::outputs_json(outputs, i, out);
                        batch.reference_id(i)
                    },
                )
            };
            if self.db.is_postgres() {
                // PostgreSQL takes no lock up front; a write that lost a race is retried.
                let outputs = run(&batch)?;
                let latency = elapsed_us(started);
                self.db.write(|tx| insert(tx, &outputs, latency))?;
                outputs
            } else {
                // SQLite: the write lock is taken before the predictions are computed, so a
                // registry locked by another writer fails the call before any work is done,
                // and computed predictions are never thrown away for want of the lock.
                let mut tx = self.db.begin()?;
                let outputs = run(&batch)?;
                insert(&mut tx, &outputs, elapsed_us(started))?;
                tx.commit()?;
                outputs
            }
        };
        Ok(Predictions {
            reference_ids: batch.take_reference_ids(),
            outputs,
        })
    }

    /// Predicts like [`Registry::predict`] with `log`, but writes nothing: the call's log
    /// rows come back as a [`PendingLog`] for [`Registry::write_pending`], which commits
    /// the rows of many calls in one transaction (group commit: `mlops-lite serve`). The
    /// latency logged is the call's, up to its predictions (not its wait for the commit).
    /// `None` for an empty batch (nothing to log). Native builds.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn predict_pending<'r>(
        &mut self,
        model_ref: &str,
        records: impl Into<Records<'r>>,
    ) -> Result<(ModelEntry, Rc<Pipeline>, Predictions, Option<PendingLog>)> {
        let started = clock();
        let (entry, pipeline) = self.resolve_model(model_ref)?;
        let mut batch = records.into().into_batch(&pipeline)?;
        let outputs = predict::run(&pipeline, &batch)?;
        let pending = (!batch.is_empty()).then(|| {
            let latency_us = elapsed_us(started);
            let mut log = PendingLog {
                model_id: entry.id,
                dataset_id: entry.dataset_registry_id,
                latency_us,
                text: String::new(),
                ends: Vec::with_capacity(batch.len()),
                reference_ids: Vec::with_capacity(batch.len()),
            };
            let mut buf = String::new();
            for i in 0..batch.len() {
                batch.inputs_json(i, &mut buf);
                log.text.push_str(&buf);
                let inputs_end = log.text.len();
                predict::outputs_json(&outputs, i, &mut buf);
                log.text.push_str(&buf);
                log.ends.push((inputs_end, log.text.len()));
                log.reference_ids
                    .push(batch.reference_id(i).map(str::to_string));
            }
            log
        });
        let predictions = Predictions {
            reference_ids: batch.take_reference_ids(),
            outputs,
        };
        Ok((entry, pipeline, predictions, pending))
    }

    /// Writes the log rows of several calls ([`Registry::predict_pending`]) in one
    /// transaction, in order: all of them or none. Native builds.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn write_pending(&mut self, calls: &[&PendingLog]) -> Result<()> {
        self.db.write(|tx| {
            for call in calls {
                tx.insert_prediction_log(
                    call.model_id,
                    call.dataset_id,
                    call.latency_us,
                    call.ends.len(),
                    |i, inputs, outputs| {
                        let start = if i == 0 { 0 } else { call.ends[i - 1].1 };
                        let (inputs_end, end) = call.ends[i];
                        inputs.clear();
                        inputs.push_str(&call.text[start..inputs_end]);
                        outputs.clear();
                        outputs.push_str(&call.text[inputs_end..end]);
                        call.reference_ids[i].as_deref()
                    },
                )?;
            }
            Ok(())
        })
    }

    /// Logged prediction records matching `filter`, oldest first.
    pub fn log(&self, filter: &LogFilter) -> Result<Vec<LogRecord>> {
        self.db.query_log(filter)
    }

    /// Logged prediction records a door asked for, oldest first: the query's model reference
    /// is resolved to its id (an unknown model is an error, not an empty log).
    pub fn log_for(&self, query: &LogQuery) -> Result<Vec<LogRecord>> {
        let model_id = match &query.model {
            Some(m) => Some(self.model(m)?.id),
            None => None,
        };
        self.log(&query.filter(model_id))
    }

    /// The underlying SQLite connection, for reading with plain SQL. A PostgreSQL registry
    /// has none (use `psql` on its URL): that is an error.
    pub fn connection(&self) -> Result<&Connection> {
        self.db
            .sqlite()
            .ok_or_else(|| store::sqlite_only(&self.label, "this SQLite connection"))
    }
}

/// Compact JSON of a value (for the JSON columns of `models`).
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("registry types serialize")
}

/// When a call started (see [`clock`]).
#[cfg(not(target_arch = "wasm32"))]
type Started = std::time::Instant;
#[cfg(target_arch = "wasm32")]
type Started = f64;

#[cfg(not(target_arch = "wasm32"))]
fn clock() -> std::time::Instant {
    std::time::Instant::now()
}

#[cfg(not(target_arch = "wasm32"))]
fn elapsed_us(t: std::time::Instant) -> i64 {
    t.elapsed().as_micros() as i64
}

/// In wasm32 there is no `Instant`: JS time, in milliseconds.
#[cfg(target_arch = "wasm32")]
fn clock() -> f64 {
    js_sys::Date::now()
}

#[cfg(target_arch = "wasm32")]
fn elapsed_us(t: f64) -> i64 {
    ((js_sys::Date::now() - t) * 1000.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{samples, Column, Values};
    use crate::ErrorKind;

    fn small(v: i64) -> Dataset {
        Dataset::new(vec![
            Column::new("a", Values::Integer(vec![Some(1), Some(v)])),
            Column::new("b", Values::String(vec![Some("x".into()), None])),
        ])
        .unwrap()
    }

    fn csv(text: &str) -> Input<'_> {
        Input::Bytes {
            bytes: text.as_bytes(),
            label: "t.csv",
        }
    }

    #[test]
    fn identical_content_dedupes_other_content_bumps_new_name_binds() {
        let mut reg = Registry::open_in_memory().unwrap();
        let a = reg.bind_dataset(&small(2), "d", "first").unwrap();
        assert_eq!((a.dataset.version, a.created), (1, true));
        let again = reg
            .bind_dataset(&small(2), "d", "other description")
            .unwrap();
        assert_eq!(
            again,
            Bound {
                dataset: a.dataset.clone(),
                created: false
            }
        );
        let b = reg.bind_dataset(&small(3), "d", "").unwrap();
        assert_eq!((b.dataset.version, b.created), (2, true));
        // Going back to the first content returns version 1, writes nothing.
        let back = reg.bind_dataset(&small(2), "d", "").unwrap();
        assert_eq!((back.dataset.version, back.created), (1, false));
        // The same content under a new name is bound under that name.
        let c = reg.bind_dataset(&small(2), "e", "").unwrap();
        assert_eq!(
            (c.dataset.name.as_str(), c.dataset.version, c.created),
            ("e", 1, true)
        );
        assert_eq!(c.dataset.md5, a.dataset.md5);
        assert_eq!(reg.list_datasets().unwrap().len(), 3);
        assert_eq!(reg.dataset("d").unwrap().version, 2);
        assert_eq!(reg.dataset("d@1").unwrap().id, a.dataset.id);
        assert_eq!(reg.dataset(&c.dataset.id.to_string()).unwrap().name, "e");
        let e = reg.dataset("d@9").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("mlops-lite dataset list"), "{e}");
    }

    #[test]
    fn same_bytes_rebind_and_reformatted_content_dedupe_by_md5() {
        let mut reg = Registry::open_in_memory().unwrap();
        let a = reg
            .bind_dataset_from(csv("x,y\n1,a\n"), Format::Csv, "t", "", &mut |_, _| {})
            .unwrap();
        assert!(a.created);
        let b = reg
            .bind_dataset_from(csv("x,y\n1,a\n"), Format::Csv, "t", "", &mut |_, _| {})
            .unwrap();
        assert!(!b.created);
        // Other bytes, same content (quoting, no final newline): the md5 check catches it.
        let c = reg
            .bind_dataset_from(
                csv("\"x\",y\n1,\"a\""),
                Format::Csv,
                "t",
                "",
                &mut |_, _| {},
            )
            .unwrap();
        assert_eq!((c.dataset.version, c.created), (1, false));
        let d = reg
            .bind_dataset_from(csv("x,y\n2,a\n"), Format::Csv, "t", "", &mut |_, _| {})
            .unwrap();
        assert_eq!((d.dataset.version, d.created), (2, true));
    }

    #[test]
    fn failed_bind_leaves_registry_unchanged() {
        let mut reg = Registry::open_in_memory().unwrap();
        reg.bind_dataset(&small(2), "d", "").unwrap();
        // Someone made a table where the next version's data table would go: the bind fails
        // half way (after the datasets row was inserted) and must roll back entirely.
        reg.connection()
            .unwrap()
            .execute_batch("CREATE TABLE data_2 (z)")
            .unwrap();
        let before = reg.to_bytes().unwrap();
        let e = reg.bind_dataset(&small(3), "d", "").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Database, "{e}");
        assert_eq!(reg.list_datasets().unwrap().len(), 1);
        assert_eq!(reg.to_bytes().unwrap(), before);
        // Bad input never reaches the database either.
        assert!(reg
            .bind_dataset_from(csv("a,b\n1\n"), Format::Csv, "d", "", &mut |_, _| {})
            .is_err());
        assert!(reg.bind_dataset(&small(3), "bad@name", "").is_err());
        assert_eq!(reg.to_bytes().unwrap(), before);
    }

    #[test]
    fn bytes_round_trip_and_wal_header_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut reg = Registry::open(&path).unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        let bytes = reg.to_bytes().unwrap();
        assert_eq!(
            (bytes[18], bytes[19]),
            (1, 1),
            "exported bytes use a rollback journal"
        );
        drop(reg);
        // A file saved in WAL mode opens from bytes too.
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!((on_disk[18], on_disk[19]), (2, 2));
        for b in [&bytes, &on_disk] {
            let mut back = Registry::from_bytes(b).unwrap();
            let (entry, data) = back.pull_dataset("iris").unwrap();
            assert_eq!(data, iris);
            assert_eq!(entry.md5, iris.md5());
            back.bind_dataset(&small(1), "more", "").unwrap();
            assert_eq!(
                Registry::from_bytes(&back.to_bytes().unwrap())
                    .unwrap()
                    .list_datasets()
                    .unwrap()
                    .len(),
                2
            );
        }
        assert!(Registry::from_bytes(&[])
            .unwrap()
            .list_datasets()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn foreign_truncated_and_newer_bytes_are_refused() {
        let e = Registry::from_bytes(b"name,value\n1,2\n").err().unwrap();
        assert_eq!(e.kind(), ErrorKind::NotARegistry);
        assert!(e.to_string().contains("not a SQLite database"), "{e}");

        let mut reg = Registry::open_in_memory().unwrap();
        let (_, iris) = samples::sample("breast_cancer").unwrap();
        reg.bind_dataset(&iris, "bc", "").unwrap();
        let bytes = reg.to_bytes().unwrap();
        for cut in [10, 99, bytes.len() / 2, bytes.len() - 1] {
            let e = Registry::from_bytes(&bytes[..cut]).err().unwrap();
            assert_eq!(e.kind(), ErrorKind::Corrupt, "cut at {cut}: {e}");
            assert!(e.to_string().contains("truncated"), "{e}");
        }

        reg.connection()
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let e = Registry::from_bytes(&reg.to_bytes().unwrap())
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::NewerFormat);
        assert!(e.to_string().contains("format 99"), "{e}");

        let other = rusqlite::Connection::open_in_memory().unwrap();
        other.execute_batch("CREATE TABLE customers (id)").unwrap();
        let mut other = other;
        let bytes = crate::store::sqlite::to_bytes(&mut other).unwrap();
        let e = Registry::from_bytes(&bytes).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::NotARegistry);
        assert!(e.to_string().contains("customers"), "{e}");
    }

    #[test]
    fn tampered_rows_are_refused_on_pull() {
        let mut reg = Registry::open_in_memory().unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        reg.connection()
            .unwrap()
            .execute_batch("UPDATE data_1 SET \"sepal width (cm)\" = 3.6 WHERE rowid = 1")
            .unwrap();
        let e = reg.pull_dataset("iris").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert!(
            e.to_string()
                .contains("dataset iris@1 (table data_1) no longer matches its md5"),
            "{e}"
        );
        reg.connection()
            .unwrap()
            .execute_batch("UPDATE data_1 SET \"sepal width (cm)\" = 'wide' WHERE rowid = 7")
            .unwrap();
        let e = reg.pull_dataset("iris").unwrap_err();
        assert!(
            e.to_string()
                .contains("row 7, column \"sepal width (cm)\": found Text in a Float64 column"),
            "{e}"
        );
    }

    #[test]
    fn hostile_names_are_stored_as_values() {
        let mut reg = Registry::open_in_memory().unwrap();
        let names = [
            "x'); DROP TABLE datasets; --",
            "<img src=x onerror=alert(1)>",
            "a\"b",
        ];
        for n in names {
            let d = Dataset::new(vec![Column::new(n, Values::Integer(vec![Some(1)]))]).unwrap();
            reg.bind_dataset(&d, n, n).unwrap();
            let (entry, back) = reg.pull_dataset(n).unwrap();
            assert_eq!((entry.name.as_str(), entry.description.as_str()), (n, n));
            assert_eq!(back, d);
            assert_eq!(reg.info(n).unwrap()[0].column_name, n);
        }
        assert_eq!(reg.list_datasets().unwrap().len(), 3);
    }

    #[test]
    fn columns_named_like_rowid_keep_row_order() {
        let mut reg = Registry::open_in_memory().unwrap();
        let d = Dataset::new(vec![
            Column::new("rowid", Values::Integer(vec![Some(3), Some(1), Some(2)])),
            Column::new("oid", Values::Integer(vec![Some(9), Some(8), Some(7)])),
        ])
        .unwrap();
        reg.bind_dataset(&d, "r", "").unwrap();
        assert_eq!(reg.pull_dataset("r").unwrap().1, d);
    }

    #[test]
    fn references_parse() {
        assert_eq!(Reference::parse("12").unwrap(), Reference::Id(12));
        assert_eq!(
            Reference::parse("iris").unwrap(),
            Reference::Name("iris".into(), None)
        );
        assert_eq!(
            Reference::parse("iris@2").unwrap(),
            Reference::Name("iris".into(), Some(2))
        );
        assert!(Reference::parse("iris@x")
            .unwrap_err()
            .to_string()
            .contains("whole number"));
        assert!(Reference::parse("iris@0").is_err());
        assert!(Reference::parse("").is_err());
    }

    #[test]
    fn names_are_checked() {
        for ok in [
            "iris",
            "a'b\"c",
            "x; DROP TABLE datasets; --",
            "<img src=x onerror=alert(1)>",
            "1a",
        ] {
            check_name(ok).unwrap();
        }
        for bad in ["", " ", " x", "a@b", "123", "a\nb"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
