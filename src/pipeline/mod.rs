//! Fitted pipelines: training spec, training, the artifact format, and inference.
//!
//! A [`Pipeline`] is a ColumnTransformer ([`preprocess`]) feeding an estimator
//! ([`estimator`]), with the input signature, the target and its classes. It is trained from
//! a [`Dataset`] and a [`TrainSpec`] ([`train`]), serialized as a versioned, deterministic
//! JSON artifact ([`Pipeline::to_artifact`], [`Pipeline::from_artifact`]: the same pipeline
//! always gives the same bytes, and bytes from anywhere are validated before use, never
//! executed), and run on batches of records in columns ([`Pipeline::predict_batch`], in
//! chunks, see [`batch`]) or on one row ([`Pipeline::predict_row`], a batch of one).
//!
//! Artifacts from anywhere: every count, index, length and label list an artifact carries
//! is a claim, checked by [`Pipeline::validate`] against the others and against what the
//! bytes actually hold before anything is sized or looped from it (the signature has 1 to
//! [`MAX_COLUMNS`] unique features; groups route each feature once; step widths, statistics
//! and categories agree and are finite, sorted and unique; the estimator's shapes, tree
//! children (forward only, so acyclic and depth < node count), `1 <= k <=` stored points
//! and class indices are in range; class labels are unique, match the outputs and the
//! target dtype; the class, type, resolved spec and metrics agree with the fitted
//! estimator). Parsing never pre-allocates from a number in the file and never buffers a
//! whole object (fitted steps are streamed; spec objects are read as at most 16 scalar
//! fields), so loading costs O(B) time and at most 16 bytes of heap per artifact byte for an
//! artifact of B bytes (B at most [`MAX_ARTIFACT_BYTES`]; the worst case is a list of empty
//! strings or lists, 24 bytes each for 3 bytes of JSON, measured by
//! `tests/artifact_memory.rs`). A forged artifact is an error naming the field, never a
//! panic (the same code runs in wasm, where a panic traps).
//!
//! Cost of a prediction: O(B) per record, and O(B + n·log k) for k-nearest neighbours with
//! n stored points. Transformers touch each fill value, statistic and category once (a
//! category lookup is a binary search); linear models and naive Bayes each parameter once;
//! a tree walk visits at most its node count; k-NN computes one distance per stored point,
//! keeps the k nearest in a heap (O(n log k)) and sorts those (O(k log k), k <= n).

pub mod batch;
pub mod boosting;
pub mod estimator;
mod fields;
pub mod math;
pub mod metrics;
pub mod preprocess;

use serde::{Deserialize, Serialize};

use crate::dataset::{DType, Dataset, Values, MAX_COLUMNS};
use crate::error::{Error, Result};
use estimator::{EstimatorSpec, Fitted, Matrix, TargetData, Task};
use metrics::Metrics;
use preprocess::{
    fit_group, Block, FittedGroup, GroupSpec, ImputeStrategy, RowInput, Scratch, StepSpec,
};

/// The newest artifact format this build reads. Format 2 adds what a pipeline fitted by
/// scikit-learn needs (`fitted_by`, no `spec`, the boosted and extra-trees estimators,
/// trees that compare in f32 and route NaN, encoders that refuse unseen categories, the
/// `multiply_add` step); such pipelines are written as format 2. A pipeline mlops-lite trains
/// uses none of it and is written as format 1, byte for byte as before.
pub const ARTIFACT_FORMAT: u32 = 2;

/// The format of the pipelines mlops-lite trains.
pub const ARTIFACT_FORMAT_TRAINED: u32 = 1;

/// The smartcore version this build trains with (checked against Cargo.lock by a test).
pub const SMARTCORE_VERSION: &str = "0.7.0";

/// The largest artifact accepted from a registry (bounded allocation on hostile input).
pub const MAX_ARTIFACT_BYTES: usize = 1 << 30;

/// An artifact of `len` bytes, refused past `max` ([`MAX_ARTIFACT_BYTES`]): on reading (an
/// untrusted file) and on binding (a model no build would read back is not written).
pub(crate) fn check_artifact_size(len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(Error::InvalidArgument(format!(
            "the artifact is {len} bytes, more than the {max} this build reads; a model that \
             large cannot be stored (fewer trees or shallower ones make it smaller)"
        )));
    }
    Ok(())
}

/// An integer target with at most this many distinct values makes a classifier by default.
pub const MAX_INTEGER_CLASSES: usize = 20;

/// What to train: written as JSON (`--spec FILE`) or built in code. Every field but
/// `target` has a default; the resolved spec (defaults filled in) is stored with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// The column to predict (required; the CLI's `--target` fills it when a spec file
    /// leaves it out).
    #[serde(default)]
    pub target: String,
    /// Input columns, in order (default: every column but the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Column groups and their steps (default: numbers get median imputation and standard
    /// scaling, strings most-frequent imputation and one-hot encoding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformers: Option<Vec<GroupSpec>>,
    /// The estimator and its hyper-parameters (default: logistic_regression for a
    /// classification target, linear_regression otherwise).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "fields::small_object"
    )]
    pub estimator: Option<EstimatorSpec>,
    /// Fraction of rows held out for metrics, in [0, 1) (default 0.25; 0: no metrics).
    #[serde(default = "default_test_size")]
    pub test_size: f64,
    /// Seed of the split and of randomized estimators (default 42).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_test_size() -> f64 {
    0.25
}

fn default_seed() -> u64 {
    42
}

impl TrainSpec {
    /// A spec with every default: predict `target` from the other columns.
    pub fn new(target: impl Into<String>) -> TrainSpec {
        TrainSpec {
            target: target.into(),
            features: None,
            transformers: None,
            estimator: None,
            test_size: default_test_size(),
            seed: default_seed(),
        }
    }

    /// Sets the input columns.
    pub fn features<S: Into<String>>(mut self, features: impl IntoIterator<Item = S>) -> Self {
        self.features = Some(features.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a transformer group.
    pub fn transformer(mut self, name: &str, columns: &[&str], steps: Vec<StepSpec>) -> Self {
        self.transformers
            .get_or_insert_with(Vec::new)
            .push(GroupSpec {
                name: name.into(),
                columns: columns.iter().map(|c| c.to_string()).collect(),
                steps,
            });
        self
    }

    /// Sets the estimator.
    pub fn estimator(mut self, estimator: EstimatorSpec) -> Self {
        self.estimator = Some(estimator);
        self
    }

    /// Sets the held-out fraction.
    pub fn test_size(mut self, test_size: f64) -> Self {
        self.test_size = test_size;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Parses a JSON spec, with a clear error naming the problem.
    pub fn from_json(text: &str) -> Result<TrainSpec> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(spec_error)
    }

    /// Reads a spec from a JSON value, with an error naming the field.
    pub fn from_value(value: serde_json::Value) -> Result<TrainSpec> {
        serde_path_to_error::deserialize(value).map_err(spec_error)
    }
}

fn spec_error(e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let at = if path == "." || path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    };
    Error::InvalidArgument(format!(
        "invalid training spec{at}: {inner}; its fields are target, features, transformers, \
         estimator, test_size and seed"
    ))
}

/// One input feature of a model: its name and the dtype it was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// Column name.
    pub name: String,
    /// `Int64`, `Float64`, `boolean` or `string`.
    pub dtype: String,
}

impl Feature {
    /// Whether the feature takes strings (else numbers, booleans as 0/1).
    pub fn is_string(&self) -> bool {
        self.dtype == DType::String.name()
    }
}

/// The library that fitted a pipeline mlops-lite did not train.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedBy {
    /// Its name, e.g. `scikit-learn`.
    pub library: String,
    /// Its version, e.g. `1.9.1`.
    pub version: String,
}

/// The dataset a model was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lineage {
    /// Dataset name.
    pub name: String,
    /// Dataset version.
    pub version: i64,
    /// Dataset md5.
    pub md5: String,
}

/// A fitted pipeline and everything needed to run, check and reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Artifact format version (first field, read before anything else).
    pub artifact_format: u32,
    /// The mlops-lite version that wrote it.
    pub mlops_lite_version: String,
    /// The smartcore version it was trained with (empty when `fitted_by` says another
    /// library fitted it).
    pub smartcore_version: String,
    /// The library that fitted it, when mlops-lite did not (artifact format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fitted_by: Option<FittedBy>,
    /// Estimator class, e.g. `LogisticRegression`.
    pub estimator_class: String,
    /// `classifier` or `regressor`.
    pub estimator_type: String,
    /// Input features, in order.
    pub signature: Vec<Feature>,
    /// Target column.
    pub target: String,
    /// Target dtype.
    pub target_dtype: String,
    /// Class labels, sorted (classifiers; empty for regressors).
    pub classes: Vec<String>,
    /// The resolved training spec (every default filled in); absent for a pipeline fitted
    /// by another library (it cannot be retrained from the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<TrainSpec>,
    /// The training dataset.
    pub dataset: Lineage,
    /// Held-out metrics.
    pub metrics: Metrics,
    /// Fitted column groups.
    pub transformers: Vec<FittedGroup>,
    /// The fitted estimator.
    pub estimator: Fitted,
}

/// The output of one prediction.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Class probabilities in `classes` order, and the index of the predicted class.
    Classes {
        /// Probabilities.
        proba: Vec<f64>,
        /// Index of the largest.
        label: usize,
    },
    /// A regression value.
    Value(f64),
}

/// A problem with one input row: the record and feature index and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// Index of the record in its batch (0 for a single row).
    pub record: usize,
    /// Index into the signature.
    pub feature: usize,
    /// Description.
    pub message: String,
}

impl Pipeline {
    /// The task.
    pub fn task(&self) -> Task {
        self.estimator.task()
    }

    /// The training spec of a pipeline mlops-lite trained; for one fitted by another library,
    /// an error saying it cannot be retrained from the file.
    pub fn trained_spec(&self) -> Result<&TrainSpec> {
        match (&self.spec, &self.fitted_by) {
            (Some(spec), _) => Ok(spec),
            (None, by) => Err(Error::InvalidArgument(format!(
                "this model was fitted by {} outside mlops-lite, so it cannot be retrained from \
                 the file (its training spec and split are not in it); `verify` still replays \
                 its logged predictions",
                by.as_ref()
                    .map_or("another library".to_string(), |b| format!(
                        "{} {}",
                        b.library, b.version
                    ))
            ))),
        }
    }

    /// The deterministic artifact bytes (compact JSON, fields in declaration order, floats
    /// in shortest round-trip form).
    pub fn to_artifact(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a pipeline always serializes")
    }

    /// Reads artifact bytes from an untrusted source: the format version is checked first
    /// (a newer format is refused clearly), then every field, then internal consistency, so
    /// that running the pipeline afterwards cannot panic.
    pub fn from_artifact(bytes: &[u8]) -> Result<Pipeline> {
        check_artifact_size(bytes.len(), MAX_ARTIFACT_BYTES)?;
        #[derive(Deserialize)]
        struct Header {
            artifact_format: u32,
            #[serde(default)]
            mlops_lite_version: String,
        }
        let header: Header = serde_json::from_slice(bytes)
            .map_err(|e| Error::InvalidArgument(format!("the artifact is not readable: {e}")))?;
        if header.artifact_format > ARTIFACT_FORMAT || header.artifact_format == 0 {
            return Err(Error::InvalidArgument(format!(
                "the artifact was written by mlops-lite {} with artifact format {}; this build \
                 (mlops-lite {}) reads formats 1-{ARTIFACT_FORMAT}: upgrade mlops-lite",
                header.mlops_lite_version,
                header.artifact_format,
                env!("CARGO_PKG_VERSION")
            )));
        }
        let p: Pipeline = serde_json::from_slice(bytes)
            .map_err(|e| Error::InvalidArgument(format!("the artifact is not readable: {e}")))?;
        p.validate()?;
        Ok(p)
    }

    /// Checks internal consistency: every count, index and list the artifact carries is
    /// checked against the others before anything is sized or looped from it (see the module
    /// note for the cost bound this gives). The error names the field and what is wrong.
    pub fn validate(&self) -> Result<()> {
        self.validate_fitted()?;
        self.validate_metrics()
            .map_err(|m| Error::InvalidArgument(format!("the artifact is inconsistent: {m}")))
    }

    /// [`Pipeline::validate`] but the metrics (training checks the fitted pipeline before
    /// it computes them).
    fn validate_fitted(&self) -> Result<()> {
        let bad = |m: String| {
            Err(Error::InvalidArgument(format!(
                "the artifact is inconsistent: {m}"
            )))
        };
        // Signature: 1..=MAX_COLUMNS features (a model is trained on a dataset's columns),
        // names non-empty and unique ignoring ASCII case, dtypes ours.
        let n = self.signature.len();
        if n == 0 {
            return bad("signature: no input features".into());
        }
        if n > MAX_COLUMNS {
            return bad(format!(
                "signature: {n} input features, more than the {MAX_COLUMNS} columns a dataset \
                 can have"
            ));
        }
        for (i, f) in self.signature.iter().enumerate() {
            if f.name.is_empty() {
                return bad(format!("signature[{i}]: the feature name is empty"));
            }
            if DType::from_name(&f.dtype).is_none() {
                return bad(format!(
                    "signature[{i}] ({:?}): dtype {:?} is not one of Int64, Float64, boolean, \
                     string",
                    f.name, f.dtype
                ));
            }
        }
        if let Some(name) = first_duplicate(self.signature.iter().map(|f| f.name.as_str()), true) {
            return bad(format!("signature: feature {name:?} is listed twice"));
        }
        // Target.
        let Some(target_dtype) = DType::from_name(&self.target_dtype) else {
            return bad(format!(
                "target_dtype {:?} is not one of Int64, Float64, boolean, string",
                self.target_dtype
            ));
        };
        if self.target.is_empty() {
            return bad("target: the target column name is empty".into());
        }
        if self.signature.iter().any(|f| f.name == self.target) {
            return bad(format!("target {:?} is also an input feature", self.target));
        }

        // Transformers: every feature routed exactly once, to a group of its kind.
        let mut width = 0usize;
        let mut used = vec![false; n];
        for (gi, g) in self.transformers.iter().enumerate() {
            g.validate(n)
                .or_else(|e| bad(format!("transformers[{gi}]: {e}")))?;
            for &c in &g.columns {
                let want = if self.signature[c].is_string() {
                    preprocess::Kind::Strings
                } else {
                    preprocess::Kind::Numbers
                };
                if want != g.input {
                    return bad(format!(
                        "transformers[{gi}] ({:?}): feature {:?} of dtype {} is routed to a \
                         group of {} inputs",
                        g.name,
                        self.signature[c].name,
                        self.signature[c].dtype,
                        if g.input == preprocess::Kind::Strings {
                            "string"
                        } else {
                            "numeric"
                        }
                    ));
                }
                if used[c] {
                    return bad(format!(
                        "transformers[{gi}] ({:?}): feature {:?} is routed twice",
                        g.name, self.signature[c].name
                    ));
                }
                used[c] = true;
            }
            width = width.saturating_add(g.width_out());
        }
        if let Some(i) = used.iter().position(|u| !u) {
            return bad(format!(
                "transformers: feature {:?} is in no transformer group",
                self.signature[i].name
            ));
        }

        // Estimator.
        self.estimator
            .validate()
            .or_else(|e| bad(format!("estimator: {e}")))?;
        if self.estimator.n_features() != width {
            return bad(format!(
                "the transformers give {width} columns but the estimator ({}) takes {}",
                self.estimator.class_name(),
                self.estimator.n_features()
            ));
        }
        if self.estimator_class != self.estimator.class_name() {
            return bad(format!(
                "estimator_class is {:?} but the fitted estimator is a {}",
                self.estimator_class,
                self.estimator.class_name()
            ));
        }
        let task = self.estimator.task();
        let type_name = match task {
            Task::Classification => "classifier",
            Task::Regression => "regressor",
        };
        if self.estimator_type != type_name {
            return bad(format!(
                "estimator_type is {:?} but the fitted {} is a {type_name}",
                self.estimator_type,
                self.estimator.class_name()
            ));
        }

        // Classes: a classifier's labels match its outputs, are unique, valid for the target
        // dtype and sorted as training sorts them; a regressor has none.
        match task {
            Task::Classification => {
                if target_dtype == DType::Float {
                    return bad("a classifier with a Float64 target".into());
                }
                if self.classes.len() < 2 {
                    return bad(format!(
                        "classes: {} class labels (a classifier needs at least 2)",
                        self.classes.len()
                    ));
                }
                if self.classes.len() != self.estimator.n_classes() {
                    return bad(format!(
                        "classes: {} class labels but the estimator gives {} outputs",
                        self.classes.len(),
                        self.estimator.n_classes()
                    ));
                }
                if let Some(c) = first_duplicate(self.classes.iter().map(String::as_str), false) {
                    return bad(format!("classes: class {c:?} is listed twice"));
                }
                validate_classes(&self.classes, target_dtype).or_else(bad)?;
            }
            Task::Regression => {
                if target_dtype == DType::String {
                    return bad("a regressor with a string target".into());
                }
                if !self.classes.is_empty() {
                    return bad(format!(
                        "classes: a regressor with {} class labels",
                        self.classes.len()
                    ));
                }
            }
        }
        self.validate_spec().or_else(bad)
    }

    /// The held-out metrics are of the task's kind, present exactly when rows were held out,
    /// and in their ranges; a k-NN model stores one point per training row.
    fn validate_metrics(&self) -> std::result::Result<(), String> {
        let m = &self.metrics;
        if self.fitted_by.is_some() {
            // Fitted elsewhere: the rows it was fitted on are not known, so no metrics.
            if *m != Metrics::default() {
                return Err(
                    "metrics are given for a pipeline fitted outside mlops-lite (its split is \
                     not known)"
                        .into(),
                );
            }
            return Ok(());
        }
        if m.n_train == 0 {
            return Err("metrics.n_train is 0 (a model is fitted on at least one row)".into());
        }
        if let estimator::Fitted::KnnClassifier(k) | estimator::Fitted::KnnRegressor(k) =
            &self.estimator
        {
            if k.targets.len() as u64 != m.n_train {
                return Err(format!(
                    "metrics.n_train is {} but the k-NN model stores {} training points",
                    m.n_train,
                    k.targets.len()
                ));
            }
        }
        let classification = [
            ("accuracy", m.accuracy),
            ("log_loss", m.log_loss),
            ("macro_f1", m.macro_f1),
        ];
        let regression = [("rmse", m.rmse), ("mae", m.mae), ("r2", m.r2)];
        let (own, other) = match self.estimator.task() {
            Task::Classification => (&classification, &regression),
            Task::Regression => (&regression, &classification),
        };
        if let Some((name, _)) = other.iter().find(|(_, v)| v.is_some()) {
            return Err(format!(
                "metrics.{name} is given for a {}",
                self.estimator_type
            ));
        }
        for (name, v) in own {
            match (m.n_test, v) {
                (0, Some(_)) => {
                    return Err(format!("metrics.{name} is given but no rows were held out"))
                }
                (1.., None) if *name != "r2" => {
                    return Err(format!(
                        "metrics.{name} is missing ({} rows were held out)",
                        m.n_test
                    ))
                }
                _ => {}
            }
            let Some(x) = *v else { continue };
            let (ok, range) = match *name {
                "accuracy" | "macro_f1" => ((0.0..=1.0).contains(&x), "in [0, 1]"),
                "r2" => (x.is_finite() && x <= 1.0, "at most 1"),
                _ => (x.is_finite() && x >= 0.0, "at least 0"),
            };
            if !ok {
                return Err(format!("metrics.{name} is {x} (must be {range})"));
            }
        }
        Ok(())
    }

    /// The resolved training spec agrees with what was fitted (it is what `reproduce`
    /// retrains from and what listings show).
    fn validate_spec(&self) -> std::result::Result<(), String> {
        let spec = match (&self.spec, &self.fitted_by, self.artifact_format) {
            (Some(spec), None, _) => spec,
            (None, Some(by), 2..) => {
                if by.library.is_empty() || by.version.is_empty() {
                    return Err("fitted_by names no library or no version".into());
                }
                return Ok(());
            }
            (None, Some(_), _) => {
                return Err("fitted_by is set in an artifact of format 1 (it needs 2)".into())
            }
            (Some(_), Some(by), _) => {
                return Err(format!(
                    "a pipeline fitted by {} has a training spec",
                    by.library
                ))
            }
            (None, None, _) => return Err("spec is missing and no fitted_by says why".into()),
        };
        if spec.target != self.target {
            return Err(format!(
                "spec.target {:?} is not the target {:?}",
                spec.target, self.target
            ));
        }
        let names: Vec<&str> = self.signature.iter().map(|f| f.name.as_str()).collect();
        // An artifact's spec is resolved: every default filled in.
        for (field, missing) in [
            ("features", spec.features.is_none()),
            ("transformers", spec.transformers.is_none()),
            ("estimator", spec.estimator.is_none()),
        ] {
            if missing {
                return Err(format!(
                    "spec.{field} is missing (an artifact holds the resolved spec)"
                ));
            }
        }
        if let Some(features) = &spec.features {
            if features.len() != names.len() || features.iter().zip(&names).any(|(a, b)| a != b) {
                return Err("spec.features is not the signature's feature list".into());
            }
        }
        if let Some(est) = &spec.estimator {
            if est.class_name() != self.estimator.class_name() {
                return Err(format!(
                    "spec.estimator is {} but the fitted estimator is a {}",
                    est.class_name(),
                    self.estimator.class_name()
                ));
            }
            est.validate().map_err(|e| format!("spec.estimator: {e}"))?;
            match (est, &self.estimator) {
                (
                    EstimatorSpec::KnnClassifier { k, weights }
                    | EstimatorSpec::KnnRegressor { k, weights },
                    estimator::Fitted::KnnClassifier(m) | estimator::Fitted::KnnRegressor(m),
                ) if (*k, *weights) != (m.k, m.weights) => {
                    return Err(format!(
                        "spec.estimator has k = {k} ({weights:?}) but the fitted model has \
                         k = {} ({:?})",
                        m.k, m.weights
                    ))
                }
                (
                    EstimatorSpec::RandomForestClassifier { n_trees, .. }
                    | EstimatorSpec::RandomForestRegressor { n_trees, .. },
                    estimator::Fitted::RandomForestClassifier(m)
                    | estimator::Fitted::RandomForestRegressor(m),
                ) if usize::from(*n_trees) != m.trees.len() => {
                    return Err(format!(
                        "spec.estimator has n_trees = {n_trees} but the fitted forest has {} \
                         trees",
                        m.trees.len()
                    ))
                }
                _ => {}
            }
        }
        if let Some(groups) = &spec.transformers {
            if groups.len() != self.transformers.len() {
                return Err(format!(
                    "spec.transformers has {} groups but {} were fitted",
                    groups.len(),
                    self.transformers.len()
                ));
            }
            for (gi, (g, f)) in groups.iter().zip(&self.transformers).enumerate() {
                let same_columns = g.columns.len() == f.columns.len()
                    && g.columns
                        .iter()
                        .zip(&f.columns)
                        .all(|(name, &c)| names.get(c) == Some(&name.as_str()));
                if g.name != f.name || !same_columns || g.steps.len() != f.steps.len() {
                    return Err(format!(
                        "spec.transformers[{gi}] ({:?}) is not the fitted group {:?} (name, \
                         columns or number of steps differ)",
                        g.name, f.name
                    ));
                }
                for (si, (s, fs)) in g.steps.iter().zip(&f.steps).enumerate() {
                    if s.name() != fs.spec_name() {
                        return Err(format!(
                            "spec.transformers[{gi}].steps[{si}] is {} but the fitted step is \
                             {}",
                            s.name(),
                            fs.spec_name()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The first value seen twice (ASCII case ignored with `fold`), in O(n log n).
fn first_duplicate<'a>(values: impl Iterator<Item = &'a str>, fold: bool) -> Option<&'a str> {
    let mut sorted: Vec<(std::borrow::Cow<'a, str>, usize, &'a str)> = values
        .enumerate()
        .map(|(i, v)| {
            let key = if fold {
                std::borrow::Cow::Owned(v.to_ascii_lowercase())
            } else {
                std::borrow::Cow::Borrowed(v)
            };
            (key, i, v)
        })
        .collect();
    sorted.sort_unstable();
    sorted
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| (w[1].1, w[1].2))
        .min()
        .map(|(_, v)| v)
}

/// Class labels as training writes them: integers in canonical form sorted by value,
/// booleans `false` then `true`, strings sorted by bytes (uniqueness is checked before).
fn validate_classes(classes: &[String], dtype: DType) -> std::result::Result<(), String> {
    match dtype {
        DType::Integer => {
            let mut last: Option<i64> = None;
            for (i, c) in classes.iter().enumerate() {
                let v = c
                    .parse::<i64>()
                    .ok()
                    .filter(|v| v.to_string() == *c)
                    .ok_or_else(|| {
                        format!("classes[{i}]: {c:?} is not an integer label of an Int64 target")
                    })?;
                if last.is_some_and(|l| l >= v) {
                    return Err(format!("classes[{i}]: {c:?} is out of order"));
                }
                last = Some(v);
            }
        }
        DType::Boolean => {
            if classes != ["false", "true"] {
                return Err(format!(
                    "classes: a boolean target has classes [\"false\", \"true\"], not {classes:?}"
                ));
            }
        }
        _ => {
            if let Some(i) = classes.windows(2).position(|w| w[0] >= w[1]) {
                return Err(format!(
                    "classes[{}]: {:?} is out of order",
                    i + 1,
                    classes[i + 1]
                ));
            }
        }
    }
    Ok(())
}

/// The result of training: the fitted pipeline (its resolved spec and metrics inside).
pub fn train(data: &Dataset, spec: &TrainSpec, lineage: Lineage) -> Result<Pipeline> {
    let names: Vec<&str> = data.columns().iter().map(|c| c.name.as_str()).collect();
    let col = |name: &str| {
        data.column(name).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "column {name:?} is not in dataset {}@{}; its columns are {}",
                lineage.name,
                lineage.version,
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    };
    if spec.target.is_empty() {
        return Err(Error::InvalidArgument(
            "the training spec names no target column".into(),
        ));
    }
    let target = col(&spec.target)?;
    if !(0.0..1.0).contains(&spec.test_size) {
        return Err(Error::InvalidArgument(format!(
            "test_size {} must be at least 0 and below 1",
            spec.test_size
        )));
    }

    // Features.
    let features: Vec<String> = match &spec.features {
        Some(f) => f.clone(),
        None => names
            .iter()
            .filter(|n| **n != spec.target)
            .map(|n| n.to_string())
            .collect(),
    };
    if features.is_empty() {
        return Err(Error::InvalidArgument(
            "there are no feature columns to train on".into(),
        ));
    }
    let mut signature = Vec::with_capacity(features.len());
    for f in &features {
        if *f == spec.target {
            return Err(Error::InvalidArgument(format!(
                "the target {f:?} cannot also be a feature"
            )));
        }
        if signature.iter().any(|s: &Feature| s.name == *f) {
            return Err(Error::InvalidArgument(format!(
                "feature {f:?} is listed twice"
            )));
        }
        signature.push(Feature {
            name: f.clone(),
            dtype: col(f)?.values.dtype().name().to_string(),
        });
    }

    // Task and estimator.
    let target_dtype = target.values.dtype();
    let inferred_task = match &target.values {
        Values::String(_) | Values::Boolean(_) => Task::Classification,
        Values::Integer(v) => {
            let mut u: Vec<i64> = v.iter().flatten().copied().collect();
            u.sort_unstable();
            u.dedup();
            if u.len() <= MAX_INTEGER_CLASSES {
                Task::Classification
            } else {
                Task::Regression
            }
        }
        Values::Float(_) => Task::Regression,
    };
    let estimator_spec = match &spec.estimator {
        Some(e) => e.clone(),
        None => EstimatorSpec::default_for(match inferred_task {
            Task::Classification => "logistic_regression",
            Task::Regression => "linear_regression",
        })?,
    };
    let task = estimator_spec.task();
    if task == Task::Classification && target_dtype == DType::Float {
        return Err(Error::InvalidArgument(format!(
            "{} is a classifier but the target {:?} holds floats; use a regressor, or a \
             string, boolean or integer target",
            estimator_spec.class_name(),
            spec.target
        )));
    }
    if task == Task::Regression && target_dtype == DType::String {
        return Err(Error::InvalidArgument(format!(
            "{} is a regressor but the target {:?} holds strings; use a classifier",
            estimator_spec.class_name(),
            spec.target
        )));
    }

    // Rows with a target: nulls in the target cannot be learned from.
    let labelled = labelled_rows(&target.values, data.rows());
    if labelled.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "the target {:?} has only nulls; there is nothing to learn",
            spec.target
        )));
    }

    // Classes.
    let (classes, y_class, y_value): (Vec<String>, Vec<u32>, Vec<f64>) = match task {
        Task::Classification => {
            let labels: Vec<String> = labelled
                .iter()
                .map(|&i| label_text(&target.values, i))
                .collect();
            let mut classes = labels.clone();
            if let Values::Integer(_) = target.values {
                classes.sort_by_key(|c| c.parse::<i64>().unwrap_or(0));
            } else {
                classes.sort();
            }
            classes.dedup();
            if classes.len() < 2 {
                return Err(Error::InvalidArgument(format!(
                    "the target {:?} has only one class ({:?}); a classifier needs at least two",
                    spec.target, classes[0]
                )));
            }
            let y = labels
                .iter()
                .map(|l| {
                    classes
                        .iter()
                        .position(|c| c == l)
                        .expect("label is a class") as u32
                })
                .collect();
            (classes, y, Vec::new())
        }
        Task::Regression => {
            let y: Vec<f64> = labelled
                .iter()
                .map(|&i| number(&target.values, i))
                .collect();
            if y.iter().all(|v| *v == y[0]) {
                return Err(Error::InvalidArgument(format!(
                    "the target {:?} is constant ({}); there is nothing to learn",
                    spec.target, y[0]
                )));
            }
            (Vec::new(), Vec::new(), y)
        }
    };

    // Split.
    let (train_idx, test_idx) = split(labelled.len(), spec.test_size, spec.seed);
    if train_idx.is_empty() {
        return Err(Error::InvalidArgument(
            "no rows are left for training; lower test_size".into(),
        ));
    }
    if task == Task::Classification {
        let mut seen: Vec<u32> = train_idx.iter().map(|&i| y_class[i]).collect();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() < 2 {
            return Err(Error::InvalidArgument(
                "the training part of the split has only one class; use more data or another seed"
                    .into(),
            ));
        }
    }

    // Transformers.
    let groups: Vec<GroupSpec> = match &spec.transformers {
        Some(g) => g.clone(),
        None => default_groups(&signature),
    };
    let mut routed = vec![false; signature.len()];
    let mut fitted_groups = Vec::with_capacity(groups.len());
    let mut train_cols: Vec<Vec<f64>> = Vec::new();
    for g in &groups {
        let mut idx = Vec::with_capacity(g.columns.len());
        for c in &g.columns {
            let i = signature.iter().position(|s| s.name == *c).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "transformer {:?} names column {c:?}, which is not a feature{}",
                    g.name,
                    if data.column(c).is_none() {
                        " nor a column of the dataset"
                    } else {
                        ""
                    }
                ))
            })?;
            if routed[i] {
                return Err(Error::InvalidArgument(format!(
                    "column {c:?} is in two transformers; route each feature once"
                )));
            }
            routed[i] = true;
            idx.push(i);
        }
        if idx.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "transformer {:?} has no columns",
                g.name
            )));
        }
        let kinds: Vec<bool> = idx.iter().map(|&i| signature[i].is_string()).collect();
        if kinds.iter().any(|k| *k != kinds[0]) {
            return Err(Error::InvalidArgument(format!(
                "transformer {:?} mixes string and numeric columns; put them in separate transformers",
                g.name
            )));
        }
        let rows: Vec<usize> = train_idx.iter().map(|&r| labelled[r]).collect();
        let block = if kinds[0] {
            Block::Strings(
                idx.iter()
                    .map(|&i| {
                        let Values::String(v) =
                            &data.column(&signature[i].name).expect("feature").values
                        else {
                            unreachable!("string feature")
                        };
                        rows.iter().map(|&r| v[r].clone()).collect()
                    })
                    .collect(),
            )
        } else {
            Block::Numbers(
                idx.iter()
                    .map(|&i| {
                        let v = &data.column(&signature[i].name).expect("feature").values;
                        rows.iter().map(|&r| number(v, r)).collect()
                    })
                    .collect(),
            )
        };
        let (fg, cols) = fit_group(g, idx, block)?;
        fitted_groups.push(fg);
        train_cols.extend(cols);
    }
    if let Some(i) = routed.iter().position(|r| !r) {
        return Err(Error::InvalidArgument(format!(
            "feature {:?} is in no transformer; add it to one (an empty steps list passes it through) or drop it from features",
            signature[i].name
        )));
    }
    let n_rows = train_idx.len();
    let n_cols = train_cols.len();
    let mut x = vec![0.0; n_rows * n_cols];
    for (j, c) in train_cols.iter().enumerate() {
        for (i, v) in c.iter().enumerate() {
            if v.is_nan() {
                return Err(Error::InvalidArgument(format!(
                    "the training data has nulls that reach the estimator (transformed column {j}); add a simple_imputer step"
                )));
            }
            x[i * n_cols + j] = *v;
        }
    }
    let matrix = Matrix {
        data: &x,
        rows: n_rows,
        cols: n_cols,
    };
    let fitted = match task {
        Task::Classification => {
            let y: Vec<u32> = train_idx.iter().map(|&i| y_class[i]).collect();
            estimator::fit(
                &estimator_spec,
                matrix,
                TargetData::Classes {
                    y: &y,
                    n_classes: classes.len(),
                },
                spec.seed,
            )?
        }
        Task::Regression => {
            let y: Vec<f64> = train_idx.iter().map(|&i| y_value[i]).collect();
            estimator::fit(&estimator_spec, matrix, TargetData::Values(&y), spec.seed)?
        }
    };

    let resolved = TrainSpec {
        target: spec.target.clone(),
        features: Some(features),
        transformers: Some(groups),
        estimator: Some(estimator_spec.clone()),
        test_size: spec.test_size,
        seed: spec.seed,
    };
    let mut pipeline = Pipeline {
        artifact_format: ARTIFACT_FORMAT_TRAINED,
        mlops_lite_version: env!("CARGO_PKG_VERSION").to_string(),
        smartcore_version: SMARTCORE_VERSION.to_string(),
        fitted_by: None,
        estimator_class: estimator_spec.class_name().to_string(),
        estimator_type: match task {
            Task::Classification => "classifier",
            Task::Regression => "regressor",
        }
        .to_string(),
        target: spec.target.clone(),
        target_dtype: target_dtype.name().to_string(),
        classes,
        signature,
        spec: Some(resolved),
        dataset: lineage,
        metrics: Metrics {
            n_train: n_rows as u64,
            n_test: test_idx.len() as u64,
            ..Default::default()
        },
        transformers: fitted_groups,
        estimator: fitted,
    };
    pipeline.validate_fitted()?;

    // Held-out metrics, through the same row path as predictions.
    if !test_idx.is_empty() {
        let rows: Vec<usize> = test_idx.iter().map(|&r| labelled[r]).collect();
        let n = pipeline.signature.len();
        let cols: Vec<&Values> = pipeline
            .signature
            .iter()
            .map(|f| &data.column(&f.name).expect("feature").values)
            .collect();
        let mut numbers = vec![f64::NAN; n];
        let mut strings: Vec<Option<&str>> = vec![None; n];
        let mut scratch = Scratch::default();
        let (mut feats, mut pbuf) = (Vec::new(), Vec::new());
        let mut all_proba = Vec::new();
        let mut preds = Vec::new();
        for &r in &rows {
            for (j, c) in cols.iter().enumerate() {
                match c {
                    Values::String(v) => strings[j] = v[r].as_deref(),
                    other => numbers[j] = number(other, r),
                }
            }
            let input = RowInput {
                numbers: &numbers,
                strings: &strings,
            };
            match pipeline.predict_row(&input, &mut scratch, &mut feats, &mut pbuf) {
                Ok(Output::Classes { proba, .. }) => all_proba.extend(proba),
                Ok(Output::Value(v)) => preds.push(v),
                Err(e) => {
                    return Err(Error::InvalidArgument(format!(
                        "held-out row {}: feature {:?} {}",
                        r + 1,
                        pipeline.signature[e.feature].name,
                        e.message
                    )))
                }
            }
        }
        let m = &mut pipeline.metrics;
        match task {
            Task::Classification => {
                let y: Vec<u32> = test_idx.iter().map(|&i| y_class[i]).collect();
                let (acc, ll, f1) = metrics::classification(&y, &all_proba, pipeline.classes.len());
                (m.accuracy, m.log_loss, m.macro_f1) = (Some(acc), Some(ll), Some(f1));
            }
            Task::Regression => {
                let y: Vec<f64> = test_idx.iter().map(|&i| y_value[i]).collect();
                let (rmse, mae, r2) = metrics::regression(&y, &preds);
                (m.rmse, m.mae, m.r2) = (Some(rmse), Some(mae), (!r2.is_nan()).then_some(r2));
            }
        }
    }
    Ok(pipeline)
}

/// The default transformers: numbers (integers, floats, booleans) get median imputation and
/// standard scaling; strings get most-frequent imputation and one-hot encoding.
pub fn default_groups(signature: &[Feature]) -> Vec<GroupSpec> {
    let num: Vec<String> = signature
        .iter()
        .filter(|f| !f.is_string())
        .map(|f| f.name.clone())
        .collect();
    let cat: Vec<String> = signature
        .iter()
        .filter(|f| f.is_string())
        .map(|f| f.name.clone())
        .collect();
    let mut groups = Vec::new();
    if !num.is_empty() {
        groups.push(GroupSpec {
            name: "num".into(),
            columns: num,
            steps: vec![
                StepSpec::SimpleImputer {
                    strategy: ImputeStrategy::Median,
                    fill_value: None,
                },
                StepSpec::StandardScaler {},
            ],
        });
    }
    if !cat.is_empty() {
        groups.push(GroupSpec {
            name: "cat".into(),
            columns: cat,
            steps: vec![
                StepSpec::SimpleImputer {
                    strategy: ImputeStrategy::MostFrequent,
                    fill_value: None,
                },
                StepSpec::OneHotEncoder {},
            ],
        });
    }
    groups
}

/// A numeric view of row `i` (booleans as 0/1; NaN for null or strings).
fn number(v: &Values, i: usize) -> f64 {
    match v {
        Values::Integer(v) => v[i].map_or(f64::NAN, |x| x as f64),
        Values::Float(v) => v[i],
        Values::Boolean(v) => v[i].map_or(f64::NAN, |b| b as u8 as f64),
        Values::String(_) => f64::NAN,
    }
}

/// The class label of row `i` as text.
pub(crate) fn label_text(v: &Values, i: usize) -> String {
    match v {
        Values::Integer(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
        Values::Float(v) => v[i].to_string(),
        Values::Boolean(v) => v[i].map(|b| b.to_string()).unwrap_or_default(),
        Values::String(v) => v[i].clone().unwrap_or_default(),
    }
}

/// The rows a model learns from: those whose target is not null, in dataset order. The
/// split ([`split`]) is drawn over these, by position.
fn labelled_rows(target: &Values, rows: usize) -> Vec<usize> {
    (0..rows).filter(|&i| !target.is_null(i)).collect()
}

/// The rows of its training dataset a model was fitted on and held out for its metrics:
/// 0-based positions in the dataset's order (the order `dataset pull` writes), sorted. Rows
/// whose target is null are in neither. [`Pipeline::split_rows`] gives it, so that another
/// tool can train and score on exactly the same rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitRows {
    /// Rows the pipeline was fitted on.
    pub train: Vec<usize>,
    /// Held-out rows its metrics were computed on.
    pub test: Vec<usize>,
}

impl Pipeline {
    /// The rows of `data` (its training dataset) this pipeline was fitted on and held out:
    /// the split [`train`] drew, from the stored spec's `test_size` and `seed`, by the same
    /// code. Checked against the stored row counts (`metrics.n_train`, `metrics.n_test`), so a
    /// dataset other than the training one is an error rather than a wrong split.
    pub fn split_rows(&self, data: &Dataset) -> Result<SplitRows> {
        let target = data.column(&self.target).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the dataset has no column {:?}, the target of this model; pass its training \
                 dataset ({}@{})",
                self.target, self.dataset.name, self.dataset.version
            ))
        })?;
        let spec = self.trained_spec()?;
        let labelled = labelled_rows(&target.values, data.rows());
        let (train, test) = split(labelled.len(), spec.test_size, spec.seed);
        let rows = SplitRows {
            train: train.iter().map(|&i| labelled[i]).collect(),
            test: test.iter().map(|&i| labelled[i]).collect(),
        };
        if (rows.train.len() as u64, rows.test.len() as u64)
            != (self.metrics.n_train, self.metrics.n_test)
        {
            return Err(Error::InvalidArgument(format!(
                "this dataset splits into {} training and {} held-out rows, but the model was \
                 trained on {} and scored on {}; pass its training dataset ({}@{})",
                rows.train.len(),
                rows.test.len(),
                self.metrics.n_train,
                self.metrics.n_test,
                self.dataset.name,
                self.dataset.version
            )));
        }
        Ok(rows)
    }
}

/// splitmix64: a tiny, fully specified generator, so the split is the same in every build
/// and can be reproduced elsewhere (the scikit-learn comparison script re-implements it and
/// checks its rows against `mlops-lite model split`).
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Splits `0..n` into (train, test): a Fisher-Yates shuffle with splitmix64(seed), then the
/// first `ceil(test_size * n)` shuffled indices are the test part (scikit-learn rounds the
/// test size up too). Both parts are returned sorted.
pub fn split(n: usize, test_size: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let n_test = ((test_size * n as f64).ceil() as usize).min(n);
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64(seed);
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        idx.swap(i, j);
    }
    let mut test = idx[..n_test].to_vec();
    let mut train = idx[n_test..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{samples, Column};

    fn lineage() -> Lineage {
        Lineage {
            name: "iris".into(),
            version: 1,
            md5: String::new(),
        }
    }

    #[test]
    fn artifacts_past_the_bound_are_refused_whole_with_their_size() {
        assert!(check_artifact_size(MAX_ARTIFACT_BYTES, MAX_ARTIFACT_BYTES).is_ok());
        let e = check_artifact_size(MAX_ARTIFACT_BYTES + 1, MAX_ARTIFACT_BYTES).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(
            e.to_string()
                .contains("the artifact is 1073741825 bytes, more than the 1073741824"),
            "{e}"
        );
    }

    /// Iris with the target of rows 3, 40 and 41 null: rows no model learns from.
    fn iris_with_unlabelled_rows() -> Dataset {
        let (_, iris) = samples::sample("iris").unwrap();
        let columns = iris
            .columns()
            .iter()
            .map(|c| match &c.values {
                Values::String(v) if c.name == "target" => {
                    let mut v = v.clone();
                    for i in [3, 40, 41] {
                        v[i] = None;
                    }
                    Column::new(&c.name, Values::String(v))
                }
                _ => c.clone(),
            })
            .collect();
        Dataset::new(columns).unwrap()
    }

    /// The dataset's rows `rows`, in that order.
    fn select(data: &Dataset, rows: &[usize]) -> Dataset {
        let columns = data
            .columns()
            .iter()
            .map(|c| {
                let values = match &c.values {
                    Values::Float(v) => Values::Float(rows.iter().map(|&r| v[r]).collect()),
                    Values::String(v) => {
                        Values::String(rows.iter().map(|&r| v[r].clone()).collect())
                    }
                    other => panic!("iris has no {:?} column", other.dtype()),
                };
                Column::new(&c.name, values)
            })
            .collect();
        Dataset::new(columns).unwrap()
    }

    #[test]
    fn split_rows_are_the_rows_training_fitted_on() {
        let data = iris_with_unlabelled_rows();
        let spec = TrainSpec::new("target").seed(7);
        let p = train(&data, &spec, lineage()).unwrap();
        let rows = p.split_rows(&data).unwrap();
        assert_eq!((rows.train.len(), rows.test.len()), (110, 37));
        // Sorted, disjoint, every labelled row once, no unlabelled row.
        let mut all: Vec<usize> = rows.train.iter().chain(&rows.test).copied().collect();
        assert!(rows.train.windows(2).all(|w| w[0] < w[1]));
        assert!(rows.test.windows(2).all(|w| w[0] < w[1]));
        all.sort_unstable();
        let labelled: Vec<usize> = (0..150).filter(|r| ![3, 40, 41].contains(r)).collect();
        assert_eq!(all, labelled);
        // Fitting on exactly the exported training rows (nothing held out) gives the same
        // fitted steps and estimator: they are the rows training used, in its order.
        let only_train = select(&data, &rows.train);
        let again = train(&only_train, &spec.clone().test_size(0.0), lineage()).unwrap();
        assert_eq!(again.transformers, p.transformers);
        assert_eq!(again.estimator, p.estimator);
        // Another seed's rows are not.
        let other = train(&data, &TrainSpec::new("target").seed(8), lineage()).unwrap();
        assert_ne!(other.split_rows(&data).unwrap(), rows);
    }

    #[test]
    fn split_rows_of_another_dataset_is_refused() {
        let data = iris_with_unlabelled_rows();
        let p = train(&data, &TrainSpec::new("target"), lineage()).unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        let e = p.split_rows(&iris).unwrap_err().to_string();
        assert!(
            e.contains("112 training and 38 held-out rows, but the model was trained on 110 and scored on 37; pass its training dataset (iris@1)"),
            "{e}"
        );
        let no_target = Dataset::new(vec![Column::new("a", Values::Float(vec![1.0, 2.0]))]);
        let e = p.split_rows(&no_target.unwrap()).unwrap_err().to_string();
        assert!(
            e.contains("the dataset has no column \"target\", the target of this model"),
            "{e}"
        );
    }
}
