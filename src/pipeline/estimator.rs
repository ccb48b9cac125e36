//! The estimator layer: which estimator to train ([`EstimatorSpec`]), training it with smartcore
//! ([`fit`]), and the fitted model as our own plain data ([`Fitted`]) with our own inference.
//!
//! This module owns:
//! - the estimator names, their hyper-parameters, defaults and JSON form ([`EstimatorSpec`]);
//! - the checks on training data that smartcore does not make (no rows, non-finite values, one
//!   class, `k` larger than the training set) and the mapping of smartcore's `Failed` into
//!   [`Error`];
//! - the extraction of smartcore's fitted parameters (coefficients, tree nodes) into [`Fitted`],
//!   which is serde data made of `Vec`s only, so its JSON is deterministic and round-trips
//!   bit for bit (`serde_json` with `float_roundtrip`);
//! - inference over [`Fitted`] with our own code and `libm` (its exponentials with our own
//!   [`math::exp`], which vectorises), so a model gives the same numbers natively and in
//!   wasm32, and [`Fitted::validate`], which makes a model read from untrusted
//!   bytes safe to predict with (no panic, no endless loop).
//!
//! Probabilities: logistic regression is a sigmoid (two classes) or a softmax of
//! `coefficients · x + intercept`; trees give the class fractions of the training samples in the
//! leaf (for forests, of the tree's bootstrap sample, averaged over trees); k-nearest neighbours
//! give the (1/distance-)weighted vote; Gaussian naive Bayes gives the normalised likelihoods.
//!
//! Training is smartcore's, except for k-nearest neighbours (training is storing the points) and
//! Gaussian naive Bayes (closed form, computed here: smartcore computes variances as
//! `E[x²] − mean²`, which can come out negative, and has no variance smoothing). Training results
//! are deterministic for the same data and seed, and the same natively and in wasm32: smartcore
//! and rand are vendored with patches (`src/vendor/README.md`) so that smartcore's random draws
//! are one generator on every platform and the `exp`, `ln`, `ln_1p`, `powf` and `hypot` of its
//! fitting come from the `libm` crate, not the platform's maths library. Inference over a given
//! [`Fitted`] is identical everywhere.
//!
//! Hyper-parameters follow scikit-learn's meaning where smartcore's differ: see
//! [`EstimatorSpec`].
//!
//! Cost of inference over a validated [`Fitted`] of B bytes, per row: linear models and naive
//! Bayes read each parameter once (O(B)); a tree walk visits at most the tree's node count
//! (children point forward), so a forest costs at most its total node count plus one value
//! row per tree (O(B)); k-nearest neighbours compute one distance per stored point
//! (O(n · n_features)) and select the k nearest with a heap of size k (O(n log k)), then sort
//! those k (O(k log k), k <= n): O(B + n log k) in all, where the selection used to insert
//! into a sorted list (O(n · k), quadratic for k near n).

use mlops_lite_kernels::{self as kernels, dot_columns, softmax_in_place};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::error::Failed;
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::elastic_net::{ElasticNet, ElasticNetParameters};
use smartcore::linear::lasso::{Lasso, LassoParameters};
use smartcore::linear::linear_regression::{LinearRegression, LinearRegressionParameters};
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters, SplitCriterion,
};
use smartcore::tree::decision_tree_regressor::{
    DecisionTreeRegressor, DecisionTreeRegressorParameters,
};

pub use super::boosting::Boosted;
use super::fields::{FieldError, Fields, FromFields};
use super::{math, metrics};
use crate::error::{Error, Result};

// ---------------------------------------------------------------------------------------------
// Specification
// ---------------------------------------------------------------------------------------------

/// Task of an estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Predicts one of a fixed set of classes, with probabilities.
    Classification,
    /// Predicts a number.
    Regression,
}

/// How k-nearest neighbours weigh the neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnWeights {
    /// Every neighbour counts the same.
    #[default]
    Uniform,
    /// A neighbour counts 1/distance; neighbours at distance 0, if any, take all the weight.
    Distance,
}

/// Which estimator, with its hyper-parameters.
///
/// JSON form: `{"estimator": "logistic_regression", "alpha": 1.0}`; every field may be left out
/// (defaults as in [`EstimatorSpec::default_for`]) and an unknown field is an error.
///
/// Meanings (scikit-learn's, translated to smartcore where they differ):
/// - `alpha` of logistic regression is the L2 penalty `1/C`: the loss is the *sum* of the
///   log-losses plus `alpha/2 · |w|²`, exactly scikit-learn's objective with `C = 1/alpha`
///   (the intercept is not penalised).
/// - `alpha` of ridge: `|y − Xw − b|² + alpha·|w|²`, intercept not penalised (scikit-learn's
///   `Ridge`; smartcore's own `normalize` option is not used).
/// - `alpha`, `l1_ratio` of lasso and elastic net: scikit-learn's
///   `1/(2n)·|y − Xw − b|² + alpha·l1_ratio·|w|₁ + alpha·(1 − l1_ratio)/2·|w|²`.
/// - `max_depth` of trees: the largest number of splits from the root to a leaf (1 = a stump),
///   `None` = unlimited. smartcore counts levels of nodes instead, so it gets `max_depth + 1`.
/// - forests choose `floor(sqrt(n_features))` candidate features at each split (smartcore's
///   default, for regressors too).
///
/// Read by hand (`FromFields`) rather than by serde's derive: see `pipeline/fields.rs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "estimator", rename_all = "snake_case")]
pub enum EstimatorSpec {
    /// Logistic regression (L-BFGS), binary or multinomial.
    LogisticRegression {
        /// L2 penalty, `1/C` in scikit-learn's terms; 0 = none.
        #[serde(default = "default_one")]
        alpha: f64,
    },
    /// Ordinary least squares.
    LinearRegression {},
    /// Least squares with an L2 penalty.
    Ridge {
        /// L2 penalty.
        #[serde(default = "default_one")]
        alpha: f64,
    },
    /// Least squares with an L1 penalty.
    Lasso {
        /// L1 penalty.
        #[serde(default = "default_one")]
        alpha: f64,
    },
    /// Least squares with L1 and L2 penalties.
    ElasticNet {
        /// Overall penalty.
        #[serde(default = "default_one")]
        alpha: f64,
        /// Share of the L1 penalty, in [0, 1].
        #[serde(default = "default_l1_ratio")]
        l1_ratio: f64,
    },
    /// A CART classification tree (Gini).
    DecisionTreeClassifier {
        /// Largest number of splits from root to leaf; `None` = unlimited.
        #[serde(default)]
        max_depth: Option<u16>,
        /// Fewest training samples in a leaf.
        #[serde(default = "default_min_samples_leaf")]
        min_samples_leaf: usize,
        /// Fewest training samples in a node to split it.
        #[serde(default = "default_min_samples_split")]
        min_samples_split: usize,
    },
    /// A CART regression tree (squared error).
    DecisionTreeRegressor {
        /// Largest number of splits from root to leaf; `None` = unlimited.
        #[serde(default)]
        max_depth: Option<u16>,
        /// Fewest training samples in a leaf.
        #[serde(default = "default_min_samples_leaf")]
        min_samples_leaf: usize,
        /// Fewest training samples in a node to split it.
        #[serde(default = "default_min_samples_split")]
        min_samples_split: usize,
    },
    /// A random forest of classification trees on bootstrap samples.
    RandomForestClassifier {
        /// Number of trees.
        #[serde(default = "default_n_trees")]
        n_trees: u16,
        /// Largest number of splits from root to leaf; `None` = unlimited.
        #[serde(default)]
        max_depth: Option<u16>,
        /// Fewest training samples in a leaf.
        #[serde(default = "default_min_samples_leaf")]
        min_samples_leaf: usize,
        /// Fewest training samples in a node to split it.
        #[serde(default = "default_min_samples_split")]
        min_samples_split: usize,
    },
    /// A random forest of regression trees on bootstrap samples.
    RandomForestRegressor {
        /// Number of trees.
        #[serde(default = "default_n_trees")]
        n_trees: u16,
        /// Largest number of splits from root to leaf; `None` = unlimited.
        #[serde(default)]
        max_depth: Option<u16>,
        /// Fewest training samples in a leaf.
        #[serde(default = "default_min_samples_leaf")]
        min_samples_leaf: usize,
        /// Fewest training samples in a node to split it.
        #[serde(default = "default_min_samples_split")]
        min_samples_split: usize,
    },
    /// k-nearest neighbours vote (Euclidean distance).
    KnnClassifier {
        /// Number of neighbours.
        #[serde(default = "default_k")]
        k: usize,
        /// How neighbours are weighed.
        #[serde(default)]
        weights: KnnWeights,
    },
    /// k-nearest neighbours mean (Euclidean distance).
    KnnRegressor {
        /// Number of neighbours.
        #[serde(default = "default_k")]
        k: usize,
        /// How neighbours are weighed.
        #[serde(default)]
        weights: KnnWeights,
    },
    /// Gaussian naive Bayes (priors from the class frequencies, variance smoothing 1e-9).
    GaussianNb {},
}

impl FromFields for EstimatorSpec {
    fn from_fields(mut f: Fields) -> std::result::Result<Self, FieldError> {
        const TREE: &[&str] = &["max_depth", "min_samples_leaf", "min_samples_split"];
        const FOREST: &[&str] = &[
            "n_trees",
            "max_depth",
            "min_samples_leaf",
            "min_samples_split",
        ];
        const KNN: &[&str] = &["k", "weights"];
        let name = f.tag("estimator", NAMES)?;
        let (spec, known): (EstimatorSpec, &'static [&'static str]) = match name {
            "logistic_regression" => (
                EstimatorSpec::LogisticRegression {
                    alpha: f.or("alpha", default_one())?,
                },
                &["alpha"],
            ),
            "linear_regression" => (EstimatorSpec::LinearRegression {}, &[]),
            "ridge" => (
                EstimatorSpec::Ridge {
                    alpha: f.or("alpha", default_one())?,
                },
                &["alpha"],
            ),
            "lasso" => (
                EstimatorSpec::Lasso {
                    alpha: f.or("alpha", default_one())?,
                },
                &["alpha"],
            ),
            "elastic_net" => (
                EstimatorSpec::ElasticNet {
                    alpha: f.or("alpha", default_one())?,
                    l1_ratio: f.or("l1_ratio", default_l1_ratio())?,
                },
                &["alpha", "l1_ratio"],
            ),
            "decision_tree_classifier" | "decision_tree_regressor" => {
                let max_depth = f.or("max_depth", None)?;
                let min_samples_leaf = f.or("min_samples_leaf", default_min_samples_leaf())?;
                let min_samples_split = f.or("min_samples_split", default_min_samples_split())?;
                let spec = if name == "decision_tree_classifier" {
                    EstimatorSpec::DecisionTreeClassifier {
                        max_depth,
                        min_samples_leaf,
                        min_samples_split,
                    }
                } else {
                    EstimatorSpec::DecisionTreeRegressor {
                        max_depth,
                        min_samples_leaf,
                        min_samples_split,
                    }
                };
                (spec, TREE)
            }
            "random_forest_classifier" | "random_forest_regressor" => {
                let n_trees = f.or("n_trees", default_n_trees())?;
                let max_depth = f.or("max_depth", None)?;
                let min_samples_leaf = f.or("min_samples_leaf", default_min_samples_leaf())?;
                let min_samples_split = f.or("min_samples_split", default_min_samples_split())?;
                let spec = if name == "random_forest_classifier" {
                    EstimatorSpec::RandomForestClassifier {
                        n_trees,
                        max_depth,
                        min_samples_leaf,
                        min_samples_split,
                    }
                } else {
                    EstimatorSpec::RandomForestRegressor {
                        n_trees,
                        max_depth,
                        min_samples_leaf,
                        min_samples_split,
                    }
                };
                (spec, FOREST)
            }
            "knn_classifier" | "knn_regressor" => {
                let k = f.or("k", default_k())?;
                let weights = f.or("weights", KnnWeights::default())?;
                let spec = if name == "knn_classifier" {
                    EstimatorSpec::KnnClassifier { k, weights }
                } else {
                    EstimatorSpec::KnnRegressor { k, weights }
                };
                (spec, KNN)
            }
            _ => (EstimatorSpec::GaussianNb {}, &[]),
        };
        f.finish(known)?;
        Ok(spec)
    }
}

fn default_one() -> f64 {
    1.0
}
fn default_l1_ratio() -> f64 {
    0.5
}
fn default_min_samples_leaf() -> usize {
    1
}
fn default_min_samples_split() -> usize {
    2
}
fn default_n_trees() -> u16 {
    100
}
fn default_k() -> usize {
    5
}

/// The snake_case estimator names, in [`EstimatorSpec`] order.
const NAMES: &[&str] = &[
    "logistic_regression",
    "linear_regression",
    "ridge",
    "lasso",
    "elastic_net",
    "decision_tree_classifier",
    "decision_tree_regressor",
    "random_forest_classifier",
    "random_forest_regressor",
    "knn_classifier",
    "knn_regressor",
    "gaussian_nb",
];

/// Variance smoothing of Gaussian naive Bayes, as scikit-learn's `var_smoothing`.
const NB_VAR_SMOOTHING: f64 = 1e-9;

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidArgument(message.into())
}

impl EstimatorSpec {
    /// Classification or regression.
    pub fn task(&self) -> Task {
        match self {
            EstimatorSpec::LogisticRegression { .. }
            | EstimatorSpec::DecisionTreeClassifier { .. }
            | EstimatorSpec::RandomForestClassifier { .. }
            | EstimatorSpec::KnnClassifier { .. }
            | EstimatorSpec::GaussianNb {} => Task::Classification,
            EstimatorSpec::LinearRegression {}
            | EstimatorSpec::Ridge { .. }
            | EstimatorSpec::Lasso { .. }
            | EstimatorSpec::ElasticNet { .. }
            | EstimatorSpec::DecisionTreeRegressor { .. }
            | EstimatorSpec::RandomForestRegressor { .. }
            | EstimatorSpec::KnnRegressor { .. } => Task::Regression,
        }
    }

    /// The scikit-learn class name, e.g. `"LogisticRegression"`, `"KNeighborsClassifier"`.
    pub fn class_name(&self) -> &'static str {
        match self {
            EstimatorSpec::LogisticRegression { .. } => "LogisticRegression",
            EstimatorSpec::LinearRegression {} => "LinearRegression",
            EstimatorSpec::Ridge { .. } => "Ridge",
            EstimatorSpec::Lasso { .. } => "Lasso",
            EstimatorSpec::ElasticNet { .. } => "ElasticNet",
            EstimatorSpec::DecisionTreeClassifier { .. } => "DecisionTreeClassifier",
            EstimatorSpec::DecisionTreeRegressor { .. } => "DecisionTreeRegressor",
            EstimatorSpec::RandomForestClassifier { .. } => "RandomForestClassifier",
            EstimatorSpec::RandomForestRegressor { .. } => "RandomForestRegressor",
            EstimatorSpec::KnnClassifier { .. } => "KNeighborsClassifier",
            EstimatorSpec::KnnRegressor { .. } => "KNeighborsRegressor",
            EstimatorSpec::GaussianNb {} => "GaussianNB",
        }
    }

    /// The snake_case name used in JSON, e.g. `"logistic_regression"`.
    pub fn name(&self) -> &'static str {
        let index = match self {
            EstimatorSpec::LogisticRegression { .. } => 0,
            EstimatorSpec::LinearRegression {} => 1,
            EstimatorSpec::Ridge { .. } => 2,
            EstimatorSpec::Lasso { .. } => 3,
            EstimatorSpec::ElasticNet { .. } => 4,
            EstimatorSpec::DecisionTreeClassifier { .. } => 5,
            EstimatorSpec::DecisionTreeRegressor { .. } => 6,
            EstimatorSpec::RandomForestClassifier { .. } => 7,
            EstimatorSpec::RandomForestRegressor { .. } => 8,
            EstimatorSpec::KnnClassifier { .. } => 9,
            EstimatorSpec::KnnRegressor { .. } => 10,
            EstimatorSpec::GaussianNb {} => 11,
        };
        NAMES[index]
    }

    /// The snake_case names of all estimators, for error messages.
    pub fn names() -> &'static [&'static str] {
        NAMES
    }

    /// The estimator `name` with default hyper-parameters (scikit-learn's where they apply:
    /// logistic regression `alpha = 1` (C = 1), ridge/lasso/elastic net `alpha = 1`, elastic net
    /// `l1_ratio = 0.5`, trees of unlimited depth, 100 trees per forest, k = 5 uniform).
    pub fn default_for(name: &str) -> Result<EstimatorSpec> {
        if !NAMES.contains(&name) {
            return Err(unknown_estimator(name));
        }
        EstimatorSpec::from_json(&serde_json::json!({ "estimator": name }))
    }

    /// Reads a spec from JSON such as `{"estimator": "ridge", "alpha": 0.5}`, checks the values,
    /// and names the offending field when something is wrong.
    pub fn from_json(value: &Value) -> Result<EstimatorSpec> {
        let object = value.as_object().ok_or_else(|| {
            invalid(format!(
                "an estimator spec must be a JSON object such as \
                 {{\"estimator\": \"logistic_regression\"}}, not {value}"
            ))
        })?;
        let name = match object.get("estimator") {
            Some(Value::String(name)) => name.as_str(),
            Some(other) => {
                return Err(invalid(format!(
                    "the field \"estimator\" must be a string, not {other}; the estimators are {}",
                    NAMES.join(", ")
                )))
            }
            None => {
                return Err(invalid(format!(
                    "the estimator spec has no field \"estimator\"; set it to one of {}",
                    NAMES.join(", ")
                )))
            }
        };
        if !NAMES.contains(&name) {
            return Err(unknown_estimator(name));
        }
        let spec = EstimatorSpec::from_fields(Fields::new(object.clone())).map_err(|e| {
            invalid(format!(
                "estimator {name}: {e}; see the defaults with {{\"estimator\": \"{name}\"}}"
            ))
        })?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the hyper-parameter values (ranges, finiteness); the error names the field.
    pub fn validate(&self) -> Result<()> {
        let name = self.name();
        let bad = |field: &str, rule: &str, got: String| {
            Err(invalid(format!(
                "estimator {name}: field {field:?} must be {rule}, got {got}"
            )))
        };
        let check_alpha = |alpha: f64| {
            if alpha.is_finite() && alpha >= 0.0 {
                Ok(())
            } else {
                bad("alpha", "a finite number >= 0", alpha.to_string())
            }
        };
        let check_tree = |max_depth: Option<u16>, leaf: usize, split: usize| {
            if max_depth == Some(0) {
                return bad("max_depth", "at least 1, or null for unlimited", "0".into());
            }
            if leaf < 1 {
                return bad("min_samples_leaf", "at least 1", leaf.to_string());
            }
            if split < 2 {
                return bad("min_samples_split", "at least 2", split.to_string());
            }
            Ok(())
        };
        match *self {
            EstimatorSpec::LogisticRegression { alpha }
            | EstimatorSpec::Ridge { alpha }
            | EstimatorSpec::Lasso { alpha } => check_alpha(alpha),
            EstimatorSpec::ElasticNet { alpha, l1_ratio } => {
                check_alpha(alpha)?;
                if (0.0..=1.0).contains(&l1_ratio) {
                    Ok(())
                } else {
                    bad("l1_ratio", "between 0 and 1", l1_ratio.to_string())
                }
            }
            EstimatorSpec::LinearRegression {} | EstimatorSpec::GaussianNb {} => Ok(()),
            EstimatorSpec::DecisionTreeClassifier {
                max_depth,
                min_samples_leaf,
                min_samples_split,
            }
            | EstimatorSpec::DecisionTreeRegressor {
                max_depth,
                min_samples_leaf,
                min_samples_split,
            } => check_tree(max_depth, min_samples_leaf, min_samples_split),
            EstimatorSpec::RandomForestClassifier {
                n_trees,
                max_depth,
                min_samples_leaf,
                min_samples_split,
            }
            | EstimatorSpec::RandomForestRegressor {
                n_trees,
                max_depth,
                min_samples_leaf,
                min_samples_split,
            } => {
                if n_trees < 1 {
                    return bad("n_trees", "at least 1", n_trees.to_string());
                }
                check_tree(max_depth, min_samples_leaf, min_samples_split)
            }
            EstimatorSpec::KnnClassifier { k, .. } | EstimatorSpec::KnnRegressor { k, .. } => {
                if k < 1 {
                    bad("k", "at least 1", k.to_string())
                } else {
                    Ok(())
                }
            }
        }
    }
}

fn unknown_estimator(name: &str) -> Error {
    invalid(format!(
        "unknown estimator {name:?}; the estimators are {}",
        NAMES.join(", ")
    ))
}

// ---------------------------------------------------------------------------------------------
// Training data
// ---------------------------------------------------------------------------------------------

/// Training data after preprocessing: dense row-major f64, `rows x cols`, all finite.
#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a> {
    /// `rows * cols` values, row after row.
    pub data: &'a [f64],
    /// Number of rows (samples).
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
}

impl Matrix<'_> {
    fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// The target: class indices `0..n_classes` (the classes are sorted label strings, decided by
/// the caller; every class must occur), or values.
#[derive(Debug, Clone, Copy)]
pub enum TargetData<'a> {
    /// Class indices, one per row.
    Classes {
        /// Class index of each row, `< n_classes`.
        y: &'a [u32],
        /// Number of classes.
        n_classes: usize,
    },
    /// Regression values, one per row.
    Values(&'a [f64]),
}

// ---------------------------------------------------------------------------------------------
// Fitted models
// ---------------------------------------------------------------------------------------------

/// A fitted estimator as plain data, serde-serializable; JSON output is deterministic and
/// round-trips exactly. Check values from untrusted bytes with [`Fitted::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fitted {
    /// Logistic regression.
    LogisticRegression(LogisticModel),
    /// Ordinary least squares.
    LinearRegression(LinearModel),
    /// Ridge regression.
    Ridge(LinearModel),
    /// Lasso regression.
    Lasso(LinearModel),
    /// Elastic net regression.
    ElasticNet(LinearModel),
    /// A classification tree (one tree).
    DecisionTreeClassifier(TreeEnsemble),
    /// A regression tree (one tree).
    DecisionTreeRegressor(TreeEnsemble),
    /// A random forest of classification trees.
    RandomForestClassifier(TreeEnsemble),
    /// A random forest of regression trees.
    RandomForestRegressor(TreeEnsemble),
    /// k-nearest neighbours classifier.
    KnnClassifier(KnnModel),
    /// k-nearest neighbours regressor.
    KnnRegressor(KnnModel),
    /// Gaussian naive Bayes.
    GaussianNb(GaussianNbModel),
    /// Extremely randomized classification trees (bound from scikit-learn).
    ExtraTreesClassifier(TreeEnsemble),
    /// Extremely randomized regression trees (bound from scikit-learn).
    ExtraTreesRegressor(TreeEnsemble),
    /// Gradient-boosted trees, classifier (bound from scikit-learn).
    GradientBoostingClassifier(Boosted),
    /// Gradient-boosted trees, regressor (bound from scikit-learn).
    GradientBoostingRegressor(Boosted),
    /// Histogram gradient-boosted trees, classifier (bound from scikit-learn).
    HistGradientBoostingClassifier(Boosted),
    /// Histogram gradient-boosted trees, regressor (bound from scikit-learn).
    HistGradientBoostingRegressor(Boosted),
}

/// Logistic regression parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticModel {
    /// Number of features.
    pub n_features: usize,
    /// Number of classes (>= 2).
    pub n_classes: usize,
    /// Row-major coefficients: one row (the logit of class 1) for two classes, else one row per
    /// class; `n_features` values per row.
    pub coef: Vec<f64>,
    /// One intercept per coefficient row.
    pub intercept: Vec<f64>,
}

/// A linear regression: `coef · x + intercept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearModel {
    /// One coefficient per feature.
    pub coef: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
}

/// One or more binary trees. A tree's prediction is the value of the leaf a row reaches; the
/// ensemble's is the mean over trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeEnsemble {
    /// Number of features.
    pub n_features: usize,
    /// Number of classes for classifiers (values per node), 0 for regressors (1 value per node).
    pub n_classes: usize,
    /// The trees.
    pub trees: Vec<Tree>,
    /// Whether a value is rounded to f32 before it is compared with a threshold, as
    /// scikit-learn's trees do (they predict on `X.astype(float32)`); false for ours.
    #[serde(default, skip_serializing_if = "is_false")]
    pub f32_inputs: bool,
}

/// A list of f64 in JSON where an infinity is written `"inf"` or `"-inf"` (JSON has no
/// infinities; serde_json would write null). Finite lists are written as plain numbers, so
/// artifacts without infinities keep their bytes. NaN is not representable (refused).
mod floats_or_infinities {
    use serde::de::{self, SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            match *x {
                f64::INFINITY => seq.serialize_element("inf")?,
                f64::NEG_INFINITY => seq.serialize_element("-inf")?,
                x => seq.serialize_element(&x)?,
            }
        }
        seq.end()
    }

    struct Element(f64);

    impl<'de> serde::Deserialize<'de> for Element {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Element;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a number, \"inf\" or \"-inf\"")
                }
                fn visit_f64<E: de::Error>(self, x: f64) -> Result<Element, E> {
                    Ok(Element(x))
                }
                fn visit_i64<E: de::Error>(self, x: i64) -> Result<Element, E> {
                    Ok(Element(x as f64))
                }
                fn visit_u64<E: de::Error>(self, x: u64) -> Result<Element, E> {
                    Ok(Element(x as f64))
                }
                fn visit_str<E: de::Error>(self, x: &str) -> Result<Element, E> {
                    match x {
                        "inf" => Ok(Element(f64::INFINITY)),
                        "-inf" => Ok(Element(f64::NEG_INFINITY)),
                        _ => Err(E::invalid_value(de::Unexpected::Str(x), &self)),
                    }
                }
            }
            d.deserialize_any(V)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        struct Seq;
        impl<'de> Visitor<'de> for Seq {
            type Value = Vec<f64>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of numbers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Vec<f64>, A::Error> {
                // Never pre-sized from the input (see the module note on allocation).
                let mut v = Vec::new();
                while let Some(Element(x)) = a.next_element()? {
                    v.push(x);
                }
                Ok(v)
            }
        }
        d.deserialize_seq(Seq)
    }
}

pub(super) fn is_false(b: &bool) -> bool {
    !*b
}

/// A binary tree as parallel arrays over its nodes; node 0 is the root.
///
/// At an inner node, a row goes to `left` when `row[feature] <= threshold`, else to `right`; a
/// NaN goes to `left` where `missing_left` says so (scikit-learn's `missing_go_to_left`),
/// else right. Children always have larger indices than their parent, so 0 in `left` and
/// `right` marks a leaf (whose `feature` and `threshold` are 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// Split feature per node.
    pub feature: Vec<usize>,
    /// Split threshold per node; `"inf"` / `"-inf"` in JSON for infinities (scikit-learn
    /// puts +inf where a split only separates missing values).
    #[serde(with = "floats_or_infinities")]
    pub threshold: Vec<f64>,
    /// Child for `row[feature] <= threshold`, 0 for leaves.
    pub left: Vec<usize>,
    /// Child for `row[feature] > threshold`, 0 for leaves.
    pub right: Vec<usize>,
    /// Per node, row-major: the class fractions of the training samples in the node
    /// (classifiers), or the mean target (regressors).
    pub value: Vec<f64>,
    /// Per node, whether a NaN goes left (empty: NaN goes right everywhere, as in the
    /// trees mlops-lite trains).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_left: Vec<bool>,
}

/// k-nearest neighbours: the training points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnnModel {
    /// Number of features.
    pub n_features: usize,
    /// Number of classes for the classifier, 0 for the regressor.
    pub n_classes: usize,
    /// Number of neighbours.
    pub k: usize,
    /// How neighbours are weighed.
    pub weights: KnnWeights,
    /// Training points, row-major, `n_features` values each.
    pub points: Vec<f64>,
    /// Target per point: the class index (classifier) or value (regressor).
    pub targets: Vec<f64>,
}

/// Gaussian naive Bayes parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaussianNbModel {
    /// Number of features.
    pub n_features: usize,
    /// Prior probability of each class.
    pub priors: Vec<f64>,
    /// Per class, row-major: the mean of each feature.
    pub means: Vec<f64>,
    /// Per class, row-major: the variance of each feature (smoothed, > 0).
    pub variances: Vec<f64>,
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

/// How leaf class fractions of a random forest classifier were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeafCounts {
    /// Not a forest classifier.
    NotApplicable,
    /// From each tree's bootstrap sample, with multiplicities (reproduced and checked against
    /// every node's sample count).
    Bootstrap,
    /// From all training rows, weight 1 (the bootstrap could not be reproduced).
    AllRows,
}

/// Trains `spec` on `x` and `y`. `seed` drives every random choice (forests), so the same data
/// and seed give the same [`Fitted`], natively and in wasm32 (see the module notes).
pub fn fit(spec: &EstimatorSpec, x: Matrix<'_>, y: TargetData<'_>, seed: u64) -> Result<Fitted> {
    fit_inner(spec, x, y, seed).map(|(fitted, _)| fitted)
}

fn fit_inner(
    spec: &EstimatorSpec,
    x: Matrix<'_>,
    y: TargetData<'_>,
    seed: u64,
) -> Result<(Fitted, LeafCounts)> {
    spec.validate()?;
    let name = spec.class_name();
    check_matrix(name, &x)?;
    let mut leaf_counts = LeafCounts::NotApplicable;
    let fitted = match (spec.task(), y) {
        (Task::Classification, TargetData::Classes { y, n_classes }) => {
            check_classes(name, &x, y, n_classes)?;
            match *spec {
                EstimatorSpec::LogisticRegression { alpha } => {
                    fit_logistic(name, &x, y, n_classes, alpha)?
                }
                EstimatorSpec::DecisionTreeClassifier {
                    max_depth,
                    min_samples_leaf,
                    min_samples_split,
                } => {
                    let params = DecisionTreeClassifierParameters {
                        criterion: SplitCriterion::Gini,
                        max_depth: smartcore_depth(max_depth),
                        min_samples_leaf,
                        min_samples_split,
                        seed: Some(seed),
                    };
                    fit_tree_classifier(name, &x, y, n_classes, params)?
                }
                EstimatorSpec::RandomForestClassifier {
                    n_trees,
                    max_depth,
                    min_samples_leaf,
                    min_samples_split,
                } => {
                    let params = RandomForestClassifierParameters {
                        criterion: SplitCriterion::Gini,
                        max_depth: smartcore_depth(max_depth),
                        min_samples_leaf,
                        min_samples_split,
                        n_trees,
                        m: None,
                        keep_samples: false,
                        seed,
                    };
                    let (fitted, counts) = fit_forest_classifier(name, &x, y, n_classes, params)?;
                    leaf_counts = counts;
                    fitted
                }
                EstimatorSpec::KnnClassifier { k, weights } => {
                    check_k(name, k, x.rows)?;
                    Fitted::KnnClassifier(KnnModel {
                        n_features: x.cols,
                        n_classes,
                        k,
                        weights,
                        points: x.data.to_vec(),
                        targets: y.iter().map(|&c| f64::from(c)).collect(),
                    })
                }
                EstimatorSpec::GaussianNb {} => fit_gaussian_nb(&x, y, n_classes),
                _ => unreachable!("classification specs are handled above"),
            }
        }
        (Task::Regression, TargetData::Values(y)) => {
            check_values(name, &x, y)?;
            match *spec {
                EstimatorSpec::LinearRegression {} => fit_linear(name, &x, y)?,
                EstimatorSpec::Ridge { alpha } => fit_ridge(name, &x, y, alpha)?,
                EstimatorSpec::Lasso { alpha } => fit_lasso(name, &x, y, alpha)?,
                EstimatorSpec::ElasticNet { alpha, l1_ratio } => {
                    fit_elastic_net(name, &x, y, alpha, l1_ratio)?
                }
                EstimatorSpec::DecisionTreeRegressor {
                    max_depth,
                    min_samples_leaf,
                    min_samples_split,
                } => {
                    let params = DecisionTreeRegressorParameters {
                        max_depth: smartcore_depth(max_depth),
                        min_samples_leaf,
                        min_samples_split,
                        seed: Some(seed),
                    };
                    fit_tree_regressor(name, &x, y, params)?
                }
                EstimatorSpec::RandomForestRegressor {
                    n_trees,
                    max_depth,
                    min_samples_leaf,
                    min_samples_split,
                } => {
                    let params = RandomForestRegressorParameters {
                        max_depth: smartcore_depth(max_depth),
                        min_samples_leaf,
                        min_samples_split,
                        n_trees: usize::from(n_trees),
                        m: None,
                        keep_samples: false,
                        seed,
                    };
                    fit_forest_regressor(name, &x, y, params)?
                }
                EstimatorSpec::KnnRegressor { k, weights } => {
                    check_k(name, k, x.rows)?;
                    Fitted::KnnRegressor(KnnModel {
                        n_features: x.cols,
                        n_classes: 0,
                        k,
                        weights,
                        points: x.data.to_vec(),
                        targets: y.to_vec(),
                    })
                }
                _ => unreachable!("regression specs are handled above"),
            }
        }
        (Task::Classification, TargetData::Values(_)) => {
            return Err(invalid(format!(
                "{name} is a classifier but the target is numeric values; \
                 use a regressor or a class target"
            )))
        }
        (Task::Regression, TargetData::Classes { .. }) => {
            return Err(invalid(format!(
                "{name} is a regressor but the target is classes; \
                 use a classifier or a numeric target"
            )))
        }
    };
    fitted.validate().map_err(|e| {
        invalid(format!(
            "{name} could not be trained on this data: the result is unusable ({e}); \
             check the data for extreme values or collinear columns, or change the \
             hyper-parameters"
        ))
    })?;
    Ok((fitted, leaf_counts))
}

/// Our `max_depth` (splits) to smartcore's (levels of nodes).
fn smartcore_depth(max_depth: Option<u16>) -> Option<u16> {
    max_depth.map(|d| d.saturating_add(1))
}

fn check_matrix(name: &str, x: &Matrix<'_>) -> Result<()> {
    if x.rows == 0 {
        return Err(invalid(format!(
            "{name} cannot be trained on no rows; the training data is empty"
        )));
    }
    if x.cols == 0 {
        return Err(invalid(format!(
            "{name} needs at least one feature column; the training data has none"
        )));
    }
    if x.rows.checked_mul(x.cols) != Some(x.data.len()) {
        return Err(invalid(format!(
            "the training matrix is said to be {} x {} but has {} values",
            x.rows,
            x.cols,
            x.data.len()
        )));
    }
    if let Some(i) = x.data.iter().position(|v| !v.is_finite()) {
        return Err(invalid(format!(
            "the training data has a non-finite value ({}) at row {}, column {}; \
             impute or drop missing and infinite values before training {name}",
            x.data[i],
            i / x.cols + 1,
            i % x.cols + 1
        )));
    }
    Ok(())
}

fn check_classes(name: &str, x: &Matrix<'_>, y: &[u32], n_classes: usize) -> Result<()> {
    if y.len() != x.rows {
        return Err(invalid(format!(
            "the target has {} values but the training data has {} rows",
            y.len(),
            x.rows
        )));
    }
    let mut counts = vec![0usize; n_classes];
    for (row, &c) in y.iter().enumerate() {
        match counts.get_mut(c as usize) {
            Some(count) => *count += 1,
            None => {
                return Err(invalid(format!(
                    "the target has class index {c} at row {}, but there are only {n_classes} \
                     classes",
                    row + 1
                )))
            }
        }
    }
    let present: Vec<usize> = (0..n_classes).filter(|&c| counts[c] > 0).collect();
    if present.len() < 2 {
        return Err(invalid(format!(
            "the target has only one class (class index {}); a classifier needs at least two \
             ({name} cannot be trained)",
            present.first().copied().unwrap_or(0)
        )));
    }
    if let Some(missing) = (0..n_classes).find(|&c| counts[c] == 0) {
        return Err(invalid(format!(
            "class index {missing} of {n_classes} has no training rows; every class must occur \
             in the data {name} is trained on"
        )));
    }
    Ok(())
}

fn check_values(name: &str, x: &Matrix<'_>, y: &[f64]) -> Result<()> {
    if y.len() != x.rows {
        return Err(invalid(format!(
            "the target has {} values but the training data has {} rows",
            y.len(),
            x.rows
        )));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(invalid(format!(
            "the target has a non-finite value ({}) at row {}; drop those rows before \
             training {name}",
            y[i],
            i + 1
        )));
    }
    Ok(())
}

fn check_k(name: &str, k: usize, rows: usize) -> Result<()> {
    if k > rows {
        return Err(invalid(format!(
            "{name}: k = {k} is larger than the training set ({rows} rows); choose k <= {rows}"
        )));
    }
    Ok(())
}

fn dense(data: Vec<f64>, rows: usize, cols: usize) -> Result<DenseMatrix<f64>> {
    DenseMatrix::new(rows, cols, data, false)
        .map_err(|e| invalid(format!("could not build the training matrix: {e}")))
}

fn smartcore_error(name: &'static str) -> impl Fn(Failed) -> Error {
    move |e| {
        invalid(format!(
            "{name} could not be trained: smartcore reports \"{e}\"; check the data \
             (enough rows, no constant or duplicate columns) or the hyper-parameters"
        ))
    }
}

fn model_layout_error(name: &str, what: impl std::fmt::Display) -> Error {
    invalid(format!(
        "{name}: the fitted smartcore model does not have the expected layout ({what}); \
         this build of mlops-lite does not match its smartcore version"
    ))
}

/// Values of a smartcore `(n, 1)` or `(1, n)` matrix as a vector of length `n`.
fn column_values(name: &str, m: &DenseMatrix<f64>, n: usize) -> Result<Vec<f64>> {
    let (r, c) = m.shape();
    if r * c != n || (r != 1 && c != 1) {
        return Err(model_layout_error(
            name,
            format!("a {r} x {c} coefficient matrix for {n} values"),
        ));
    }
    Ok((0..n)
        .map(|i| {
            if c == 1 {
                *m.get((i, 0))
            } else {
                *m.get((0, i))
            }
        })
        .collect())
}

fn fit_logistic(
    name: &'static str,
    x: &Matrix<'_>,
    y: &[u32],
    n_classes: usize,
    alpha: f64,
) -> Result<Fitted> {
    let xm = dense(x.data.to_vec(), x.rows, x.cols)?;
    let yv = y.to_vec();
    let params = LogisticRegressionParameters::default().with_alpha(alpha);
    let model = LogisticRegression::<f64, u32, DenseMatrix<f64>, Vec<u32>>::fit(&xm, &yv, params)
        .map_err(smartcore_error(name))?;
    // smartcore: two classes -> a 1 x p coefficient row (the logit of the larger class) and a
    // 1 x 1 intercept; more -> k x p and k x 1, rows in sorted class order. Every class occurs,
    // so smartcore's sorted classes are 0..k.
    if model.classes().iter().copied().ne(0..n_classes as u32) {
        return Err(model_layout_error(name, "classes are not 0..n_classes"));
    }
    let rows = if n_classes == 2 { 1 } else { n_classes };
    let coefficients = model.coefficients();
    let intercepts = model.intercept();
    if coefficients.shape() != (rows, x.cols) || intercepts.shape() != (rows, 1) {
        return Err(model_layout_error(
            name,
            format!(
                "coefficients {:?} and intercept {:?} for {n_classes} classes",
                coefficients.shape(),
                intercepts.shape()
            ),
        ));
    }
    let mut coef = Vec::with_capacity(rows * x.cols);
    for r in 0..rows {
        coef.extend((0..x.cols).map(|c| *coefficients.get((r, c))));
    }
    let intercept = (0..rows).map(|r| *intercepts.get((r, 0))).collect();
    Ok(Fitted::LogisticRegression(LogisticModel {
        n_features: x.cols,
        n_classes,
        coef,
        intercept,
    }))
}

fn fit_linear(name: &'static str, x: &Matrix<'_>, y: &[f64]) -> Result<Fitted> {
    let xm = dense(x.data.to_vec(), x.rows, x.cols)?;
    let yv = y.to_vec();
    let model = LinearRegression::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(
        &xm,
        &yv,
        LinearRegressionParameters::default(),
    )
    .map_err(smartcore_error(name))?;
    Ok(Fitted::LinearRegression(LinearModel {
        coef: column_values(name, model.coefficients(), x.cols)?,
        intercept: *model.intercept(),
    }))
}

/// X and y centred column by column, with the means: the penalised models are fitted on
/// centred data, so the intercept is not penalised (as in scikit-learn). Constant columns are
/// left out of `x` (their coefficient is 0 at the optimum, and smartcore's interior-point
/// solver does not converge with an all-zero column).
struct Centered {
    /// Centred values of the `kept` columns, row-major.
    x: Vec<f64>,
    /// Indices of the non-constant columns.
    kept: Vec<usize>,
    y: Vec<f64>,
    x_mean: Vec<f64>,
    y_mean: f64,
}

fn center(x: &Matrix<'_>, y: &[f64]) -> Centered {
    let n = x.rows as f64;
    let mut x_mean = vec![0.0; x.cols];
    for r in 0..x.rows {
        for (m, v) in x_mean.iter_mut().zip(x.row(r)) {
            *m += v;
        }
    }
    for m in &mut x_mean {
        *m /= n;
    }
    let first = x.row(0);
    let kept: Vec<usize> = (0..x.cols)
        .filter(|&j| (1..x.rows).any(|r| x.row(r)[j] != first[j]))
        .collect();
    let y_mean = y.iter().sum::<f64>() / n;
    let mut xc = Vec::with_capacity(x.rows * kept.len());
    for r in 0..x.rows {
        let row = x.row(r);
        xc.extend(kept.iter().map(|&j| row[j] - x_mean[j]));
    }
    Centered {
        x: xc,
        kept,
        y: y.iter().map(|v| v - y_mean).collect(),
        x_mean,
        y_mean,
    }
}

/// Fits a penalised linear model on the centred, non-constant columns with `solve` (which gets
/// the centred matrix and target and returns one coefficient per kept column), and puts the
/// intercept back: `y_mean - coef · x_mean`.
fn fit_centered(
    name: &'static str,
    x: &Matrix<'_>,
    y: &[f64],
    solve: impl FnOnce(&DenseMatrix<f64>, &Vec<f64>) -> Result<Vec<f64>>,
) -> Result<LinearModel> {
    let c = center(x, y);
    let mut coef = vec![0.0; x.cols];
    if !c.kept.is_empty() {
        let xm = dense(c.x, x.rows, c.kept.len())?;
        let kept_coef = solve(&xm, &c.y)?;
        if kept_coef.len() != c.kept.len() {
            return Err(model_layout_error(name, "coefficients"));
        }
        for (&j, w) in c.kept.iter().zip(kept_coef) {
            coef[j] = w;
        }
    }
    let mut shift = 0.0;
    for (w, m) in coef.iter().zip(&c.x_mean) {
        shift += w * m;
    }
    Ok(LinearModel {
        intercept: c.y_mean - shift,
        coef,
    })
}

fn fit_ridge(name: &'static str, x: &Matrix<'_>, y: &[f64], alpha: f64) -> Result<Fitted> {
    let model = fit_centered(name, x, y, |xm, yc| {
        let params = RidgeRegressionParameters::default()
            .with_alpha(alpha)
            .with_normalize(false);
        let model = RidgeRegression::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(xm, yc, params)
            .map_err(smartcore_error(name))?;
        column_values(name, model.coefficients(), xm.shape().1)
    })?;
    Ok(Fitted::Ridge(model))
}

fn fit_lasso(name: &'static str, x: &Matrix<'_>, y: &[f64], alpha: f64) -> Result<Fitted> {
    let model = fit_centered(name, x, y, |xm, yc| {
        // smartcore minimises |y - Xw|² + (alpha_s·n)|w|₁, scikit-learn
        // 1/(2n)|y - Xw|² + alpha|w|₁: alpha_s = 2·alpha.
        let params = LassoParameters::default()
            .with_alpha(2.0 * alpha)
            .with_normalize(false)
            .with_fit_intercept(false);
        let model = Lasso::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(xm, yc, params)
            .map_err(|e| zero_l1_hint(smartcore_error(name)(e), alpha))?;
        column_values(name, model.coefficients(), xm.shape().1)
    })?;
    Ok(Fitted::Lasso(model))
}

/// smartcore's interior-point solver is unreliable without an L1 penalty: say so.
fn zero_l1_hint(error: Error, l1_penalty: f64) -> Error {
    if l1_penalty > 0.0 {
        return error;
    }
    invalid(format!(
        "{error}. The L1 penalty is 0 (alpha or l1_ratio), where smartcore's lasso solver often \
         fails: use ridge or linear_regression instead"
    ))
}

fn fit_elastic_net(
    name: &'static str,
    x: &Matrix<'_>,
    y: &[f64],
    alpha: f64,
    l1_ratio: f64,
) -> Result<Fitted> {
    let model = fit_centered(name, x, y, |xm, yc| {
        // smartcore minimises |y - Xw|² + n·a·r·|w|₁ + n·a·(1 - r)·|w|² (it returns the "naive"
        // elastic net). Matching scikit-learn's objective (see EstimatorSpec) needs
        // a = alpha·(1 + l1_ratio) and r = 2·l1_ratio / (1 + l1_ratio).
        let params = ElasticNetParameters::default()
            .with_alpha(alpha * (1.0 + l1_ratio))
            .with_l1_ratio(2.0 * l1_ratio / (1.0 + l1_ratio))
            .with_normalize(false);
        let model = ElasticNet::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(xm, yc, params)
            .map_err(|e| zero_l1_hint(smartcore_error(name)(e), alpha * l1_ratio))?;
        column_values(name, model.coefficients(), xm.shape().1)
    })?;
    Ok(Fitted::ElasticNet(model))
}

fn fit_gaussian_nb(x: &Matrix<'_>, y: &[u32], n_classes: usize) -> Fitted {
    let p = x.cols;
    let mut counts = vec![0usize; n_classes];
    let mut means = vec![0.0; n_classes * p];
    for (r, &c) in y.iter().enumerate() {
        let c = c as usize;
        counts[c] += 1;
        for (m, v) in means[c * p..(c + 1) * p].iter_mut().zip(x.row(r)) {
            *m += v;
        }
    }
    for c in 0..n_classes {
        let n = counts[c] as f64;
        for m in &mut means[c * p..(c + 1) * p] {
            *m /= n;
        }
    }
    // Two-pass variances, then scikit-learn's smoothing: 1e-9 times the largest variance of a
    // feature over all rows (1e-9 itself if every feature is constant).
    let mut variances = vec![0.0; n_classes * p];
    for (r, &c) in y.iter().enumerate() {
        let c = c as usize;
        let row = x.row(r);
        for j in 0..p {
            let d = row[j] - means[c * p + j];
            variances[c * p + j] += d * d;
        }
    }
    for c in 0..n_classes {
        let n = counts[c] as f64;
        for v in &mut variances[c * p..(c + 1) * p] {
            *v /= n;
        }
    }
    let n = x.rows as f64;
    let mut largest = 0.0f64;
    for j in 0..p {
        let mean = (0..x.rows).map(|r| x.data[r * p + j]).sum::<f64>() / n;
        let var = (0..x.rows)
            .map(|r| {
                let d = x.data[r * p + j] - mean;
                d * d
            })
            .sum::<f64>()
            / n;
        largest = largest.max(var);
    }
    let epsilon = if largest > 0.0 {
        NB_VAR_SMOOTHING * largest
    } else {
        NB_VAR_SMOOTHING
    };
    for v in &mut variances {
        *v += epsilon;
    }
    Fitted::GaussianNb(GaussianNbModel {
        n_features: p,
        priors: counts.iter().map(|&c| c as f64 / n).collect(),
        means,
        variances,
    })
}

// --- trees ------------------------------------------------------------------------------------
//
// smartcore's tree nodes are private, but the models derive Serialize: we serialize them to JSON
// and read the node fields back into the structs below (unknown fields are ignored).

#[derive(Deserialize)]
struct ScClassifierNode {
    n_node_samples: usize,
    split_feature: usize,
    split_value: Option<f64>,
    true_child: Option<usize>,
    false_child: Option<usize>,
}

#[derive(Deserialize)]
struct ScClassifierTree {
    nodes: Vec<ScClassifierNode>,
}

#[derive(Deserialize)]
struct ScClassifierForest {
    trees: Option<Vec<ScClassifierTree>>,
}

#[derive(Deserialize)]
struct ScRegressorNode {
    output: f64,
    split_feature: usize,
    split_value: Option<f64>,
    true_child: Option<usize>,
    false_child: Option<usize>,
}

#[derive(Deserialize)]
struct ScRegressorTree {
    nodes: Vec<ScRegressorNode>,
}

#[derive(Deserialize)]
struct ScTreeRegressor {
    tree_regressor: Option<ScRegressorTree>,
}

#[derive(Deserialize)]
struct ScBaseForest {
    trees: Option<Vec<ScRegressorTree>>,
}

#[derive(Deserialize)]
struct ScForestRegressor {
    forest_regressor: Option<ScBaseForest>,
}

/// Reads the node fields of a serialized smartcore model.
fn read_smartcore<M: Serialize, T: for<'de> Deserialize<'de>>(name: &str, model: &M) -> Result<T> {
    let bytes = serde_json::to_vec(model).map_err(|e| model_layout_error(name, format!("{e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| model_layout_error(name, format!("{e}")))
}

/// The structure of a tree (values zero), from smartcore's node fields.
fn tree_structure(
    name: &str,
    nodes: impl ExactSizeIterator<Item = (usize, Option<f64>, Option<usize>, Option<usize>)>,
    n_features: usize,
    n_outputs: usize,
) -> Result<Tree> {
    let n = nodes.len();
    if n == 0 {
        return Err(model_layout_error(name, "a tree without nodes"));
    }
    let mut tree = Tree {
        feature: Vec::with_capacity(n),
        threshold: Vec::with_capacity(n),
        left: Vec::with_capacity(n),
        right: Vec::with_capacity(n),
        value: vec![0.0; n * n_outputs],
        missing_left: Vec::new(),
    };
    for (i, (feature, split_value, true_child, false_child)) in nodes.enumerate() {
        match (true_child, false_child, split_value) {
            (None, _, _) => {
                tree.feature.push(0);
                tree.threshold.push(0.0);
                tree.left.push(0);
                tree.right.push(0);
            }
            (Some(t), Some(f), Some(threshold))
                if t > i && f > i && t < n && f < n && feature < n_features =>
            {
                tree.feature.push(feature);
                tree.threshold.push(threshold);
                tree.left.push(t);
                tree.right.push(f);
            }
            _ => return Err(model_layout_error(name, format!("node {i} is malformed"))),
        }
    }
    Ok(tree)
}

/// The leaf `row` reaches; `f32_inputs` rounds each value to f32 before comparing it (see
/// [`TreeEnsemble::f32_inputs`]).
pub(super) fn tree_leaf_with(tree: &Tree, row: &[f64], f32_inputs: bool) -> usize {
    if tree.missing_left.is_empty() && !f32_inputs {
        return tree_leaf(tree, row);
    }
    let mut i = 0;
    loop {
        let left = tree.left[i];
        if left == 0 {
            return i;
        }
        let mut x = row[tree.feature[i]];
        if f32_inputs {
            x = x as f32 as f64;
        }
        i = if x <= tree.threshold[i]
            || (x.is_nan() && <[bool]>::get(&tree.missing_left, i) == Some(&true))
        {
            left
        } else {
            tree.right[i]
        };
    }
}

fn tree_leaf(tree: &Tree, row: &[f64]) -> usize {
    let mut i = 0;
    loop {
        let left = tree.left[i];
        if left == 0 {
            return i;
        }
        i = if row[tree.feature[i]] <= tree.threshold[i] {
            left
        } else {
            tree.right[i]
        };
    }
}

/// Fills a classifier tree's node values with the class fractions of the training rows (each
/// counted `weights[row]` times) that pass through the node; returns the weighted count per
/// node. A node no row reaches takes its parent's fractions.
fn fill_class_fractions(
    tree: &mut Tree,
    x: &Matrix<'_>,
    y: &[u32],
    n_classes: usize,
    weights: &[u32],
) -> Vec<usize> {
    let n = tree.left.len();
    let mut counts = vec![0.0f64; n * n_classes];
    let mut totals = vec![0usize; n];
    for (r, (&c, &w)) in y.iter().zip(weights).enumerate() {
        if w == 0 {
            continue;
        }
        let row = x.row(r);
        let mut i = 0;
        loop {
            counts[i * n_classes + c as usize] += f64::from(w);
            totals[i] += w as usize;
            let left = tree.left[i];
            if left == 0 {
                break;
            }
            i = if row[tree.feature[i]] <= tree.threshold[i] {
                left
            } else {
                tree.right[i]
            };
        }
    }
    let mut parent = vec![0usize; n];
    for i in 0..n {
        if tree.left[i] != 0 {
            parent[tree.left[i]] = i;
            parent[tree.right[i]] = i;
        }
    }
    for i in 0..n {
        let (done, rest) = tree.value.split_at_mut(i * n_classes);
        let value = &mut rest[..n_classes];
        if totals[i] > 0 {
            let total = totals[i] as f64;
            for (v, count) in value.iter_mut().zip(&counts[i * n_classes..]) {
                *v = count / total;
            }
        } else if i > 0 {
            let p = parent[i];
            value.copy_from_slice(&done[p * n_classes..(p + 1) * n_classes]);
        } else {
            value.fill(1.0 / n_classes as f64);
        }
    }
    totals
}

fn classifier_tree_structure(
    name: &str,
    tree: &ScClassifierTree,
    n_features: usize,
    n_classes: usize,
) -> Result<Tree> {
    tree_structure(
        name,
        tree.nodes.iter().map(|node| {
            (
                node.split_feature,
                node.split_value,
                node.true_child,
                node.false_child,
            )
        }),
        n_features,
        n_classes,
    )
}

fn fit_tree_classifier(
    name: &'static str,
    x: &Matrix<'_>,
    y: &[u32],
    n_classes: usize,
    params: DecisionTreeClassifierParameters,
) -> Result<Fitted> {
    let xm = dense(x.data.to_vec(), x.rows, x.cols)?;
    let yv = y.to_vec();
    let model =
        DecisionTreeClassifier::<f64, u32, DenseMatrix<f64>, Vec<u32>>::fit(&xm, &yv, params)
            .map_err(smartcore_error(name))?;
    let sc: ScClassifierTree = read_smartcore(name, &model)?;
    drop(model);
    let mut tree = classifier_tree_structure(name, &sc, x.cols, n_classes)?;
    let totals = fill_class_fractions(&mut tree, x, y, n_classes, &vec![1; x.rows]);
    if totals
        .iter()
        .zip(&sc.nodes)
        .any(|(&t, node)| t != node.n_node_samples)
    {
        return Err(model_layout_error(
            name,
            "routing the training rows does not reproduce the node sample counts",
        ));
    }
    Ok(Fitted::DecisionTreeClassifier(TreeEnsemble {
        n_features: x.cols,
        n_classes,
        trees: vec![tree],
        f32_inputs: false,
    }))
}

/// The bootstrap sample counts smartcore 0.7's random forest classifier draws for each tree:
/// one RNG seeded with `seed`; per tree, per class in sorted order, as many draws with
/// replacement among the rows of that class as the class has rows.
fn smartcore_bootstrap(y: &[u32], n_classes: usize, seed: u64, n_trees: usize) -> Vec<Vec<u32>> {
    use rand::{RngExt, SeedableRng};
    // smartcore's `SmallRng`, named by its algorithm: the same on every platform (rand is
    // patched so that smartcore's is too: src/vendor/README.md).
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (row, &c) in y.iter().enumerate() {
        members[c as usize].push(row);
    }
    (0..n_trees)
        .map(|_| {
            let mut counts = vec![0u32; y.len()];
            for rows in &members {
                for _ in 0..rows.len() {
                    let pick: usize = rng.random_range(0..rows.len());
                    counts[rows[pick]] += 1;
                }
            }
            counts
        })
        .collect()
}

fn fit_forest_classifier(
    name: &'static str,
    x: &Matrix<'_>,
    y: &[u32],
    n_classes: usize,
    params: RandomForestClassifierParameters,
) -> Result<(Fitted, LeafCounts)> {
    let (seed, n_trees) = (params.seed, usize::from(params.n_trees));
    let xm = dense(x.data.to_vec(), x.rows, x.cols)?;
    let yv = y.to_vec();
    let model =
        RandomForestClassifier::<f64, u32, DenseMatrix<f64>, Vec<u32>>::fit(&xm, &yv, params)
            .map_err(smartcore_error(name))?;
    let sc: ScClassifierForest = read_smartcore(name, &model)?;
    drop(model);
    let sc_trees = sc
        .trees
        .ok_or_else(|| model_layout_error(name, "no trees"))?;
    if sc_trees.len() != n_trees {
        return Err(model_layout_error(
            name,
            format!("{} trees instead of {n_trees}", sc_trees.len()),
        ));
    }
    let mut trees = Vec::with_capacity(n_trees);
    for sc_tree in &sc_trees {
        trees.push(classifier_tree_structure(name, sc_tree, x.cols, n_classes)?);
    }
    // Leaf fractions over each tree's bootstrap sample (with multiplicities), as scikit-learn.
    // smartcore does not keep the counts; we redraw them and accept them only if they give every
    // node of every tree exactly smartcore's sample count. Otherwise: all training rows.
    let bootstrap = smartcore_bootstrap(y, n_classes, seed, n_trees);
    let mut reproduced = true;
    for ((tree, sc_tree), counts) in trees.iter_mut().zip(&sc_trees).zip(&bootstrap) {
        let totals = fill_class_fractions(tree, x, y, n_classes, counts);
        if totals
            .iter()
            .zip(&sc_tree.nodes)
            .any(|(&t, node)| t != node.n_node_samples)
        {
            reproduced = false;
            break;
        }
    }
    if !reproduced {
        let ones = vec![1; x.rows];
        for tree in &mut trees {
            fill_class_fractions(tree, x, y, n_classes, &ones);
        }
    }
    let fitted = Fitted::RandomForestClassifier(TreeEnsemble {
        n_features: x.cols,
        n_classes,
        trees,
        f32_inputs: false,
    });
    let counts = if reproduced {
        LeafCounts::Bootstrap
    } else {
        LeafCounts::AllRows
    };
    Ok((fitted, counts))
}

fn regressor_tree(name: &str, sc: &ScRegressorTree, n_features: usize) -> Result<Tree> {
    let mut tree = tree_structure(
        name,
        sc.nodes.iter().map(|node| {
            (
                node.split_feature,
                node.split_value,
                node.true_child,
                node.false_child,
            )
        }),
        n_features,
        1,
    )?;
    // smartcore's node output is the (bootstrap-weighted) mean target of the node.
    for (v, node) in tree.value.iter_mut().zip(&sc.nodes) {
        *v = node.output;
    }
    Ok(tree)
}

fn fit_tree_regressor(
    name: &'static str,
    x: &Matrix<'_>,
    y: &[f64],
    params: DecisionTreeRegressorParameters,
) -> Result<Fitted> {
    let xm = dense(x.data.to_vec(), x.rows, x.cols)?;
    let yv = y.to_vec();
    let model =
        DecisionTreeRegressor::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(&xm, &yv, params)
            .map_err(smartcore_error(name))?;
    let sc: ScTreeRegressor = read_smartcore(name, &model)?;
    let sc_tree = sc
        .tree_regressor
        .ok_or_else(|| model_layout_error(name, "no tree"))?;
    Ok(Fitted::DecisionTreeRegressor(TreeEnsemble {
        n_features: x.cols,
        n_classes: 0,
        trees: vec![regressor_tree(name, &sc_tree, x.cols)?],
        f32_inputs: false,
    }))
}

fn fit_forest_regressor(
    name: &'static str,
    x: &Matrix<'_>,
    y: &[f64],
    params: RandomForestRegressorParameters,
) -> Result<Fitted> {
    let n_trees = params.n_trees;
    let xm = dense(x.data.to_vec(), x.rows, x.cols)?;
    let yv = y.to_vec();
    let model =
        RandomForestRegressor::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(&xm, &yv, params)
            .map_err(smartcore_error(name))?;
    let sc: ScForestRegressor = read_smartcore(name, &model)?;
    drop(model);
    let sc_trees = sc
        .forest_regressor
        .and_then(|forest| forest.trees)
        .ok_or_else(|| model_layout_error(name, "no trees"))?;
    if sc_trees.len() != n_trees {
        return Err(model_layout_error(
            name,
            format!("{} trees instead of {n_trees}", sc_trees.len()),
        ));
    }
    let trees = sc_trees
        .iter()
        .map(|t| regressor_tree(name, t, x.cols))
        .collect::<Result<Vec<_>>>()?;
    Ok(Fitted::RandomForestRegressor(TreeEnsemble {
        n_features: x.cols,
        n_classes: 0,
        trees,
        f32_inputs: false,
    }))
}

// ---------------------------------------------------------------------------------------------
// Inference
// ---------------------------------------------------------------------------------------------

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (x, y) in a.iter().zip(b) {
        sum += x * y;
    }
    sum
}

/// Buffers of the estimators' code over a chunk of records in columns, reused from chunk to
/// chunk (and from call to call: `preprocess::Scratch` holds one).
#[derive(Debug, Default)]
pub(crate) struct ChunkWork {
    /// Logits by class (`logits[c * m + i]`).
    logits: Vec<f64>,
    /// The softmax's buffers; the binary logistic keeps its two probabilities in
    /// `max` and `sum`, estimators run record by record one record's features in `row`.
    softmax: kernels::SoftmaxWork,
}

impl LogisticModel {
    #[inline]
    fn proba_into(&self, row: &[f64], out: &mut [f64]) {
        let p = self.n_features;
        if self.n_classes == 2 {
            let z = dot(&self.coef[..p], row) + self.intercept[0];
            (out[0], out[1]) = binary_proba(z);
            return;
        }
        for ((o, w), b) in out
            .iter_mut()
            .zip(self.coef.chunks_exact(p))
            .zip(&self.intercept)
        {
            *o = dot(w, row) + b;
        }
        softmax_in_place(out);
    }

    /// [`LogisticModel::proba_into`] of `m` records in columns (`x[j * m + i]`) into `out`
    /// (by record), the same bits record by record.
    fn proba_columns(
        &self,
        x: &[f64],
        m: usize,
        work: &mut ChunkWork,
        out: &mut [f64],
        labels: &mut [u32],
    ) {
        let p = self.n_features;
        let k = self.n_classes;
        let mut z = std::mem::take(&mut work.logits);
        z.clear();
        z.resize(if k == 2 { m } else { k * m }, 0.0);
        if k == 2 {
            dot_columns(&self.coef[..p], x, self.intercept[0], &mut z);
            let (p0, p1) = (&mut work.softmax.max, &mut work.softmax.sum);
            p0.clear();
            p0.extend(z.iter().map(|z| binary_exp_arg(*z)));
            math::exp_in_place(p0);
            p1.clear();
            p1.resize(m, 0.0);
            for ((z, a), b) in z.iter().zip(p0.iter_mut()).zip(p1.iter_mut()) {
                (*a, *b) = binary_from_exp(*z, *a);
            }
            for (((o, a), b), l) in out
                .chunks_exact_mut(2)
                .zip(p0.iter())
                .zip(p1.iter())
                .zip(labels.iter_mut())
            {
                (o[0], o[1]) = (*a, *b);
                // metrics::argmax of the two.
                *l = (*b > *a) as u32;
            }
        } else {
            for ((zc, w), b) in z
                .chunks_exact_mut(m)
                .zip(self.coef.chunks_exact(p))
                .zip(&self.intercept)
            {
                dot_columns(w, x, *b, zc);
            }
            kernels::softmax_columns(&mut z, m, &mut work.softmax, out, labels);
        }
        work.logits = z;
    }
}

/// The two probabilities of a binary logistic model with logit `z`, from one exponential,
/// each accurate in its own tail. No branch on `z` (a select), so a loop of it vectorises.
#[inline(always)]
pub(super) fn binary_proba(z: f64) -> (f64, f64) {
    binary_from_exp(z, math::exp(binary_exp_arg(z)))
}

/// -|z| (a NaN stays as it is): the argument of [`binary_proba`]'s exponential.
#[inline(always)]
fn binary_exp_arg(z: f64) -> f64 {
    if z >= 0.0 {
        -z
    } else {
        z
    }
}

/// [`binary_proba`] from its exponential `e`.
#[inline(always)]
fn binary_from_exp(z: f64, e: f64) -> (f64, f64) {
    let small = e / (1.0 + e);
    let large = 1.0 / (1.0 + e);
    if z >= 0.0 {
        (small, large)
    } else {
        (large, small)
    }
}

impl LinearModel {
    #[inline]
    fn value(&self, row: &[f64]) -> f64 {
        dot(&self.coef, row) + self.intercept
    }
}

impl TreeEnsemble {
    fn proba_into(&self, row: &[f64], out: &mut [f64]) {
        let k = self.n_classes;
        out.fill(0.0);
        for tree in &self.trees {
            let leaf = tree_leaf_with(tree, row, self.f32_inputs);
            for (o, v) in out.iter_mut().zip(&tree.value[leaf * k..(leaf + 1) * k]) {
                *o += v;
            }
        }
        if self.trees.len() > 1 {
            let n = self.trees.len() as f64;
            for o in out.iter_mut() {
                *o /= n;
            }
        }
    }

    fn value(&self, row: &[f64]) -> f64 {
        let mut sum = 0.0;
        for tree in &self.trees {
            sum += tree.value[tree_leaf_with(tree, row, self.f32_inputs)];
        }
        sum / self.trees.len() as f64
    }
}

/// A candidate neighbour: squared distance (never NaN) and point index, ordered by distance
/// then index, so the nearest-first order is total and ties go to the lower index.
#[derive(Debug, Clone, Copy)]
struct Near(f64, usize);

impl PartialEq for Near {
    fn eq(&self, other: &Near) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Near {}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Near) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Near {
    fn cmp(&self, other: &Near) -> std::cmp::Ordering {
        #[cfg(test)]
        KNN_COMPARISONS.with(|c| c.set(c.get() + 1));
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

#[cfg(test)]
thread_local! {
    /// Comparisons made by k-nearest-neighbour selection on this thread (tests count work).
    static KNN_COMPARISONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The `k` smallest candidates in increasing order, from `candidates` given in increasing
/// index order: a max-heap of the best `k` seen so far (its root the worst of them), so each
/// candidate costs one comparison with the root, plus O(log k) when it replaces it. Total
/// O(n log k) for n candidates, then O(k log k) to sort the `k` found. The result is the
/// same as a stable sort of all candidates by distance cut to `k`.
fn k_smallest(k: usize, candidates: impl ExactSizeIterator<Item = Near>) -> Vec<Near> {
    // Never more room than candidates, whatever `k` claims.
    let mut heap = std::collections::BinaryHeap::with_capacity(k.min(candidates.len()));
    for c in candidates {
        if heap.len() < k {
            heap.push(c);
        } else if let Some(mut worst) = heap.peek_mut() {
            if c < *worst {
                *worst = c;
            }
        }
    }
    heap.into_sorted_vec()
}

impl KnnModel {
    /// The k nearest points as (weight, index), nearest first; ties go to the lower index.
    /// Cost: O(n · n_features) for the distances and O(n log k) to select (n points); `k`
    /// is at most n ([`Fitted::validate`]), so the list is bounded by the artifact.
    fn neighbours(&self, row: &[f64]) -> Vec<(f64, usize)> {
        let distances = self
            .points
            .chunks_exact(self.n_features)
            .enumerate()
            .map(|(i, point)| {
                let mut d2 = 0.0;
                for (a, b) in point.iter().zip(row) {
                    let d = a - b;
                    d2 += d * d;
                }
                if d2.is_nan() {
                    d2 = f64::INFINITY;
                }
                Near(d2, i)
            });
        let mut best: Vec<(f64, usize)> = k_smallest(self.k, distances)
            .into_iter()
            .map(|Near(d2, i)| (d2, i))
            .collect();
        match self.weights {
            KnnWeights::Uniform => {
                for b in &mut best {
                    b.0 = 1.0;
                }
            }
            KnnWeights::Distance => {
                if best.iter().any(|b| b.0 == 0.0) {
                    for b in &mut best {
                        b.0 = if b.0 == 0.0 { 1.0 } else { 0.0 };
                    }
                } else {
                    for b in &mut best {
                        b.0 = 1.0 / libm::sqrt(b.0);
                    }
                    let total: f64 = best.iter().map(|b| b.0).sum();
                    if !(total > 0.0 && total.is_finite()) {
                        for b in &mut best {
                            b.0 = 1.0;
                        }
                    }
                }
            }
        }
        best
    }

    fn proba_into(&self, row: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        let mut total = 0.0;
        for (w, i) in self.neighbours(row) {
            out[self.targets[i] as usize] += w;
            total += w;
        }
        for o in out.iter_mut() {
            *o /= total;
        }
    }

    fn value(&self, row: &[f64]) -> f64 {
        let (mut sum, mut total) = (0.0, 0.0);
        for (w, i) in self.neighbours(row) {
            sum += w * self.targets[i];
            total += w;
        }
        sum / total
    }
}

impl GaussianNbModel {
    fn proba_into(&self, row: &[f64], out: &mut [f64]) {
        let p = self.n_features;
        let two_pi = 2.0 * core::f64::consts::PI;
        for (c, o) in out.iter_mut().enumerate() {
            let means = &self.means[c * p..(c + 1) * p];
            let variances = &self.variances[c * p..(c + 1) * p];
            let mut s = 0.0;
            for ((x, m), v) in row.iter().zip(means).zip(variances) {
                let d = x - m;
                s += libm::log(two_pi * v) + d * d / v;
            }
            *o = libm::log(self.priors[c]) - 0.5 * s;
        }
        softmax_in_place(out);
    }
}

impl Fitted {
    /// Classification or regression.
    pub fn task(&self) -> Task {
        match self {
            Fitted::LogisticRegression(_)
            | Fitted::DecisionTreeClassifier(_)
            | Fitted::RandomForestClassifier(_)
            | Fitted::KnnClassifier(_)
            | Fitted::GaussianNb(_)
            | Fitted::ExtraTreesClassifier(_)
            | Fitted::GradientBoostingClassifier(_)
            | Fitted::HistGradientBoostingClassifier(_) => Task::Classification,
            _ => Task::Regression,
        }
    }

    /// The scikit-learn class name of the estimator, as [`EstimatorSpec::class_name`].
    pub fn class_name(&self) -> &'static str {
        match self {
            Fitted::LogisticRegression(_) => "LogisticRegression",
            Fitted::LinearRegression(_) => "LinearRegression",
            Fitted::Ridge(_) => "Ridge",
            Fitted::Lasso(_) => "Lasso",
            Fitted::ElasticNet(_) => "ElasticNet",
            Fitted::DecisionTreeClassifier(_) => "DecisionTreeClassifier",
            Fitted::DecisionTreeRegressor(_) => "DecisionTreeRegressor",
            Fitted::RandomForestClassifier(_) => "RandomForestClassifier",
            Fitted::RandomForestRegressor(_) => "RandomForestRegressor",
            Fitted::KnnClassifier(_) => "KNeighborsClassifier",
            Fitted::KnnRegressor(_) => "KNeighborsRegressor",
            Fitted::GaussianNb(_) => "GaussianNB",
            Fitted::ExtraTreesClassifier(_) => "ExtraTreesClassifier",
            Fitted::ExtraTreesRegressor(_) => "ExtraTreesRegressor",
            Fitted::GradientBoostingClassifier(_) => "GradientBoostingClassifier",
            Fitted::GradientBoostingRegressor(_) => "GradientBoostingRegressor",
            Fitted::HistGradientBoostingClassifier(_) => "HistGradientBoostingClassifier",
            Fitted::HistGradientBoostingRegressor(_) => "HistGradientBoostingRegressor",
        }
    }

    /// Number of features a row must have.
    pub fn n_features(&self) -> usize {
        match self {
            Fitted::LogisticRegression(m) => m.n_features,
            Fitted::LinearRegression(m)
            | Fitted::Ridge(m)
            | Fitted::Lasso(m)
            | Fitted::ElasticNet(m) => m.coef.len(),
            Fitted::DecisionTreeClassifier(m)
            | Fitted::DecisionTreeRegressor(m)
            | Fitted::RandomForestClassifier(m)
            | Fitted::RandomForestRegressor(m)
            | Fitted::ExtraTreesClassifier(m)
            | Fitted::ExtraTreesRegressor(m) => m.n_features,
            Fitted::KnnClassifier(m) | Fitted::KnnRegressor(m) => m.n_features,
            Fitted::GaussianNb(m) => m.n_features,
            Fitted::GradientBoostingClassifier(m)
            | Fitted::GradientBoostingRegressor(m)
            | Fitted::HistGradientBoostingClassifier(m)
            | Fitted::HistGradientBoostingRegressor(m) => m.n_features,
        }
    }

    /// Number of classes; 0 for regressors.
    pub fn n_classes(&self) -> usize {
        match self {
            Fitted::LogisticRegression(m) => m.n_classes,
            Fitted::DecisionTreeClassifier(m)
            | Fitted::RandomForestClassifier(m)
            | Fitted::ExtraTreesClassifier(m) => m.n_classes,
            Fitted::KnnClassifier(m) => m.n_classes,
            Fitted::GaussianNb(m) => m.priors.len(),
            Fitted::GradientBoostingClassifier(m) | Fitted::HistGradientBoostingClassifier(m) => {
                m.n_classes
            }
            _ => 0,
        }
    }

    /// Whether a NaN may reach it (scikit-learn's trees that route missing values, and
    /// histogram gradient boosting); the others need every value imputed.
    pub fn accepts_missing(&self) -> bool {
        match self {
            Fitted::DecisionTreeClassifier(m)
            | Fitted::DecisionTreeRegressor(m)
            | Fitted::RandomForestClassifier(m)
            | Fitted::RandomForestRegressor(m)
            | Fitted::ExtraTreesClassifier(m)
            | Fitted::ExtraTreesRegressor(m) => m.trees.iter().all(|t| !t.missing_left.is_empty()),
            Fitted::HistGradientBoostingClassifier(_)
            | Fitted::HistGradientBoostingRegressor(_) => true,
            _ => false,
        }
    }

    /// Class probabilities of one row into `out`, summing to 1. Does not allocate for logistic
    /// regression, trees and naive Bayes (k-nearest neighbours keeps a list of k neighbours).
    /// Regressors write nothing (`out` is empty for them).
    ///
    /// # Panics
    /// If `row.len() != self.n_features()` or `out.len() != self.n_classes()`: a caller bug.
    /// A valid model (from [`fit`], or checked with [`Fitted::validate`]) never panics otherwise.
    #[inline]
    pub fn predict_proba_into(&self, row: &[f64], out: &mut [f64]) {
        assert_eq!(row.len(), self.n_features(), "row length != n_features");
        assert_eq!(out.len(), self.n_classes(), "out length != n_classes");
        match self {
            Fitted::LogisticRegression(m) => m.proba_into(row, out),
            Fitted::DecisionTreeClassifier(m)
            | Fitted::RandomForestClassifier(m)
            | Fitted::ExtraTreesClassifier(m) => m.proba_into(row, out),
            Fitted::KnnClassifier(m) => m.proba_into(row, out),
            Fitted::GaussianNb(m) => m.proba_into(row, out),
            Fitted::GradientBoostingClassifier(m) | Fitted::HistGradientBoostingClassifier(m) => {
                m.proba_into(row, out)
            }
            _ => {}
        }
    }

    /// Regression value of one row; NaN for classifiers (check [`Fitted::task`]).
    ///
    /// # Panics
    /// If `row.len() != self.n_features()`: a caller bug.
    pub fn predict_value(&self, row: &[f64]) -> f64 {
        assert_eq!(row.len(), self.n_features(), "row length != n_features");
        match self {
            Fitted::LinearRegression(m)
            | Fitted::Ridge(m)
            | Fitted::Lasso(m)
            | Fitted::ElasticNet(m) => m.value(row),
            Fitted::DecisionTreeRegressor(m)
            | Fitted::RandomForestRegressor(m)
            | Fitted::ExtraTreesRegressor(m) => m.value(row),
            Fitted::KnnRegressor(m) => m.value(row),
            Fitted::GradientBoostingRegressor(m) | Fitted::HistGradientBoostingRegressor(m) => {
                m.value(row)
            }
            _ => f64::NAN,
        }
    }

    /// Class probabilities of the `m` records of `x` (by feature: `x[j * m + i]` is feature j
    /// of record i) into `out` (by record: `out[i * k + c]`), the same bits as
    /// [`Fitted::predict_proba_into`] on each record, and the index of each record's
    /// largest ([`metrics::argmax`]) into `labels`. Logistic regression runs by columns
    /// (dot products, then the softmax over whole columns); the others record by record.
    ///
    /// # Panics
    /// If `x.len() != n_features * m` or `out.len() != n_classes * m`: a caller bug.
    pub(crate) fn predict_proba_columns(
        &self,
        x: &[f64],
        m: usize,
        work: &mut ChunkWork,
        out: &mut [f64],
        labels: &mut [u32],
    ) {
        let k = self.n_classes();
        assert_eq!(x.len(), self.n_features() * m, "x length != n_features * m");
        assert_eq!(out.len(), k * m, "out length != n_classes * m");
        assert_eq!(labels.len(), m, "labels length != m");
        if m == 0 || k == 0 {
            return;
        }
        match self {
            Fitted::LogisticRegression(model) => model.proba_columns(x, m, work, out, labels),
            _ => {
                let mut row = std::mem::take(&mut work.softmax.row);
                for ((i, o), l) in out.chunks_exact_mut(k).enumerate().zip(labels.iter_mut()) {
                    row.clear();
                    row.extend(x.iter().skip(i).step_by(m));
                    self.predict_proba_into(&row, o);
                    *l = metrics::argmax(o) as u32;
                }
                work.softmax.row = row;
            }
        }
    }

    /// Regression values of the `m` records of `x` (by feature, as
    /// [`Fitted::predict_proba_columns`]) into `out`, the same bits as
    /// [`Fitted::predict_value`] on each record. Linear models run by columns.
    ///
    /// # Panics
    /// If `x.len() != n_features * m` or `out.len() != m`: a caller bug.
    pub(crate) fn predict_value_columns(
        &self,
        x: &[f64],
        m: usize,
        work: &mut ChunkWork,
        out: &mut [f64],
    ) {
        assert_eq!(x.len(), self.n_features() * m, "x length != n_features * m");
        assert_eq!(out.len(), m, "out length != m");
        if m == 0 {
            return;
        }
        match self {
            Fitted::LinearRegression(model)
            | Fitted::Ridge(model)
            | Fitted::Lasso(model)
            | Fitted::ElasticNet(model) => dot_columns(&model.coef, x, model.intercept, out),
            _ => {
                let mut row = std::mem::take(&mut work.softmax.row);
                for (i, o) in out.iter_mut().enumerate() {
                    row.clear();
                    row.extend(x.iter().skip(i).step_by(m));
                    *o = self.predict_value(&row);
                }
                work.softmax.row = row;
            }
        }
    }

    /// Checks a model that came from untrusted bytes: every dimension consistent, tree children
    /// in range and pointing forward, feature indices in range, `1 <= k <=` number of points,
    /// variances and priors positive, all numbers finite, class fractions in [0, 1] summing to
    /// one. After `Ok`, `predict_*` cannot panic (for rows and outputs of the right length) or
    /// loop forever.
    pub fn validate(&self) -> Result<()> {
        let what = self.class_name();
        let bad = |reason: String| -> Result<()> {
            Err(invalid(format!(
                "the fitted {what} model is invalid: {reason}"
            )))
        };
        match self {
            Fitted::LogisticRegression(m) => {
                if m.n_features == 0 {
                    return bad("no features".into());
                }
                if m.n_classes < 2 {
                    return bad(format!("{} classes (need at least 2)", m.n_classes));
                }
                let rows = if m.n_classes == 2 { 1 } else { m.n_classes };
                if rows.checked_mul(m.n_features) != Some(m.coef.len()) {
                    return bad(format!(
                        "{} coefficients for {rows} x {} expected",
                        m.coef.len(),
                        m.n_features
                    ));
                }
                if m.intercept.len() != rows {
                    return bad(format!(
                        "{} intercepts for {rows} expected",
                        m.intercept.len()
                    ));
                }
                finite(&bad, "coefficient", &m.coef)?;
                finite(&bad, "intercept", &m.intercept)
            }
            Fitted::LinearRegression(m)
            | Fitted::Ridge(m)
            | Fitted::Lasso(m)
            | Fitted::ElasticNet(m) => {
                if m.coef.is_empty() {
                    return bad("no coefficients".into());
                }
                finite(&bad, "coefficient", &m.coef)?;
                finite(&bad, "intercept", &[m.intercept])
            }
            Fitted::DecisionTreeClassifier(m)
            | Fitted::DecisionTreeRegressor(m)
            | Fitted::RandomForestClassifier(m)
            | Fitted::RandomForestRegressor(m)
            | Fitted::ExtraTreesClassifier(m)
            | Fitted::ExtraTreesRegressor(m) => {
                let classifier = self.task() == Task::Classification;
                let single = matches!(
                    self,
                    Fitted::DecisionTreeClassifier(_) | Fitted::DecisionTreeRegressor(_)
                );
                if m.n_features == 0 {
                    return bad("no features".into());
                }
                if classifier && m.n_classes < 2 {
                    return bad(format!("{} classes (need at least 2)", m.n_classes));
                }
                if !classifier && m.n_classes != 0 {
                    return bad(format!("a regressor with {} classes", m.n_classes));
                }
                if m.trees.is_empty() || (single && m.trees.len() != 1) {
                    return bad(format!("{} trees", m.trees.len()));
                }
                let outputs = if classifier { m.n_classes } else { 1 };
                for (t, tree) in m.trees.iter().enumerate() {
                    if let Err(e) = validate_tree(tree, m.n_features, outputs, classifier) {
                        return bad(format!("tree {t}: {e}"));
                    }
                }
                Ok(())
            }
            Fitted::KnnClassifier(m) | Fitted::KnnRegressor(m) => {
                let classifier = matches!(self, Fitted::KnnClassifier(_));
                let n = m.targets.len();
                if m.n_features == 0 {
                    return bad("no features".into());
                }
                if n.checked_mul(m.n_features) != Some(m.points.len()) {
                    return bad(format!(
                        "{} point values for {n} points of {} features",
                        m.points.len(),
                        m.n_features
                    ));
                }
                if m.k == 0 || m.k > n {
                    return bad(format!("k = {} with {n} points", m.k));
                }
                finite(&bad, "point value", &m.points)?;
                if classifier {
                    if m.n_classes < 2 {
                        return bad(format!("{} classes (need at least 2)", m.n_classes));
                    }
                    if let Some(t) = m
                        .targets
                        .iter()
                        .find(|&&t| !(t >= 0.0 && t < m.n_classes as f64 && t.fract() == 0.0))
                    {
                        return bad(format!("target {t} is not a class index"));
                    }
                    Ok(())
                } else {
                    if m.n_classes != 0 {
                        return bad(format!("a regressor with {} classes", m.n_classes));
                    }
                    finite(&bad, "target", &m.targets)
                }
            }
            Fitted::GaussianNb(m) => {
                let k = m.priors.len();
                if m.n_features == 0 {
                    return bad("no features".into());
                }
                if k < 2 {
                    return bad(format!("{k} classes (need at least 2)"));
                }
                let size = k.checked_mul(m.n_features);
                if size != Some(m.means.len()) || size != Some(m.variances.len()) {
                    return bad(format!(
                        "{} means and {} variances for {k} classes x {} features",
                        m.means.len(),
                        m.variances.len(),
                        m.n_features
                    ));
                }
                finite(&bad, "mean", &m.means)?;
                if let Some(v) = m.variances.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                    return bad(format!("variance {v} (must be finite and > 0)"));
                }
                if let Some(p) = m.priors.iter().find(|p| !(p.is_finite() && **p > 0.0)) {
                    return bad(format!("prior {p} (must be finite and > 0)"));
                }
                Ok(())
            }
            Fitted::GradientBoostingClassifier(m)
            | Fitted::GradientBoostingRegressor(m)
            | Fitted::HistGradientBoostingClassifier(m)
            | Fitted::HistGradientBoostingRegressor(m) => {
                m.validate(self.task() == Task::Classification).or_else(bad)
            }
        }
    }
}

fn finite(bad: &impl Fn(String) -> Result<()>, what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => bad(format!("{what} {i} is {}", values[i])),
        None => Ok(()),
    }
}

pub(super) fn validate_tree(
    tree: &Tree,
    n_features: usize,
    outputs: usize,
    classifier: bool,
) -> std::result::Result<(), String> {
    let n = tree.left.len();
    if n == 0 {
        return Err("no nodes".into());
    }
    if tree.right.len() != n || tree.feature.len() != n || tree.threshold.len() != n {
        return Err(format!(
            "node arrays of different lengths (left {}, right {}, feature {}, threshold {})",
            n,
            tree.right.len(),
            tree.feature.len(),
            tree.threshold.len()
        ));
    }
    if !tree.missing_left.is_empty() && tree.missing_left.len() != n {
        return Err(format!(
            "{} missing_left values for {n} nodes",
            tree.missing_left.len()
        ));
    }
    if n.checked_mul(outputs) != Some(tree.value.len()) {
        return Err(format!(
            "{} values for {n} nodes x {outputs}",
            tree.value.len()
        ));
    }
    for i in 0..n {
        let (left, right) = (tree.left[i], tree.right[i]);
        if left == 0 && right == 0 {
            let value = &tree.value[i * outputs..(i + 1) * outputs];
            if let Some(v) = value.iter().find(|v| !v.is_finite()) {
                return Err(format!("leaf {i} has value {v}"));
            }
            if classifier {
                if value.iter().any(|&v| !(0.0..=1.0).contains(&v)) {
                    return Err(format!("leaf {i} has a class fraction outside [0, 1]"));
                }
                let sum: f64 = value.iter().sum();
                if (sum - 1.0).abs() > 1e-9 {
                    return Err(format!("leaf {i} class fractions sum to {sum}"));
                }
            }
            continue;
        }
        if left <= i || right <= i || left >= n || right >= n {
            return Err(format!(
                "node {i} has children {left} and {right} (must be in {}..{n})",
                i + 1
            ));
        }
        if tree.feature[i] >= n_features {
            return Err(format!(
                "node {i} splits on feature {} of {n_features}",
                tree.feature[i]
            ));
        }
        if tree.threshold[i].is_nan() {
            return Err(format!("node {i} has threshold {}", tree.threshold[i]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // --- data ---------------------------------------------------------------------------------

    struct Data {
        x: Vec<f64>,
        rows: usize,
        cols: usize,
    }

    impl Data {
        fn matrix(&self) -> Matrix<'_> {
            Matrix {
                data: &self.x,
                rows: self.rows,
                cols: self.cols,
            }
        }
        fn row(&self, r: usize) -> &[f64] {
            &self.x[r * self.cols..(r + 1) * self.cols]
        }
    }

    /// A bundled CSV (numeric features, target last) as features and target strings.
    fn read_csv(text: &str) -> (Data, Vec<String>) {
        let mut lines = text.lines();
        let cols = lines.next().unwrap().split(',').count() - 1;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for line in lines.filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.split(',').collect();
            x.extend(fields[..cols].iter().map(|f| f.parse::<f64>().unwrap()));
            y.push(fields[cols].to_string());
        }
        let rows = y.len();
        (Data { x, rows, cols }, y)
    }

    /// Iris: 150 x 4, classes setosa, versicolor, virginica = 0, 1, 2.
    fn iris() -> (Data, Vec<u32>) {
        let (data, labels) = read_csv(include_str!("../../data/iris.csv"));
        let classes = ["setosa", "versicolor", "virginica"];
        let y = labels
            .iter()
            .map(|l| classes.iter().position(|c| c == l).unwrap() as u32)
            .collect();
        (data, y)
    }

    /// Iris versicolor (0) vs virginica (1): 100 x 4, not linearly separable.
    fn iris_binary() -> (Data, Vec<u32>) {
        let (data, y) = iris();
        let keep: Vec<usize> = (0..data.rows).filter(|&r| y[r] > 0).collect();
        let x = keep.iter().flat_map(|&r| data.row(r).to_vec()).collect();
        let y = keep.iter().map(|&r| y[r] - 1).collect();
        (
            Data {
                x,
                rows: keep.len(),
                cols: 4,
            },
            y,
        )
    }

    /// Diabetes: 442 x 10, numeric target.
    fn diabetes() -> (Data, Vec<f64>) {
        let (data, labels) = read_csv(include_str!("../../data/diabetes.csv"));
        (data, labels.iter().map(|l| l.parse().unwrap()).collect())
    }

    fn classes<'a>(y: &'a [u32], n_classes: usize) -> TargetData<'a> {
        TargetData::Classes { y, n_classes }
    }

    fn spec(value: Value) -> EstimatorSpec {
        EstimatorSpec::from_json(&value).unwrap()
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        result.unwrap_err().to_string()
    }

    // --- checks shared by every estimator -----------------------------------------------------

    fn proba_of(model: &Fitted, row: &[f64]) -> Vec<f64> {
        let mut out = vec![f64::NAN; model.n_classes()];
        model.predict_proba_into(row, &mut out);
        out
    }

    fn argmax(p: &[f64]) -> usize {
        let mut best = 0;
        for (i, &v) in p.iter().enumerate() {
            if v > p[best] {
                best = i;
            }
        }
        best
    }

    /// Accuracy on the training data; checks every probability vector on the way.
    fn accuracy(model: &Fitted, data: &Data, y: &[u32]) -> f64 {
        let mut right = 0;
        for (r, &class) in y.iter().enumerate() {
            let p = proba_of(model, data.row(r));
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{p:?}");
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{p:?}");
            right += usize::from(argmax(&p) == class as usize);
        }
        right as f64 / data.rows as f64
    }

    fn r2(model: &Fitted, data: &Data, y: &[f64]) -> f64 {
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let (mut ss_res, mut ss_tot) = (0.0, 0.0);
        for (r, target) in y.iter().enumerate() {
            let v = model.predict_value(data.row(r));
            assert!(v.is_finite());
            ss_res += (target - v) * (target - v);
            ss_tot += (target - mean) * (target - mean);
        }
        1.0 - ss_res / ss_tot
    }

    /// Serialize -> deserialize gives an equal model with bit-identical predictions;
    /// serializing again gives the same bytes; the model validates.
    fn assert_round_trip(model: &Fitted, data: &Data) {
        model.validate().unwrap();
        let bytes = serde_json::to_vec(model).unwrap();
        let back: Fitted = serde_json::from_slice(&bytes).unwrap();
        back.validate().unwrap();
        assert_eq!(&back, model);
        assert_eq!(serde_json::to_vec(&back).unwrap(), bytes);
        assert_eq!(serde_json::to_vec(model).unwrap(), bytes);
        for r in 0..data.rows {
            let row = data.row(r);
            match model.task() {
                Task::Classification => {
                    let (a, b) = (proba_of(model, row), proba_of(&back, row));
                    let bits = |p: &[f64]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&a), bits(&b), "row {r}");
                }
                Task::Regression => assert_eq!(
                    model.predict_value(row).to_bits(),
                    back.predict_value(row).to_bits(),
                    "row {r}"
                ),
            }
        }
    }

    /// Trains twice (same seed): the same bytes.
    fn fit_twice(spec: &EstimatorSpec, x: Matrix<'_>, y: TargetData<'_>, seed: u64) -> Fitted {
        let a = fit(spec, x, y, seed).unwrap();
        let b = fit(spec, x, y, seed).unwrap();
        assert_eq!(
            serde_json::to_vec(&a).unwrap(),
            serde_json::to_vec(&b).unwrap(),
            "{} is not deterministic",
            spec.name()
        );
        assert_eq!(a.class_name(), spec.class_name());
        assert_eq!(a.task(), spec.task());
        assert_eq!(a.n_features(), x.cols);
        a
    }

    fn check_classifier(spec: EstimatorSpec, min_accuracy: f64) -> Fitted {
        let (data, y) = iris();
        let model = fit_twice(&spec, data.matrix(), classes(&y, 3), 7);
        assert_eq!(model.n_classes(), 3);
        let acc = accuracy(&model, &data, &y);
        assert!(acc >= min_accuracy, "{}: accuracy {acc}", spec.name());
        assert_round_trip(&model, &data);
        model
    }

    fn check_regressor(spec: EstimatorSpec, min_r2: f64) -> Fitted {
        let (data, y) = diabetes();
        let model = fit_twice(&spec, data.matrix(), TargetData::Values(&y), 7);
        assert_eq!(model.n_classes(), 0);
        let score = r2(&model, &data, &y);
        assert!(score >= min_r2, "{}: R2 {score}", spec.name());
        assert_round_trip(&model, &data);
        model
    }

    // --- every estimator ----------------------------------------------------------------------

    #[test]
    fn logistic_regression_multiclass() {
        let model = check_classifier(spec(json!({"estimator": "logistic_regression"})), 0.95);
        let Fitted::LogisticRegression(m) = &model else {
            panic!()
        };
        assert_eq!((m.coef.len(), m.intercept.len()), (12, 3));
    }

    #[test]
    fn logistic_regression_binary() {
        let (data, y) = iris_binary();
        let s = spec(json!({"estimator": "logistic_regression"}));
        let model = fit_twice(&s, data.matrix(), classes(&y, 2), 0);
        let Fitted::LogisticRegression(m) = &model else {
            panic!()
        };
        assert_eq!((m.coef.len(), m.intercept.len()), (4, 1));
        let acc = accuracy(&model, &data, &y);
        assert!(acc >= 0.95, "accuracy {acc}");
        assert_round_trip(&model, &data);
    }

    /// Our probabilities pick the same class as smartcore's own predict: checks the
    /// coefficient layout (which row is which class, binary = logit of class 1).
    #[test]
    fn logistic_regression_matches_smartcore_predict() {
        for (data, y, k) in [
            (iris().0, iris().1, 3),
            (iris_binary().0, iris_binary().1, 2),
        ] {
            let model = fit(
                &spec(json!({"estimator": "logistic_regression", "alpha": 0.5})),
                data.matrix(),
                classes(&y, k),
                0,
            )
            .unwrap();
            let xm = dense(data.x.clone(), data.rows, data.cols).unwrap();
            let sc = LogisticRegression::<f64, u32, DenseMatrix<f64>, Vec<u32>>::fit(
                &xm,
                &y,
                LogisticRegressionParameters::default().with_alpha(0.5),
            )
            .unwrap();
            let predicted = sc.predict(&xm).unwrap();
            for (r, &want) in predicted.iter().enumerate() {
                let p = proba_of(&model, data.row(r));
                assert_eq!(argmax(&p) as u32, want, "row {r}: {p:?}");
            }
        }
    }

    /// alpha is scikit-learn's 1/C: at the optimum, X^T (p - y) + alpha w = 0 and the
    /// intercept gradient sum(p - y) = 0 (the sum of log-losses, not the mean).
    #[test]
    fn logistic_regression_penalty_is_sklearn_c() {
        for (data, y, k) in [
            (iris().0, iris().1, 3),
            (iris_binary().0, iris_binary().1, 2),
        ] {
            let alpha = 2.0;
            let model = fit(
                &spec(json!({"estimator": "logistic_regression", "alpha": alpha})),
                data.matrix(),
                classes(&y, k),
                0,
            )
            .unwrap();
            let Fitted::LogisticRegression(m) = &model else {
                panic!()
            };
            let rows = m.intercept.len();
            let mut grad = vec![0.0; rows * 4];
            let mut grad_b = vec![0.0; rows];
            for (r, &y_r) in y.iter().enumerate() {
                let p = proba_of(&model, data.row(r));
                for c in 0..rows {
                    // binary: the one row is class 1
                    let class = if k == 2 { 1 } else { c };
                    let e = p[class] - f64::from(u8::from(y_r as usize == class));
                    grad_b[c] += e;
                    for j in 0..4 {
                        grad[c * 4 + j] += e * data.row(r)[j];
                    }
                }
            }
            for (g, w) in grad.iter_mut().zip(&m.coef) {
                *g += alpha * w;
            }
            let worst = grad
                .iter()
                .chain(&grad_b)
                .fold(0.0f64, |a, g| a.max(g.abs()));
            assert!(worst < 1e-3, "k={k}: gradient {grad:?} {grad_b:?}");
            // A wrong scaling of alpha (mean loss, or alpha/2) would leave a large gradient.
            let norm: f64 = m.coef.iter().map(|w| w.abs()).sum();
            assert!(norm > 0.1);
        }
    }

    #[test]
    fn linear_regression() {
        let model = check_regressor(spec(json!({"estimator": "linear_regression"})), 0.5);
        // Exact on noiseless data.
        let x: Vec<f64> = (0..20)
            .flat_map(|i| [i as f64, ((i * 7) % 5) as f64])
            .collect();
        let y: Vec<f64> = (0..20)
            .map(|i| 3.0 + 2.0 * x[2 * i] - x[2 * i + 1])
            .collect();
        let m = Matrix {
            data: &x,
            rows: 20,
            cols: 2,
        };
        let exact = fit(&model_spec_linear(), m, TargetData::Values(&y), 0).unwrap();
        let Fitted::LinearRegression(l) = exact else {
            panic!()
        };
        assert!((l.coef[0] - 2.0).abs() < 1e-9 && (l.coef[1] + 1.0).abs() < 1e-9);
        assert!((l.intercept - 3.0).abs() < 1e-9, "{l:?}");
        let _ = model;
    }

    fn model_spec_linear() -> EstimatorSpec {
        EstimatorSpec::LinearRegression {}
    }

    /// scikit-learn's Ridge: X_c^T (y_c - X_c w) = alpha w, intercept not penalised.
    #[test]
    fn ridge_matches_sklearn_objective() {
        let alpha = 3.0;
        let model = check_regressor(spec(json!({"estimator": "ridge", "alpha": alpha})), 0.34);
        let Fitted::Ridge(m) = &model else { panic!() };
        let (data, y) = diabetes();
        let n = data.rows as f64;
        // The intercept makes the residuals sum to zero.
        let residual: Vec<f64> = (0..data.rows)
            .map(|r| y[r] - model.predict_value(data.row(r)))
            .collect();
        assert!(residual.iter().sum::<f64>().abs() / n < 1e-9);
        for j in 0..data.cols {
            let g: f64 = (0..data.rows).map(|r| data.row(r)[j] * residual[r]).sum();
            assert!(
                (g - alpha * m.coef[j]).abs() < 1e-6 * (1.0 + g.abs()),
                "{j}: {g}"
            );
        }
    }

    /// scikit-learn's Lasso: (1/n) X_j^T r = alpha sign(w_j) for w_j != 0, |.| <= alpha else.
    #[test]
    fn lasso_matches_sklearn_objective() {
        let alpha = 0.1;
        let model = check_regressor(spec(json!({"estimator": "lasso", "alpha": alpha})), 0.45);
        let Fitted::Lasso(m) = &model else { panic!() };
        let (data, y) = diabetes();
        let n = data.rows as f64;
        let residual: Vec<f64> = (0..data.rows)
            .map(|r| y[r] - model.predict_value(data.row(r)))
            .collect();
        let mut active = 0;
        for j in 0..data.cols {
            let g = (0..data.rows)
                .map(|r| data.row(r)[j] * residual[r])
                .sum::<f64>()
                / n;
            if m.coef[j].abs() > 1.0 {
                active += 1;
                let want = alpha * m.coef[j].signum();
                assert!((g - want).abs() < 0.05 * alpha, "{j}: {g} vs {want}");
            } else {
                assert!(g.abs() < 1.05 * alpha, "{j}: {g}");
            }
        }
        assert!(active >= 3, "{m:?}");
    }

    /// scikit-learn's ElasticNet:
    /// (1/n) X_j^T r - alpha (1 - l1_ratio) w_j = alpha l1_ratio sign(w_j) for w_j != 0.
    #[test]
    fn elastic_net_matches_sklearn_objective() {
        let (alpha, l1_ratio) = (0.01, 0.3);
        let model = check_regressor(
            spec(json!({"estimator": "elastic_net", "alpha": alpha, "l1_ratio": l1_ratio})),
            0.33,
        );
        let Fitted::ElasticNet(m) = &model else {
            panic!()
        };
        let (data, y) = diabetes();
        let n = data.rows as f64;
        let residual: Vec<f64> = (0..data.rows)
            .map(|r| y[r] - model.predict_value(data.row(r)))
            .collect();
        let mut active = 0;
        for j in 0..data.cols {
            let g = (0..data.rows)
                .map(|r| data.row(r)[j] * residual[r])
                .sum::<f64>()
                / n
                - alpha * (1.0 - l1_ratio) * m.coef[j];
            if m.coef[j].abs() > 1.0 {
                active += 1;
                let want = alpha * l1_ratio * m.coef[j].signum();
                assert!(
                    (g - want).abs() < 0.05 * alpha * l1_ratio,
                    "{j}: {g} vs {want}"
                );
            }
        }
        assert!(active >= 3, "{m:?}");
    }

    #[test]
    fn decision_tree_classifier() {
        let model = check_classifier(spec(json!({"estimator": "decision_tree_classifier"})), 0.99);
        let Fitted::DecisionTreeClassifier(m) = &model else {
            panic!()
        };
        assert_eq!(m.trees.len(), 1);
        assert!(m.trees[0].left.len() > 5);
    }

    /// max_depth = 1 is a stump (scikit-learn's meaning); its leaves hold the class fractions
    /// of the training rows on each side of the split, not one-hot votes.
    #[test]
    fn decision_tree_stump_has_leaf_fractions() {
        let (data, y) = iris();
        let s = spec(json!({"estimator": "decision_tree_classifier", "max_depth": 2}));
        let model = fit(&s, data.matrix(), classes(&y, 3), 0).unwrap();
        let Fitted::DecisionTreeClassifier(m) = &model else {
            panic!()
        };
        let tree = &m.trees[0];
        // depth 2: at most 7 nodes, and some leaf is impure
        assert!(tree.left.len() <= 7 && tree.left.len() >= 5, "{tree:?}");
        assert!(accuracy(&model, &data, &y) > 0.9);
        let stump = fit(
            &spec(json!({"estimator": "decision_tree_classifier", "max_depth": 1})),
            data.matrix(),
            classes(&y, 3),
            0,
        )
        .unwrap();
        let Fitted::DecisionTreeClassifier(m) = &stump else {
            panic!()
        };
        let tree = &m.trees[0];
        assert_eq!(tree.left.len(), 3);
        let (f, t) = (tree.feature[0], tree.threshold[0]);
        for (leaf, side) in [(tree.left[0], true), (tree.right[0], false)] {
            let rows: Vec<usize> = (0..data.rows)
                .filter(|&r| (data.row(r)[f] <= t) == side)
                .collect();
            for c in 0..3 {
                let share = rows.iter().filter(|&&r| y[r] == c).count() as f64 / rows.len() as f64;
                assert_eq!(tree.value[leaf * 3 + c as usize], share);
            }
        }
        // iris's first split isolates setosa; the other leaf is half versicolor, half virginica
        let p = proba_of(&stump, data.row(149));
        assert_eq!(p, vec![0.0, 0.5, 0.5]);
    }

    #[test]
    fn random_forest_classifier() {
        let model = check_classifier(
            spec(json!({"estimator": "random_forest_classifier", "n_trees": 20})),
            0.97,
        );
        let Fitted::RandomForestClassifier(m) = &model else {
            panic!()
        };
        assert_eq!(m.trees.len(), 20);
        // Another seed, another forest.
        let (data, y) = iris();
        let s = spec(json!({"estimator": "random_forest_classifier", "n_trees": 20}));
        let other = fit(&s, data.matrix(), classes(&y, 3), 8).unwrap();
        assert_ne!(other, model);
    }

    /// The bootstrap counts are redrawn exactly (every node's sample count matches smartcore's),
    /// and impure leaves hold bootstrap-weighted fractions.
    #[test]
    fn random_forest_leaf_fractions_use_the_bootstrap() {
        let (data, y) = iris();
        let s = spec(
            json!({"estimator": "random_forest_classifier", "n_trees": 10,
                            "max_depth": 2}),
        );
        for seed in [0, 1, 12345] {
            let (model, counts) = fit_inner(&s, data.matrix(), classes(&y, 3), seed).unwrap();
            assert_eq!(counts, LeafCounts::Bootstrap, "seed {seed}");
            let Fitted::RandomForestClassifier(m) = &model else {
                panic!()
            };
            // smartcore draws 50 rows per class for each tree: the root shares are exactly 1/3.
            let root = &m.trees[0].value[..3];
            assert_eq!(root, &[1.0 / 3.0; 3]);
            // With max_depth 2 some leaves are impure: fractions, not votes.
            let impure = m.trees.iter().any(|t| {
                (0..t.left.len()).any(|i| {
                    t.left[i] == 0
                        && t.value[i * 3..i * 3 + 3]
                            .iter()
                            .filter(|v| **v > 0.0)
                            .count()
                            > 1
                })
            });
            assert!(impure);
            assert!(accuracy(&model, &data, &y) > 0.9);
        }
    }

    #[test]
    fn decision_tree_regressor() {
        let model = check_regressor(spec(json!({"estimator": "decision_tree_regressor"})), 0.99);
        // Same predictions as smartcore's own tree.
        let (data, y) = diabetes();
        let xm = dense(data.x.clone(), data.rows, data.cols).unwrap();
        let params = DecisionTreeRegressorParameters {
            max_depth: None,
            min_samples_leaf: 1,
            min_samples_split: 2,
            seed: Some(7),
        };
        let sc =
            DecisionTreeRegressor::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(&xm, &y, params)
                .unwrap();
        let predicted = sc.predict(&xm).unwrap();
        for (r, &want) in predicted.iter().enumerate() {
            assert_eq!(model.predict_value(data.row(r)), want, "row {r}");
        }
    }

    #[test]
    fn random_forest_regressor() {
        let s = spec(
            json!({"estimator": "random_forest_regressor", "n_trees": 15,
                            "max_depth": 6}),
        );
        let model = check_regressor(s, 0.6);
        let (data, y) = diabetes();
        let xm = dense(data.x.clone(), data.rows, data.cols).unwrap();
        let params = RandomForestRegressorParameters {
            max_depth: Some(7),
            min_samples_leaf: 1,
            min_samples_split: 2,
            n_trees: 15,
            m: None,
            keep_samples: false,
            seed: 7,
        };
        let sc =
            RandomForestRegressor::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(&xm, &y, params)
                .unwrap();
        let predicted = sc.predict(&xm).unwrap();
        for (r, &want) in predicted.iter().enumerate() {
            let ours = model.predict_value(data.row(r));
            assert!((ours - want).abs() < 1e-9 * ours.abs(), "row {r}");
        }
    }

    #[test]
    fn knn_classifier() {
        check_classifier(spec(json!({"estimator": "knn_classifier"})), 0.95);
        // distance weights: every training row is its own neighbour at distance 0
        let model = check_classifier(
            spec(json!({"estimator": "knn_classifier", "k": 7, "weights": "distance"})),
            0.99,
        );
        let (data, _) = iris();
        let p = proba_of(&model, data.row(0));
        assert_eq!(p, vec![1.0, 0.0, 0.0]);
    }

    #[test]
    fn knn_regressor() {
        check_regressor(spec(json!({"estimator": "knn_regressor", "k": 10})), 0.5);
        check_regressor(
            spec(json!({"estimator": "knn_regressor", "weights": "distance"})),
            0.99,
        );
    }

    /// The selection before the heap (kept here as the reference): a sorted list, each
    /// nearer point inserted in place (O(n·k), quadratic for k near n).
    fn k_smallest_by_insertion(k: usize, candidates: &[Near]) -> Vec<Near> {
        let mut best: Vec<(f64, usize)> = Vec::new();
        for &Near(d2, i) in candidates {
            if best.len() == k && d2 >= best[k - 1].0 {
                continue;
            }
            let at = best.partition_point(|&(d, _)| d <= d2);
            best.insert(at, (d2, i));
            best.truncate(k);
        }
        best.into_iter().map(|(d, i)| Near(d, i)).collect()
    }

    /// The heap selects exactly what the insertion did, in the same order (ties to the
    /// lower index), so predictions of existing artifacts keep their bits.
    #[test]
    fn knn_heap_selection_equals_the_insertion_it_replaced() {
        let mut rng = crate::pipeline::SplitMix64(7);
        for case in 0..300 {
            let n = 1 + (rng.next_u64() % 60) as usize;
            // Few distinct distances (many ties), infinities included.
            let candidates: Vec<Near> = (0..n)
                .map(|i| {
                    let r = rng.next_u64() % 9;
                    let d2 = if r == 8 {
                        f64::INFINITY
                    } else {
                        (r % (1 + case % 5)) as f64
                    };
                    Near(d2, i)
                })
                .collect();
            for k in [1, 2, 3, n / 2 + 1, n] {
                let heap = k_smallest(k, candidates.iter().copied());
                let reference = k_smallest_by_insertion(k, &candidates);
                let pairs = |v: &[Near]| v.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>();
                assert_eq!(pairs(&heap), pairs(&reference), "case {case}, n {n}, k {k}");
            }
        }
        // And through a whole model: values and probabilities bit for bit.
        let (data, y) = iris();
        for weights in ["uniform", "distance"] {
            let model = fit(
                &spec(json!({"estimator": "knn_classifier", "k": 9, "weights": weights})),
                data.matrix(),
                classes(&y, 3),
                0,
            )
            .unwrap();
            let Fitted::KnnClassifier(m) = &model else {
                panic!()
            };
            for r in 0..data.rows {
                let row: Vec<f64> = data.row(r).iter().map(|v| v + 0.05).collect();
                let got = m.neighbours(&row);
                let distances: Vec<Near> = m
                    .points
                    .chunks_exact(m.n_features)
                    .enumerate()
                    .map(|(i, p)| {
                        Near(
                            p.iter()
                                .zip(&row)
                                .map(|(a, b)| (a - b) * (a - b))
                                .fold(0.0, |s, d| s + d),
                            i,
                        )
                    })
                    .collect();
                let want = k_smallest_by_insertion(m.k, &distances);
                let got_idx: Vec<usize> = got.iter().map(|g| g.1).collect();
                let want_idx: Vec<usize> = want.iter().map(|w| w.1).collect();
                assert_eq!(got_idx, want_idx, "row {r}");
            }
        }
    }

    /// Selecting the k nearest of n stored points costs O(n log k) comparisons, counted:
    /// the worst order for the old insertion (every point nearer than all before it) with
    /// k = n, which cost n²/2 moves, stays within a few n·log2(n).
    #[test]
    fn knn_selection_work_is_n_log_k() {
        let n = 20_000usize;
        let model = KnnModel {
            n_features: 1,
            n_classes: 0,
            k: n,
            weights: KnnWeights::Uniform,
            points: (0..n).map(|i| (n - i) as f64).collect(),
            targets: (0..n).map(|i| i as f64).collect(),
        };
        let fitted = Fitted::KnnRegressor(model);
        fitted.validate().unwrap();
        let log2 = |x: usize| (usize::BITS - x.leading_zeros()) as u64;
        for k in [1, 5, 100, n] {
            let Fitted::KnnRegressor(m) = &fitted else {
                panic!()
            };
            let m = KnnModel { k, ..m.clone() };
            KNN_COMPARISONS.with(|c| c.set(0));
            let v = Fitted::KnnRegressor(m).predict_value(&[0.0]);
            let work = KNN_COMPARISONS.with(|c| c.get());
            // Every point goes through the counted selection (so the count is the work).
            assert!(work >= (n - 1) as u64, "k {k}: only {work} comparisons");
            // The k nearest of 0 are the last k points; their targets are n-k..n.
            let want: f64 = ((n - k)..n).rev().map(|t| t as f64).sum::<f64>() / k as f64;
            assert_eq!(v, want, "k {k}");
            let bound = 3 * n as u64 * log2(k) + 3 * n as u64;
            assert!(work <= bound, "k {k}: {work} comparisons > {bound}");
        }
        // The bound is far below what the insertion paid (n²/2 = 200,000,000 moves).
        assert!(3 * n as u64 * log2(n) + 3 * n as u64 <= (n * n / 200) as u64);
    }

    /// Ties at the same distance go to the lower training row; distance weights are 1/d.
    #[test]
    fn knn_ties_and_weights() {
        let x = [0.0, 1.0, 2.0, 4.0];
        let m = Matrix {
            data: &x,
            rows: 4,
            cols: 1,
        };
        let y = [0, 1, 0, 1];
        let one = fit(
            &spec(json!({"estimator": "knn_classifier", "k": 1})),
            m,
            classes(&y, 2),
            0,
        )
        .unwrap();
        // 0.5 is as far from row 0 as from row 1: row 0 wins; 1.5: row 1 wins.
        assert_eq!(proba_of(&one, &[0.5]), vec![1.0, 0.0]);
        assert_eq!(proba_of(&one, &[1.5]), vec![0.0, 1.0]);
        let two = fit(
            &spec(json!({"estimator": "knn_classifier", "k": 2, "weights": "distance"})),
            m,
            classes(&y, 2),
            0,
        )
        .unwrap();
        // 1.25: neighbours 1 (d 0.25, class 1) and 2 (d 0.75, class 0): weights 4 and 4/3.
        let p = proba_of(&two, &[1.25]);
        assert!(
            (p[1] - 0.75).abs() < 1e-15 && (p[0] - 0.25).abs() < 1e-15,
            "{p:?}"
        );
        let values = [10.0, 20.0, 30.0, 40.0];
        let reg = fit(
            &spec(json!({"estimator": "knn_regressor", "k": 3})),
            m,
            TargetData::Values(&values),
            0,
        )
        .unwrap();
        // 3.0: rows 2 (d 1) and 3 (d 1) and 1 (d 2)
        assert_eq!(reg.predict_value(&[3.0]), 30.0);
    }

    #[test]
    fn gaussian_nb() {
        let model = check_classifier(spec(json!({"estimator": "gaussian_nb"})), 0.94);
        // Against a direct computation for one row.
        let Fitted::GaussianNb(m) = &model else {
            panic!()
        };
        assert_eq!(m.priors, vec![1.0 / 3.0; 3]);
        let (data, _) = iris();
        let row = data.row(60);
        let mut jll = [0.0; 3];
        for (c, v) in jll.iter_mut().enumerate() {
            *v = (1.0f64 / 3.0).ln();
            for (j, x) in row.iter().enumerate() {
                let (mean, var) = (m.means[c * 4 + j], m.variances[c * 4 + j]);
                *v -= 0.5 * (2.0 * std::f64::consts::PI * var).ln()
                    + (x - mean).powi(2) / (2.0 * var);
            }
        }
        let total: f64 = jll.iter().map(|v| v.exp()).sum();
        let p = proba_of(&model, row);
        for c in 0..3 {
            assert!((p[c] - jll[c].exp() / total).abs() < 1e-12, "{p:?}");
        }
        // Mean and variance of setosa's sepal length, two-pass, plus smoothing.
        let setosa: Vec<f64> = (0..50).map(|r| data.row(r)[0]).collect();
        let mean = setosa.iter().sum::<f64>() / 50.0;
        let var = setosa.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 50.0;
        assert_eq!(m.means[0], mean);
        assert!((m.variances[0] - var).abs() < 1e-8 && m.variances[0] > var);
    }

    /// A feature constant within every class gives finite probabilities (smoothing), not NaN.
    #[test]
    fn gaussian_nb_constant_feature() {
        let x = [1.0, 5.0, 1.0, 5.0, 2.0, 5.0, 2.0, 5.0];
        let m = Matrix {
            data: &x,
            rows: 4,
            cols: 2,
        };
        let y = [0, 0, 1, 1];
        let model = fit(&EstimatorSpec::GaussianNb {}, m, classes(&y, 2), 0).unwrap();
        let p = proba_of(&model, &[1.2, 7.0]);
        assert!(p.iter().all(|v| v.is_finite()) && p[0] > 0.99, "{p:?}");
    }

    // --- numerics -----------------------------------------------------------------------------

    #[test]
    fn softmax_is_stable() {
        let mut z = [1000.0, 0.0, -1000.0];
        softmax_in_place(&mut z);
        assert_eq!(z[0], 1.0);
        assert!(z[1] > 0.0 && z[1] < 1e-300 || z[1] == 0.0);
        let mut z = [f64::INFINITY, 1.0, f64::INFINITY];
        softmax_in_place(&mut z);
        assert_eq!(z, [0.5, 0.0, 0.5]);
        let mut z = [f64::NEG_INFINITY; 4];
        softmax_in_place(&mut z);
        assert_eq!(z, [0.25; 4]);
        let mut z = [2.0, 1.0, 0.0];
        softmax_in_place(&mut z);
        let e = [1.0, (-1.0f64).exp(), (-2.0f64).exp()];
        let s: f64 = e.iter().sum();
        for i in 0..3 {
            assert!((z[i] - e[i] / s).abs() < 1e-15);
        }
    }

    #[test]
    fn binary_logistic_tails_are_accurate() {
        let model = Fitted::LogisticRegression(LogisticModel {
            n_features: 1,
            n_classes: 2,
            coef: vec![1.0],
            intercept: vec![0.0],
        });
        let p = proba_of(&model, &[40.0]);
        // 1 - sigmoid(40) underflows to 0 if computed as a difference
        assert!(
            p[0] > 0.0 && (p[0] - (-40.0f64).exp()).abs() < 1e-30,
            "{p:?}"
        );
        assert_eq!(proba_of(&model, &[0.0]), vec![0.5, 0.5]);
        let p = proba_of(&model, &[-800.0]);
        assert_eq!(p, vec![1.0, 0.0]);
    }

    // --- specs --------------------------------------------------------------------------------

    #[test]
    fn every_name_has_defaults_that_round_trip() {
        assert_eq!(EstimatorSpec::names().len(), 12);
        for &name in EstimatorSpec::names() {
            let s = EstimatorSpec::default_for(name).unwrap();
            assert_eq!(s.name(), name);
            let text = serde_json::to_value(&s).unwrap();
            assert_eq!(text["estimator"], name);
            assert_eq!(EstimatorSpec::from_json(&text).unwrap(), s);
        }
        assert_eq!(
            EstimatorSpec::default_for("logistic_regression").unwrap(),
            EstimatorSpec::LogisticRegression { alpha: 1.0 }
        );
        assert_eq!(
            EstimatorSpec::default_for("random_forest_classifier").unwrap(),
            EstimatorSpec::RandomForestClassifier {
                n_trees: 100,
                max_depth: None,
                min_samples_leaf: 1,
                min_samples_split: 2
            }
        );
        assert_eq!(
            EstimatorSpec::default_for("knn_regressor").unwrap(),
            EstimatorSpec::KnnRegressor {
                k: 5,
                weights: KnnWeights::Uniform
            }
        );
        assert_eq!(
            EstimatorSpec::default_for("elastic_net").unwrap(),
            EstimatorSpec::ElasticNet {
                alpha: 1.0,
                l1_ratio: 0.5
            }
        );
        assert_eq!(
            spec(json!({"estimator": "ridge", "alpha": 0.25})),
            EstimatorSpec::Ridge { alpha: 0.25 }
        );
        assert_eq!(
            spec(json!({"estimator": "knn_classifier", "weights": "distance"})).class_name(),
            "KNeighborsClassifier"
        );
    }

    #[test]
    fn spec_errors_name_the_problem() {
        let e = message(EstimatorSpec::default_for("svm"));
        assert!(
            e.contains("\"svm\"") && e.contains("ridge, lasso, elastic_net"),
            "{e}"
        );
        let e = message(EstimatorSpec::from_json(&json!({"estimator": "forest"})));
        assert!(e.contains("random_forest_classifier"), "{e}");
        let e = message(EstimatorSpec::from_json(
            &json!({"estimator": "ridge", "alpah": 1}),
        ));
        assert!(e.contains("unknown field `alpah`, expected `alpha`"), "{e}");
        let e = message(EstimatorSpec::from_json(
            &json!({"estimator": "knn_classifier", "k": 3, "weights": "far"}),
        ));
        assert!(e.contains("\"weights\"") && e.contains("far"), "{e}");
        let e = message(EstimatorSpec::from_json(
            &json!({"estimator": "random_forest_regressor", "n_trees": 70000}),
        ));
        assert!(e.contains("\"n_trees\""), "{e}");
        let e = message(EstimatorSpec::from_json(
            &json!({"estimator": "logistic_regression", "alpha": "big"}),
        ));
        assert!(e.contains("\"alpha\""), "{e}");
        let e = message(EstimatorSpec::from_json(&json!({"alpha": 1})));
        assert!(e.contains("\"estimator\""), "{e}");
        let e = message(EstimatorSpec::from_json(&json!("ridge")));
        assert!(e.contains("JSON object"), "{e}");
        for (value, field) in [
            (json!({"estimator": "ridge", "alpha": -1}), "alpha"),
            (
                json!({"estimator": "elastic_net", "l1_ratio": 1.5}),
                "l1_ratio",
            ),
            (json!({"estimator": "knn_regressor", "k": 0}), "k"),
            (
                json!({"estimator": "random_forest_classifier", "n_trees": 0}),
                "n_trees",
            ),
            (
                json!({"estimator": "decision_tree_regressor", "max_depth": 0}),
                "max_depth",
            ),
            (
                json!({"estimator": "decision_tree_classifier", "min_samples_leaf": 0}),
                "min_samples_leaf",
            ),
            (
                json!({"estimator": "random_forest_regressor", "min_samples_split": 1}),
                "min_samples_split",
            ),
        ] {
            let e = message(EstimatorSpec::from_json(&value));
            assert!(e.contains(&format!("\"{field}\"")), "{value}: {e}");
        }
        // fit checks specs built in code too
        let (data, y) = iris();
        let e = message(fit(
            &EstimatorSpec::LogisticRegression { alpha: f64::NAN },
            data.matrix(),
            classes(&y, 3),
            0,
        ));
        assert!(e.contains("\"alpha\""), "{e}");
    }

    // --- training errors ----------------------------------------------------------------------

    #[test]
    fn fit_errors() {
        let (data, y) = iris();
        let lr = EstimatorSpec::default_for("logistic_regression").unwrap();
        let empty = Matrix {
            data: &[],
            rows: 0,
            cols: 4,
        };
        let e = message(fit(&lr, empty, classes(&[], 3), 0));
        assert!(e.contains("no rows"), "{e}");
        let mut x = data.x.clone();
        x[4 * 10 + 2] = f64::NAN;
        let m = Matrix {
            data: &x,
            rows: data.rows,
            cols: 4,
        };
        let e = message(fit(&lr, m, classes(&y, 3), 0));
        assert!(
            e.contains("non-finite") && e.contains("row 11, column 3"),
            "{e}"
        );
        let ones = vec![1u32; data.rows];
        for name in [
            "logistic_regression",
            "decision_tree_classifier",
            "gaussian_nb",
        ] {
            let s = EstimatorSpec::default_for(name).unwrap();
            let e = message(fit(&s, data.matrix(), classes(&ones, 2), 0));
            assert!(
                e.contains("only one class") && e.contains("at least two"),
                "{e}"
            );
        }
        let e = message(fit(&lr, data.matrix(), classes(&y, 4), 0));
        assert!(e.contains("class index 3 of 4 has no training rows"), "{e}");
        let e = message(fit(&lr, data.matrix(), classes(&y, 2), 0));
        assert!(e.contains("class index 2"), "{e}");
        let knn = spec(json!({"estimator": "knn_classifier", "k": 151}));
        let e = message(fit(&knn, data.matrix(), classes(&y, 3), 0));
        assert!(e.contains("k = 151") && e.contains("150 rows"), "{e}");
        let e = message(fit(&lr, data.matrix(), TargetData::Values(&[1.0; 150]), 0));
        assert!(e.contains("classifier"), "{e}");
        let e = message(fit(&lr, data.matrix(), classes(&y[1..], 3), 0));
        assert!(e.contains("149 values"), "{e}");
        let (reg, target) = diabetes();
        let mut bad = target.clone();
        bad[5] = f64::INFINITY;
        let e = message(fit(
            &EstimatorSpec::LinearRegression {},
            reg.matrix(),
            TargetData::Values(&bad),
            0,
        ));
        assert!(e.contains("row 6"), "{e}");
        let short = Matrix {
            data: &data.x[..10],
            rows: 3,
            cols: 4,
        };
        let e = message(fit(&lr, short, classes(&y[..3], 3), 0));
        assert!(e.contains("10 values"), "{e}");
        // smartcore failures come back as errors naming the estimator
        let few = Matrix {
            data: &reg.x[..30],
            rows: 3,
            cols: 10,
        };
        for name in ["ridge", "linear_regression", "lasso"] {
            let s = EstimatorSpec::default_for(name).unwrap();
            let e = message(fit(&s, few, TargetData::Values(&target[..3]), 0));
            assert!(
                e.contains(s.class_name()) && e.contains("could not be trained"),
                "{e}"
            );
        }
    }

    // --- validate -----------------------------------------------------------------------------

    fn assert_invalid(model: &Fitted, needle: &str) {
        let e = message(model.validate());
        assert!(e.contains(needle), "expected {needle:?} in {e}");
    }

    #[test]
    fn validate_rejects_corrupt_models() {
        let (data, y) = iris();
        let lr = fit(
            &EstimatorSpec::default_for("logistic_regression").unwrap(),
            data.matrix(),
            classes(&y, 3),
            0,
        )
        .unwrap();
        let Fitted::LogisticRegression(m) = &lr else {
            panic!()
        };
        let mut c = m.clone();
        c.coef.pop();
        assert_invalid(&Fitted::LogisticRegression(c), "11 coefficients");
        let mut c = m.clone();
        c.intercept[1] = f64::NAN;
        assert_invalid(&Fitted::LogisticRegression(c), "intercept 1 is NaN");
        let mut c = m.clone();
        c.n_classes = 2;
        assert_invalid(&Fitted::LogisticRegression(c), "coefficients");
        let mut c = m.clone();
        c.n_features = usize::MAX;
        assert_invalid(&Fitted::LogisticRegression(c), "coefficients");

        let tree = fit(
            &spec(json!({"estimator": "decision_tree_classifier"})),
            data.matrix(),
            classes(&y, 3),
            0,
        )
        .unwrap();
        let Fitted::DecisionTreeClassifier(t) = &tree else {
            panic!()
        };
        let inner = t.trees[0].left.iter().position(|&l| l != 0).unwrap();
        let n = t.trees[0].left.len();
        let corrupt = |f: &dyn Fn(&mut TreeEnsemble)| {
            let mut c = t.clone();
            f(&mut c);
            Fitted::DecisionTreeClassifier(c)
        };
        assert_invalid(&corrupt(&|c| c.trees[0].left[inner] = n), "children");
        assert_invalid(&corrupt(&|c| c.trees[0].right[inner] = inner), "children");
        assert_invalid(&corrupt(&|c| c.trees[0].left[3] = 1), "children");
        assert_invalid(&corrupt(&|c| c.trees[0].feature[inner] = 4), "feature 4");
        assert_invalid(
            &corrupt(&|c| c.trees[0].threshold[inner] = f64::NAN),
            "threshold",
        );
        assert_invalid(&corrupt(&|c| c.trees[0].value.truncate(3)), "values");
        assert_invalid(
            &corrupt(&|c| c.trees[0].feature.pop().map(drop).unwrap()),
            "lengths",
        );
        let leaf = t.trees[0].left.iter().rposition(|&l| l == 0).unwrap();
        assert_invalid(&corrupt(&|c| c.trees[0].value[leaf * 3] += 0.5), "leaf");
        assert_invalid(&corrupt(&|c| c.trees.push(c.trees[0].clone())), "2 trees");
        assert_invalid(&corrupt(&|c| c.trees.clear()), "0 trees");
        assert_invalid(&corrupt(&|c| c.n_classes = 1), "1 classes");

        let reg = fit(
            &spec(json!({"estimator": "random_forest_regressor", "n_trees": 3})),
            data.matrix(),
            TargetData::Values(&data.x[..150]),
            0,
        )
        .unwrap();
        let Fitted::RandomForestRegressor(f) = &reg else {
            panic!()
        };
        let mut c = f.clone();
        c.n_classes = 2;
        assert_invalid(
            &Fitted::RandomForestRegressor(c),
            "regressor with 2 classes",
        );
        // A non-finite value at a leaf (a forest's root is an inner node, whose value no
        // prediction reads: the first node without children is).
        let leaf = f.trees[2].left.iter().position(|&l| l == 0).unwrap();
        assert!(leaf > 0, "tree 2 is a stump: pick a deeper tree");
        for v in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            let mut c = f.clone();
            c.trees[2].value[leaf] = v;
            assert_invalid(
                &Fitted::RandomForestRegressor(c),
                &format!("leaf {leaf} has value {v}"),
            );
        }
        let mut c = f.clone();
        let last = c.trees[1].left.len() - 1;
        c.trees[1].left[last] = 1;
        assert_invalid(&Fitted::RandomForestRegressor(c), "tree 1");

        let knn = fit(
            &spec(json!({"estimator": "knn_classifier"})),
            data.matrix(),
            classes(&y, 3),
            0,
        )
        .unwrap();
        let Fitted::KnnClassifier(k) = &knn else {
            panic!()
        };
        let mut c = k.clone();
        c.k = 0;
        assert_invalid(&Fitted::KnnClassifier(c), "k = 0");
        let mut c = k.clone();
        c.k = 151;
        assert_invalid(&Fitted::KnnClassifier(c), "k = 151");
        let mut c = k.clone();
        c.points.pop();
        assert_invalid(&Fitted::KnnClassifier(c), "599 point values");
        let mut c = k.clone();
        c.targets[3] = 3.0;
        assert_invalid(&Fitted::KnnClassifier(c), "not a class index");
        let mut c = k.clone();
        c.targets[3] = 0.5;
        assert_invalid(&Fitted::KnnClassifier(c), "not a class index");

        let nb = fit(
            &EstimatorSpec::GaussianNb {},
            data.matrix(),
            classes(&y, 3),
            0,
        )
        .unwrap();
        let Fitted::GaussianNb(g) = &nb else { panic!() };
        let mut c = g.clone();
        c.variances[5] = 0.0;
        assert_invalid(&Fitted::GaussianNb(c), "variance 0");
        let mut c = g.clone();
        c.priors[0] = -0.1;
        assert_invalid(&Fitted::GaussianNb(c), "prior -0.1");
        let mut c = g.clone();
        c.means.push(1.0);
        assert_invalid(&Fitted::GaussianNb(c), "13 means");

        let linear = Fitted::Ridge(LinearModel {
            coef: vec![1.0, f64::NEG_INFINITY],
            intercept: 0.0,
        });
        assert_invalid(&linear, "coefficient 1 is -inf");
        let linear = Fitted::Lasso(LinearModel {
            coef: vec![],
            intercept: 0.0,
        });
        assert_invalid(&linear, "no coefficients");

        // Unknown fields in the JSON are refused too.
        let mut value = serde_json::to_value(&nb).unwrap();
        value["gaussian_nb"]["extra"] = json!(1);
        assert!(serde_json::from_value::<Fitted>(value).is_err());
    }

    /// A tree whose child points back to an ancestor would loop forever: refused.
    #[test]
    fn validate_rejects_cycles() {
        let tree = Tree {
            feature: vec![0, 0, 0],
            threshold: vec![0.5, 0.5, 0.0],
            left: vec![1, 0, 0],
            right: vec![2, 0, 0],
            value: vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
            missing_left: Vec::new(),
        };
        let ok = Fitted::DecisionTreeClassifier(TreeEnsemble {
            n_features: 1,
            n_classes: 2,
            trees: vec![tree.clone()],
            f32_inputs: false,
        });
        ok.validate().unwrap();
        assert_eq!(proba_of(&ok, &[0.0]), vec![1.0, 0.0]);
        assert_eq!(proba_of(&ok, &[1.0]), vec![0.0, 1.0]);
        // Node 1 becomes an inner node whose left child is itself.
        let mut cyclic = tree;
        cyclic.threshold[1] = 0.5;
        cyclic.left[1] = 1;
        cyclic.right[1] = 2;
        let bad = Fitted::DecisionTreeClassifier(TreeEnsemble {
            n_features: 1,
            n_classes: 2,
            trees: vec![cyclic],
            f32_inputs: false,
        });
        assert_invalid(&bad, "node 1 has children 1 and 2");
    }

    /// Hand-written JSON in the documented format is read and predicted from.
    #[test]
    fn fitted_json_format() {
        let text = r#"{"logistic_regression":{"n_features":2,"n_classes":3,
            "coef":[1.0,0.0,0.0,1.0,-1.0,-1.0],"intercept":[0.0,0.0,0.0]}}"#;
        let model: Fitted = serde_json::from_str(text).unwrap();
        model.validate().unwrap();
        let p = proba_of(&model, &[0.0, 0.0]);
        assert_eq!(p, vec![1.0 / 3.0; 3]);
        let p = proba_of(&model, &[2.0, 0.0]);
        assert!(p[0] > p[1] && p[1] > p[2]);
        assert_eq!(
            model.predict_value(&[0.0, 0.0]).to_bits(),
            f64::NAN.to_bits()
        );
    }

    /// Reference values from scikit-learn 1.9.1 on the same data (LogisticRegression(C=1,
    /// tol=1e-10), GaussianNB(), KNeighborsClassifier(5), Lasso(tol=1e-12), Ridge,
    /// ElasticNet): the hyper-parameters mean the same thing here.
    #[test]
    fn matches_scikit_learn() {
        let close = |ours: &[f64], theirs: &[f64], tol: f64| {
            assert_eq!(ours.len(), theirs.len());
            for (a, b) in ours.iter().zip(theirs) {
                assert!((a - b).abs() <= tol, "{ours:?} vs {theirs:?}");
            }
        };
        let (data, y) = iris();
        let lr = EstimatorSpec::default_for("logistic_regression").unwrap();
        let m = fit(&lr, data.matrix(), classes(&y, 3), 0).unwrap();
        let Fitted::LogisticRegression(c) = &m else {
            panic!()
        };
        #[rustfmt::skip]
        let sk_coef = [
            -0.42350553807794267, 0.9673498593452036, -2.5171537411657474, -1.0793360613631535,
            0.5344595534288595, -0.32158870656154626, -0.20639182962950564, -0.9442973969773316,
            -0.11095401535091098, -0.6457611527836576, 2.7235455707952596, 2.023633458340492,
        ];
        close(&c.coef, &sk_coef, 1e-4);
        close(
            &proba_of(&m, data.row(60)),
            &[
                0.055766839173711044,
                0.9377654924824601,
                0.006467668343828881,
            ],
            1e-5,
        );
        let (b, yb) = iris_binary();
        let m = fit(&lr, b.matrix(), classes(&yb, 2), 0).unwrap();
        let Fitted::LogisticRegression(c) = &m else {
            panic!()
        };
        #[rustfmt::skip]
        let sk_coef = [-0.3944334901596488, -0.5132773950793831, 2.9307513879949503, 2.4170322070086856];
        close(&c.coef, &sk_coef, 1e-6);
        close(&c.intercept, &[-14.430758189858766], 1e-6);

        let nb = fit(
            &EstimatorSpec::GaussianNb {},
            data.matrix(),
            classes(&y, 3),
            0,
        )
        .unwrap();
        let p = proba_of(&nb, data.row(60));
        let sk = [
            1.074993064785575e-41,
            0.999999764931773,
            2.3506822702927002e-07,
        ];
        for (a, b) in p.iter().zip(sk) {
            assert!((a - b).abs() <= 1e-12 * b, "{p:?}");
        }
        let knn = EstimatorSpec::default_for("knn_classifier").unwrap();
        let m = fit(&knn, data.matrix(), classes(&y, 3), 0).unwrap();
        assert_eq!(proba_of(&m, data.row(70)), vec![0.0, 0.4, 0.6]);
        assert_eq!(proba_of(&m, data.row(83)), vec![0.0, 0.2, 0.8]);

        let (d, yd) = diabetes();
        let m = fit(
            &EstimatorSpec::Lasso { alpha: 0.5 },
            d.matrix(),
            TargetData::Values(&yd),
            0,
        )
        .unwrap();
        let Fitted::Lasso(c) = &m else { panic!() };
        #[rustfmt::skip]
        let sk_coef = [0.0, 0.0, 471.0135816438054, 136.51689768206631, 0.0, 0.0,
                       -58.34009251333052, 0.0, 408.0218653849778, 0.0];
        close(&c.coef, &sk_coef, 0.5);
        assert!((c.intercept - 152.13348416289602).abs() < 1e-9);
        let ridge = fit(
            &EstimatorSpec::Ridge { alpha: 3.0 },
            d.matrix(),
            TargetData::Values(&yd),
            0,
        )
        .unwrap();
        assert!((r2(&ridge, &d, &yd) - 0.3442385803267973).abs() < 1e-9);
        let en = EstimatorSpec::ElasticNet {
            alpha: 0.01,
            l1_ratio: 0.3,
        };
        let en = fit(&en, d.matrix(), TargetData::Values(&yd), 0).unwrap();
        assert!((r2(&en, &d, &yd) - 0.34005844678074726).abs() < 1e-4);
    }

    #[test]
    /// smartcore never panicked on these (so fit needs no catch_unwind): each fit is Ok with
    /// valid predictions, or a clear error.
    fn fit_never_panics_on_awkward_data() {
        // (what, x, rows, cols, classes)
        type Case = (&'static str, Vec<f64>, usize, usize, Vec<u32>);
        let cases: Vec<Case> = vec![
            ("one row per class", vec![0.0, 1.0], 2, 1, vec![0, 1]),
            (
                "identical rows, two classes",
                vec![1.0; 8],
                4,
                2,
                vec![0, 1, 0, 1],
            ),
            (
                "constant column",
                vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0],
                4,
                2,
                vec![0, 0, 1, 1],
            ),
            (
                "duplicate columns",
                vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
                4,
                2,
                vec![0, 0, 1, 1],
            ),
            (
                "huge",
                vec![1e300, -1e300, 1e300, 1e300, -1e300, 1e300, -1e300, -1e300],
                4,
                2,
                vec![0, 1, 0, 1],
            ),
            (
                "tiny",
                vec![1e-300, 0.0, 2e-300, 0.0, 3e-300, 0.0, 4e-300, 0.0],
                4,
                2,
                vec![0, 0, 1, 1],
            ),
            (
                "separable",
                vec![0.0, 1.0, 2.0, 3.0, 10.0, 11.0],
                6,
                1,
                vec![0, 0, 0, 1, 1, 1],
            ),
            (
                "adjacent floats",
                vec![
                    1.0,
                    f64::from_bits(1.0f64.to_bits() + 1),
                    1.0,
                    f64::from_bits(1.0f64.to_bits() + 1),
                ],
                4,
                1,
                vec![0, 1, 0, 1],
            ),
            (
                "wide",
                (0..30).map(|i| ((i * 37) % 11) as f64).collect(),
                3,
                10,
                vec![0, 1, 2],
            ),
            (
                "many classes",
                (0..12).map(|i| i as f64).collect(),
                12,
                1,
                (0..12).collect(),
            ),
        ];
        let mut specs: Vec<EstimatorSpec> = EstimatorSpec::names()
            .iter()
            .map(|n| EstimatorSpec::default_for(n).unwrap())
            .collect();
        specs.push(spec(json!({"estimator": "random_forest_classifier", "n_trees": 3, "max_depth": 1, "min_samples_leaf": 3})));
        specs.push(spec(
            json!({"estimator": "decision_tree_regressor", "min_samples_split": 1000}),
        ));
        specs.push(spec(json!({"estimator": "elastic_net", "l1_ratio": 0.0})));
        specs.push(spec(json!({"estimator": "elastic_net", "alpha": 0.0})));
        specs.push(spec(json!({"estimator": "lasso", "alpha": 0.0})));
        specs.push(spec(json!({"estimator": "ridge", "alpha": 0.0})));
        specs.push(spec(
            json!({"estimator": "logistic_regression", "alpha": 0.0}),
        ));
        specs.push(spec(
            json!({"estimator": "knn_regressor", "k": 1, "weights": "distance"}),
        ));
        for (what, x, rows, cols, y) in &cases {
            let m = Matrix {
                data: x,
                rows: *rows,
                cols: *cols,
            };
            let n_classes = *y.iter().max().unwrap() as usize + 1;
            let values: Vec<f64> = y.iter().map(|&c| f64::from(c) * 1.5).collect();
            for s in &specs {
                let target = match s.task() {
                    Task::Classification => classes(y, n_classes),
                    Task::Regression => TargetData::Values(&values),
                };
                let r = std::panic::catch_unwind(|| fit(s, m, target, 3));
                match r {
                    Err(_) => panic!("{what}: {} panicked", s.name()),
                    Ok(Err(e)) => assert!(e.to_string().contains(s.class_name()), "{e}"),
                    Ok(Ok(f)) => {
                        for r in 0..*rows {
                            let row = &x[r * cols..(r + 1) * cols];
                            match f.task() {
                                Task::Classification => {
                                    let p = proba_of(&f, row);
                                    assert!(
                                        (p.iter().sum::<f64>() - 1.0).abs() < 1e-9,
                                        "{what} {} {p:?}",
                                        s.name()
                                    );
                                }
                                Task::Regression => {
                                    let v = f.predict_value(row);
                                    assert!(v.is_finite(), "{what} {}", s.name());
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A constant column (common after a split) gets coefficient 0 and changes nothing else;
    /// smartcore's lasso solver alone would not converge with it.
    #[test]
    fn penalised_models_ignore_constant_columns() {
        let (d, y) = diabetes();
        let mut x = Vec::with_capacity(d.rows * 11);
        for r in 0..d.rows {
            x.extend_from_slice(d.row(r));
            x.push(3.0);
        }
        let wide = Matrix {
            data: &x,
            rows: d.rows,
            cols: 11,
        };
        for s in [
            EstimatorSpec::Ridge { alpha: 0.5 },
            EstimatorSpec::Lasso { alpha: 0.2 },
            EstimatorSpec::ElasticNet {
                alpha: 0.01,
                l1_ratio: 0.5,
            },
        ] {
            let with = fit(&s, wide, TargetData::Values(&y), 0).unwrap();
            let without = fit(&s, d.matrix(), TargetData::Values(&y), 0).unwrap();
            let (Fitted::Ridge(a) | Fitted::Lasso(a) | Fitted::ElasticNet(a)) = &with else {
                panic!()
            };
            let (Fitted::Ridge(b) | Fitted::Lasso(b) | Fitted::ElasticNet(b)) = &without else {
                panic!()
            };
            assert_eq!(a.coef[10], 0.0);
            assert_eq!(&a.coef[..10], &b.coef[..]);
            assert_eq!(a.intercept, b.intercept);
        }
        // Every column constant: the mean.
        let flat = vec![2.0; 10];
        let m = Matrix {
            data: &flat,
            rows: 5,
            cols: 2,
        };
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        let model = fit(
            &EstimatorSpec::Lasso { alpha: 1.0 },
            m,
            TargetData::Values(&values),
            0,
        )
        .unwrap();
        assert_eq!(model.predict_value(&[7.0, -1.0]), 3.0);
    }

    /// The intercept is not penalised: shifting the features does not change the predictions
    /// of the penalised models (diabetes is centred already, so shift it).
    #[test]
    fn penalised_models_are_translation_invariant() {
        let (d, y) = diabetes();
        let shifted: Vec<f64> =
            d.x.iter()
                .enumerate()
                .map(|(i, v)| v + 10.0 * (i % d.cols + 1) as f64)
                .collect();
        let moved = Data {
            x: shifted,
            rows: d.rows,
            cols: d.cols,
        };
        for s in [
            EstimatorSpec::Ridge { alpha: 0.5 },
            EstimatorSpec::Lasso { alpha: 0.2 },
            EstimatorSpec::ElasticNet {
                alpha: 0.01,
                l1_ratio: 0.5,
            },
        ] {
            let a = fit(&s, d.matrix(), TargetData::Values(&y), 0).unwrap();
            let b = fit(&s, moved.matrix(), TargetData::Values(&y), 0).unwrap();
            for r in 0..d.rows {
                let (pa, pb) = (a.predict_value(d.row(r)), b.predict_value(moved.row(r)));
                assert!(
                    (pa - pb).abs() < 1e-6 * pa.abs(),
                    "{}: {pa} vs {pb}",
                    s.name()
                );
            }
        }
    }
}
