//! Preprocessing: the steps smartcore lacks (SimpleImputer, StandardScaler, MinMaxScaler,
//! OneHotEncoder, OrdinalEncoder) and the ColumnTransformer that routes column groups
//! through chains of them, producing the dense matrix the estimator sees.
//!
//! A group's columns start as numbers (integer, float and boolean features, as f64 with NaN
//! for null) or as strings. Imputers work on both; scalers on numbers; encoders turn strings
//! into numbers. Fitting follows scikit-learn's definitions (population std, `scale = 1` for
//! a constant column, sorted categories, the smallest of tied most-frequent values).
//! Transforming one row allocates nothing: the hot path of every prediction.

use serde::{Deserialize, Serialize};

use super::fields::{FieldError, Fields, FromFields};
use crate::error::{Error, Result};

/// How a SimpleImputer fills missing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImputeStrategy {
    /// The column mean (numbers only).
    Mean,
    /// The column median (numbers only).
    Median,
    /// The most frequent value (smallest of ties).
    MostFrequent,
    /// `fill_value`.
    Constant,
}

/// A preprocessing step as written in a training spec.
///
/// Read by hand (`FromFields`) rather than by serde's derive: see `pipeline/fields.rs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StepSpec {
    /// Fills nulls.
    SimpleImputer {
        /// The strategy.
        strategy: ImputeStrategy,
        /// The value for `constant` (a number for numeric columns, a string for strings).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill_value: Option<serde_json::Value>,
    },
    /// `(x - mean) / std` (population std; a constant column is only centred).
    StandardScaler {},
    /// `(x - min) / (max - min)` into [0, 1] (a constant column maps to 0).
    MinMaxScaler {},
    /// One 0/1 column per category seen in training (sorted); an unseen category or a null
    /// encodes as all zeros.
    OneHotEncoder {},
    /// The category's index among the sorted training categories; unseen or null is -1.
    OrdinalEncoder {},
}

impl StepSpec {
    /// The step's name as written in specs.
    pub fn name(&self) -> &'static str {
        match self {
            StepSpec::SimpleImputer { .. } => "simple_imputer",
            StepSpec::StandardScaler {} => "standard_scaler",
            StepSpec::MinMaxScaler {} => "min_max_scaler",
            StepSpec::OneHotEncoder {} => "one_hot_encoder",
            StepSpec::OrdinalEncoder {} => "ordinal_encoder",
        }
    }
}

impl FromFields for StepSpec {
    fn from_fields(mut f: Fields) -> std::result::Result<Self, FieldError> {
        const STEPS: &[&str] = &[
            "simple_imputer",
            "standard_scaler",
            "min_max_scaler",
            "one_hot_encoder",
            "ordinal_encoder",
        ];
        let step = match f.tag("step", STEPS)? {
            "simple_imputer" => {
                let step = StepSpec::SimpleImputer {
                    strategy: f.need("strategy")?,
                    fill_value: f.or("fill_value", None)?,
                };
                f.finish(&["strategy", "fill_value"])?;
                return Ok(step);
            }
            "standard_scaler" => StepSpec::StandardScaler {},
            "min_max_scaler" => StepSpec::MinMaxScaler {},
            "one_hot_encoder" => StepSpec::OneHotEncoder {},
            _ => StepSpec::OrdinalEncoder {},
        };
        f.finish(&[])?;
        Ok(step)
    }
}

/// A fitted step. Its JSON is `{"step": "standard_scaler", "mean": [..], "scale": [..]}`;
/// reading requires `step` first (as written) and streams the rest straight into the
/// vectors (serde's derived internally tagged form would first buffer the whole object,
/// about 30 bytes of heap per byte of a number list).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FittedStep {
    /// Fill values for numeric columns.
    ImputeNumbers {
        /// One per column.
        fill: Vec<f64>,
    },
    /// Fill values for string columns.
    ImputeStrings {
        /// One per column.
        fill: Vec<String>,
    },
    /// `(x - mean) / scale`.
    StandardScaler {
        /// Column means.
        mean: Vec<f64>,
        /// Column standard deviations (1 where it is 0).
        scale: Vec<f64>,
    },
    /// `(x - min) / scale`.
    MinMaxScaler {
        /// Column minimums.
        min: Vec<f64>,
        /// Column ranges (1 where it is 0).
        scale: Vec<f64>,
    },
    /// One-hot encoding: sorted categories per column.
    OneHotEncoder {
        /// Categories per column.
        categories: Vec<Vec<String>>,
        /// Whether an unseen category (or a null) is an error (scikit-learn's
        /// `handle_unknown="error"`); else it encodes as all zeros.
        #[serde(skip_serializing_if = "super::estimator::is_false")]
        error_on_unknown: bool,
    },
    /// Ordinal encoding: sorted categories per column.
    OrdinalEncoder {
        /// Categories per column.
        categories: Vec<Vec<String>>,
        /// What an unseen category (or a null) becomes: absent for -1 (mlops-lite's
        /// encoder), else scikit-learn's `handle_unknown`/`unknown_value`.
        #[serde(skip_serializing_if = "Option::is_none")]
        unknown: Option<OrdinalUnknown>,
    },
    /// `x * scale + offset`, two roundings (scikit-learn's fitted `MinMaxScaler`:
    /// `X *= scale_; X += min_`).
    MultiplyAdd {
        /// Per column.
        scale: Vec<f64>,
        /// Per column.
        offset: Vec<f64>,
    },
}

/// What scikit-learn's `OrdinalEncoder` does with a category it did not see in training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OrdinalUnknown {
    /// `handle_unknown="error"`: the record is refused.
    Error,
    /// `unknown_value=np.nan`.
    Nan,
    /// `unknown_value=N`.
    Value(f64),
}

/// Why a record could not be transformed.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A null reached the estimator, which needs a value (signature index of the feature).
    Missing(usize),
    /// An encoder that refuses unseen categories met one (feature, the category; None for
    /// a null).
    Unknown(usize, Option<String>),
}

impl Refusal {
    /// The feature's signature index.
    pub fn feature(&self) -> usize {
        match self {
            Refusal::Missing(f) | Refusal::Unknown(f, _) => *f,
        }
    }

    /// What is wrong, after the feature's name.
    pub fn message(&self) -> String {
        match self {
            Refusal::Missing(_) => {
                "is missing (null), and the pipeline has no imputer for it".into()
            }
            Refusal::Unknown(_, Some(c)) => format!(
                "has category {c:?}, which its encoder did not see in training and refuses \
                 (handle_unknown=\"error\")"
            ),
            Refusal::Unknown(_, None) => "is missing (null), which its encoder did not see in \
                 training and refuses (handle_unknown=\"error\")"
                .into(),
        }
    }
}

const FITTED_STEPS: &[&str] = &[
    "impute_numbers",
    "impute_strings",
    "standard_scaler",
    "min_max_scaler",
    "one_hot_encoder",
    "ordinal_encoder",
    "multiply_add",
];

impl<'de> Deserialize<'de> for FittedStep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{self, value::MapAccessDeserializer, MapAccess, Visitor};
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = FittedStep;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a fitted step: an object whose first field is \"step\"")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<FittedStep, A::Error> {
                let key: Option<String> = map.next_key()?;
                if key.as_deref() != Some("step") {
                    return Err(de::Error::custom(
                        "a fitted step must start with its \"step\" field",
                    ));
                }
                let tag: String = map.next_value()?;
                let body = MapAccessDeserializer::new(map);
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Fill<T> {
                    fill: Vec<T>,
                }
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Standard {
                    mean: Vec<f64>,
                    scale: Vec<f64>,
                }
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct MinMax {
                    min: Vec<f64>,
                    scale: Vec<f64>,
                }
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct OneHot {
                    categories: Vec<Vec<String>>,
                    #[serde(default)]
                    error_on_unknown: bool,
                }
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Ordinal {
                    categories: Vec<Vec<String>>,
                    #[serde(default)]
                    unknown: Option<OrdinalUnknown>,
                }
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct MulAdd {
                    scale: Vec<f64>,
                    offset: Vec<f64>,
                }
                Ok(match tag.as_str() {
                    "impute_numbers" => FittedStep::ImputeNumbers {
                        fill: Fill::deserialize(body)?.fill,
                    },
                    "impute_strings" => FittedStep::ImputeStrings {
                        fill: Fill::deserialize(body)?.fill,
                    },
                    "standard_scaler" => {
                        let Standard { mean, scale } = Standard::deserialize(body)?;
                        FittedStep::StandardScaler { mean, scale }
                    }
                    "min_max_scaler" => {
                        let MinMax { min, scale } = MinMax::deserialize(body)?;
                        FittedStep::MinMaxScaler { min, scale }
                    }
                    "one_hot_encoder" => {
                        let OneHot {
                            categories,
                            error_on_unknown,
                        } = OneHot::deserialize(body)?;
                        FittedStep::OneHotEncoder {
                            categories,
                            error_on_unknown,
                        }
                    }
                    "ordinal_encoder" => {
                        let Ordinal {
                            categories,
                            unknown,
                        } = Ordinal::deserialize(body)?;
                        FittedStep::OrdinalEncoder {
                            categories,
                            unknown,
                        }
                    }
                    "multiply_add" => {
                        let MulAdd { scale, offset } = MulAdd::deserialize(body)?;
                        FittedStep::MultiplyAdd { scale, offset }
                    }
                    other => return Err(de::Error::unknown_variant(other, FITTED_STEPS)),
                })
            }
        }
        d.deserialize_map(StepVisitor)
    }
}

/// Whether a group's values are numbers or strings at some point of its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// f64, NaN for null.
    Numbers,
    /// Optional strings.
    Strings,
}

/// Column data flowing through a chain while fitting.
#[derive(Debug, Clone)]
pub enum Block {
    /// Columns of numbers (NaN is null).
    Numbers(Vec<Vec<f64>>),
    /// Columns of optional strings.
    Strings(Vec<Vec<Option<String>>>),
}

impl Block {
    fn kind(&self) -> Kind {
        match self {
            Block::Numbers(_) => Kind::Numbers,
            Block::Strings(_) => Kind::Strings,
        }
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The most frequent value of a sorted slice, the smallest of ties (scikit-learn's rule).
fn most_frequent_sorted<T: Copy + PartialEq>(v: &[T]) -> Option<T> {
    let mut best: Option<(T, usize)> = None;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j] == v[i] {
            j += 1;
        }
        if best.is_none_or(|(_, n)| j - i > n) {
            best = Some((v[i], j - i));
        }
        i = j;
    }
    best.map(|b| b.0)
}

fn most_frequent_f64(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    most_frequent_sorted(&v)
}

fn most_frequent_str(values: &[Option<String>]) -> Option<String> {
    let mut v: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
    v.sort_unstable();
    most_frequent_sorted(&v).map(str::to_string)
}

fn categories(col: &[Option<String>]) -> Vec<String> {
    let mut c: Vec<String> = col.iter().flatten().cloned().collect();
    c.sort_unstable();
    c.dedup();
    c
}

/// Fits `step` on `block` (column names for messages) and transforms it.
pub fn fit_step(step: &StepSpec, block: Block, names: &[String]) -> Result<(FittedStep, Block)> {
    let wrong = |what: &str| {
        Error::InvalidArgument(format!(
            "step {} cannot take {what} columns ({}); {}",
            step.name(),
            names.join(", "),
            match step {
                StepSpec::OneHotEncoder {} | StepSpec::OrdinalEncoder {} =>
                    "encoders take string columns",
                _ => "scalers take numeric columns: put an encoder before them",
            }
        ))
    };
    let fitted = match (step, &block) {
        (
            StepSpec::SimpleImputer {
                strategy,
                fill_value,
            },
            Block::Numbers(cols),
        ) => {
            let mut fill = Vec::with_capacity(cols.len());
            for (c, name) in cols.iter().zip(names) {
                let present: Vec<f64> = c.iter().copied().filter(|x| !x.is_nan()).collect();
                let v = match strategy {
                    ImputeStrategy::Constant => match fill_value {
                        Some(v) => v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                            Error::InvalidArgument(format!(
                                "simple_imputer fill_value {v} must be a number for numeric column {name:?}"
                            ))
                        })?,
                        None => 0.0,
                    },
                    _ if present.is_empty() => {
                        return Err(Error::InvalidArgument(format!(
                            "column {name:?} has only nulls in the training data; an imputer cannot \
                             learn a fill value from it: drop the column or use strategy constant"
                        )))
                    }
                    ImputeStrategy::Mean => present.iter().sum::<f64>() / present.len() as f64,
                    ImputeStrategy::Median => {
                        let mut s = present;
                        s.sort_by(f64::total_cmp);
                        median(&s)
                    }
                    ImputeStrategy::MostFrequent => most_frequent_f64(c).expect("not empty"),
                };
                fill.push(v);
            }
            FittedStep::ImputeNumbers { fill }
        }
        (
            StepSpec::SimpleImputer {
                strategy,
                fill_value,
            },
            Block::Strings(cols),
        ) => {
            let mut fill = Vec::with_capacity(cols.len());
            for (c, name) in cols.iter().zip(names) {
                let v = match strategy {
                    ImputeStrategy::Constant => match fill_value {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        None => "missing_value".to_string(),
                        Some(v) => {
                            return Err(Error::InvalidArgument(format!(
                                "simple_imputer fill_value {v} must be a string for string column {name:?}"
                            )))
                        }
                    },
                    ImputeStrategy::MostFrequent => most_frequent_str(c).ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "column {name:?} has only nulls in the training data; drop it or use strategy constant"
                        ))
                    })?,
                    ImputeStrategy::Mean | ImputeStrategy::Median => {
                        return Err(Error::InvalidArgument(format!(
                            "simple_imputer strategy {:?} needs numbers, but {name:?} is a string column; \
                             use most_frequent or constant",
                            serde_json::to_value(strategy).expect("serializes")
                        )))
                    }
                };
                fill.push(v);
            }
            FittedStep::ImputeStrings { fill }
        }
        (StepSpec::StandardScaler {}, Block::Numbers(cols)) => {
            let (mut mean, mut scale) = (Vec::new(), Vec::new());
            for c in cols {
                let present: Vec<f64> = c.iter().copied().filter(|x| !x.is_nan()).collect();
                let n = present.len().max(1) as f64;
                let m = present.iter().sum::<f64>() / n;
                let var = present.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
                let s = var.sqrt();
                mean.push(m);
                scale.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
            }
            FittedStep::StandardScaler { mean, scale }
        }
        (StepSpec::MinMaxScaler {}, Block::Numbers(cols)) => {
            let (mut min, mut scale) = (Vec::new(), Vec::new());
            for c in cols {
                let lo = c
                    .iter()
                    .copied()
                    .filter(|x| !x.is_nan())
                    .fold(f64::INFINITY, f64::min);
                let hi = c
                    .iter()
                    .copied()
                    .filter(|x| !x.is_nan())
                    .fold(f64::NEG_INFINITY, f64::max);
                let (lo, range) = if lo.is_finite() {
                    (lo, hi - lo)
                } else {
                    (0.0, 1.0)
                };
                min.push(lo);
                scale.push(if range > 0.0 { range } else { 1.0 });
            }
            FittedStep::MinMaxScaler { min, scale }
        }
        (StepSpec::OneHotEncoder {}, Block::Strings(cols)) => FittedStep::OneHotEncoder {
            categories: cols.iter().map(|c| categories(c)).collect(),
            error_on_unknown: false,
        },
        (StepSpec::OrdinalEncoder {}, Block::Strings(cols)) => FittedStep::OrdinalEncoder {
            categories: cols.iter().map(|c| categories(c)).collect(),
            unknown: None,
        },
        (StepSpec::StandardScaler {} | StepSpec::MinMaxScaler {}, Block::Strings(_)) => {
            return Err(wrong("string"))
        }
        (StepSpec::OneHotEncoder {} | StepSpec::OrdinalEncoder {}, Block::Numbers(_)) => {
            return Err(wrong("numeric"))
        }
    };
    let out = fitted.transform_block(block);
    Ok((fitted, out))
}

impl FittedStep {
    /// The kind of values this step takes.
    pub fn input_kind(&self) -> Kind {
        match self {
            FittedStep::ImputeStrings { .. }
            | FittedStep::OneHotEncoder { .. }
            | FittedStep::OrdinalEncoder { .. } => Kind::Strings,
            _ => Kind::Numbers,
        }
    }

    /// The number of columns it takes.
    pub fn width_in(&self) -> usize {
        match self {
            FittedStep::ImputeNumbers { fill } => fill.len(),
            FittedStep::ImputeStrings { fill } => fill.len(),
            FittedStep::StandardScaler { mean, .. } => mean.len(),
            FittedStep::MinMaxScaler { min, .. } => min.len(),
            FittedStep::OneHotEncoder { categories, .. }
            | FittedStep::OrdinalEncoder { categories, .. } => categories.len(),
            FittedStep::MultiplyAdd { scale, .. } => scale.len(),
        }
    }

    /// The number of columns it gives.
    pub fn width_out(&self) -> usize {
        match self {
            FittedStep::OneHotEncoder { categories, .. } => categories.iter().map(Vec::len).sum(),
            other => other.width_in(),
        }
    }

    /// The kind of values it gives.
    pub fn output_kind(&self) -> Kind {
        match self {
            FittedStep::ImputeStrings { .. } => Kind::Strings,
            _ => Kind::Numbers,
        }
    }

    /// The name of the spec step it was fitted from, as written in specs.
    pub fn spec_name(&self) -> &'static str {
        match self {
            FittedStep::ImputeNumbers { .. } | FittedStep::ImputeStrings { .. } => "simple_imputer",
            FittedStep::StandardScaler { .. } => "standard_scaler",
            FittedStep::MinMaxScaler { .. } | FittedStep::MultiplyAdd { .. } => "min_max_scaler",
            FittedStep::OneHotEncoder { .. } => "one_hot_encoder",
            FittedStep::OrdinalEncoder { .. } => "ordinal_encoder",
        }
    }

    /// Checks internal consistency (for artifacts read from untrusted bytes): statistics
    /// vectors of equal length and finite (scales non-zero), categories sorted and without
    /// duplicates. The message names the field and the column (by position in the group).
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidArgument(format!("{} {m}", self.spec_name())));
        let non_finite = |what: &str, v: &[f64]| {
            v.iter()
                .position(|x| !x.is_finite())
                .map(|i| format!("{what}[{i}] is {} (must be finite)", v[i]))
        };
        match self {
            FittedStep::ImputeNumbers { fill } => match non_finite("fill", fill) {
                Some(m) => bad(m),
                None => Ok(()),
            },
            FittedStep::ImputeStrings { .. } => Ok(()),
            FittedStep::StandardScaler { mean, scale }
            | FittedStep::MinMaxScaler { min: mean, scale } => {
                let first = if matches!(self, FittedStep::StandardScaler { .. }) {
                    "mean"
                } else {
                    "min"
                };
                if mean.len() != scale.len() {
                    return bad(format!(
                        "has {} {first} values but {} scale values (one each per column)",
                        mean.len(),
                        scale.len()
                    ));
                }
                if let Some(m) = non_finite(first, mean).or_else(|| non_finite("scale", scale)) {
                    return bad(m);
                }
                match scale.iter().position(|&x| x == 0.0) {
                    Some(i) => bad(format!("scale[{i}] is 0 (must be non-zero)")),
                    None => Ok(()),
                }
            }
            FittedStep::MultiplyAdd { scale, offset } => {
                if scale.len() != offset.len() {
                    return bad(format!(
                        "has {} scale values but {} offset values (one each per column)",
                        scale.len(),
                        offset.len()
                    ));
                }
                match non_finite("scale", scale).or_else(|| non_finite("offset", offset)) {
                    Some(m) => bad(m),
                    None => Ok(()),
                }
            }
            FittedStep::OneHotEncoder { categories, .. }
            | FittedStep::OrdinalEncoder { categories, .. } => {
                if let FittedStep::OrdinalEncoder {
                    unknown: Some(OrdinalUnknown::Value(v)),
                    ..
                } = self
                {
                    if !v.is_finite() {
                        return bad(format!("unknown value {v} (must be finite)"));
                    }
                }
                for (c, cats) in categories.iter().enumerate() {
                    if let Some(i) = cats.windows(2).position(|w| w[0] >= w[1]) {
                        let what = if cats[i] == cats[i + 1] {
                            "is listed twice"
                        } else {
                            "is out of order (categories are sorted)"
                        };
                        return bad(format!(
                            "categories[{c}]: category {:?} {what}",
                            cats[i + 1]
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    fn transform_block(&self, block: Block) -> Block {
        match (self, block) {
            (FittedStep::ImputeNumbers { fill }, Block::Numbers(mut cols)) => {
                for (c, f) in cols.iter_mut().zip(fill) {
                    c.iter_mut().filter(|x| x.is_nan()).for_each(|x| *x = *f);
                }
                Block::Numbers(cols)
            }
            (FittedStep::ImputeStrings { fill }, Block::Strings(mut cols)) => {
                for (c, f) in cols.iter_mut().zip(fill) {
                    c.iter_mut()
                        .filter(|x| x.is_none())
                        .for_each(|x| *x = Some(f.clone()));
                }
                Block::Strings(cols)
            }
            (
                FittedStep::StandardScaler { mean, scale }
                | FittedStep::MinMaxScaler { min: mean, scale },
                Block::Numbers(mut cols),
            ) => {
                for ((c, m), s) in cols.iter_mut().zip(mean).zip(scale) {
                    c.iter_mut().for_each(|x| *x = (*x - m) / s);
                }
                Block::Numbers(cols)
            }
            (FittedStep::OneHotEncoder { categories, .. }, Block::Strings(cols)) => {
                let mut out = Vec::new();
                for (c, cats) in cols.iter().zip(categories) {
                    for cat in cats {
                        out.push(
                            c.iter()
                                .map(|v| (v.as_deref() == Some(cat.as_str())) as u8 as f64)
                                .collect(),
                        );
                    }
                }
                Block::Numbers(out)
            }
            (FittedStep::OrdinalEncoder { categories, .. }, Block::Strings(cols)) => {
                Block::Numbers(
                    cols.iter()
                        .zip(categories)
                        .map(|(c, cats)| c.iter().map(|v| ordinal(cats, v.as_deref())).collect())
                        .collect(),
                )
            }
            (_, block) => block,
        }
    }
}

fn ordinal(cats: &[String], v: Option<&str>) -> f64 {
    match v {
        Some(v) => cats
            .binary_search_by(|c| c.as_str().cmp(v))
            .map_or(-1.0, |i| i as f64),
        None => -1.0,
    }
}

/// A group of input columns and the chain of steps it goes through, as written in a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// A name for messages (e.g. `num`, `cat`).
    pub name: String,
    /// The input columns, by name.
    pub columns: Vec<String>,
    /// The steps, in order (may be empty: pass-through).
    #[serde(default, deserialize_with = "super::fields::small_objects")]
    pub steps: Vec<StepSpec>,
}

/// A fitted group: input feature indices (into the model's signature) and fitted steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedGroup {
    /// Its name.
    pub name: String,
    /// Indices into the model's input signature.
    pub columns: Vec<usize>,
    /// Whether its inputs are numbers or strings.
    pub input: Kind,
    /// Fitted steps, in order.
    pub steps: Vec<FittedStep>,
}

impl FittedGroup {
    /// The number of output columns.
    pub fn width_out(&self) -> usize {
        self.steps
            .last()
            .map_or(self.columns.len(), FittedStep::width_out)
    }

    /// Checks that the chain is consistent: at least one column, column indices below
    /// `n_features`, kinds and widths match from step to step, and the output is numbers.
    /// Messages name the group and the step.
    pub fn validate(&self, n_features: usize) -> Result<()> {
        let bad = |m: String| {
            Err(Error::InvalidArgument(format!(
                "group {:?}: {m}",
                self.name
            )))
        };
        if self.columns.is_empty() {
            return bad("it has no columns".into());
        }
        if let Some(c) = self.columns.iter().find(|&&c| c >= n_features) {
            return bad(format!(
                "column index {c} is not below the {n_features} input features"
            ));
        }
        let (mut kind, mut width) = (self.input, self.columns.len());
        let kind_name = |k: Kind| match k {
            Kind::Numbers => "numbers",
            Kind::Strings => "strings",
        };
        for (i, s) in self.steps.iter().enumerate() {
            if let Err(e) = s.validate() {
                return bad(format!("steps[{i}]: {e}"));
            }
            if s.input_kind() != kind {
                return bad(format!(
                    "steps[{i}] ({}) takes {} but is given {}",
                    s.spec_name(),
                    kind_name(s.input_kind()),
                    kind_name(kind)
                ));
            }
            if s.width_in() != width {
                return bad(format!(
                    "steps[{i}] ({}) is fitted for {} columns but is given {width}",
                    s.spec_name(),
                    s.width_in()
                ));
            }
            kind = s.output_kind();
            width = s.width_out();
        }
        if kind != Kind::Numbers {
            return bad("its output is strings; end string columns with an encoder".into());
        }
        Ok(())
    }
}

/// One row of input: numbers by feature (NaN for null or for a string feature) and strings
/// by feature (None for null or for a numeric feature).
pub struct RowInput<'r> {
    /// Numeric values, one per signature feature.
    pub numbers: &'r [f64],
    /// String values, one per signature feature.
    pub strings: &'r [Option<&'r str>],
}

/// Scratch buffers reused from row to row, so a numeric transform allocates nothing.
#[derive(Default)]
pub struct Scratch {
    pub(super) nums: Vec<f64>,
    pub(super) next: Vec<f64>,
    /// The estimator's buffers (see `Pipeline::predict_row`).
    pub(super) work: super::estimator::ChunkWork,
}

impl FittedGroup {
    /// Transforms one row, appending this group's outputs to `out`. A null that reaches the
    /// end of the chain (no imputer) is an error giving the feature's signature index.
    pub fn transform_row(
        &self,
        row: &RowInput<'_>,
        scratch: &mut Scratch,
        out: &mut Vec<f64>,
    ) -> std::result::Result<(), Refusal> {
        self.transform_record(row, scratch, false)?;
        out.extend_from_slice(&scratch.nums);
        Ok(())
    }

    /// [`FittedGroup::transform_row`], leaving the outputs in `scratch.nums`; with
    /// `allow_missing` (an estimator that routes NaN), a null may reach the end.
    pub(super) fn transform_record(
        &self,
        row: &RowInput<'_>,
        scratch: &mut Scratch,
        allow_missing: bool,
    ) -> std::result::Result<(), Refusal> {
        scratch.nums.clear();
        // String groups borrow from both the row and the fitted fill values.
        let mut strs: Vec<Option<&str>> = Vec::new();
        match self.input {
            Kind::Numbers => scratch
                .nums
                .extend(self.columns.iter().map(|&c| row.numbers[c])),
            Kind::Strings => strs.extend(self.columns.iter().map(|&c| row.strings[c])),
        }
        for step in &self.steps {
            match step {
                FittedStep::ImputeNumbers { fill } => {
                    for (x, f) in scratch.nums.iter_mut().zip(fill) {
                        if x.is_nan() {
                            *x = *f;
                        }
                    }
                }
                FittedStep::ImputeStrings { fill } => {
                    for (x, f) in strs.iter_mut().zip(fill) {
                        if x.is_none() {
                            *x = Some(f.as_str());
                        }
                    }
                }
                FittedStep::StandardScaler { mean, scale }
                | FittedStep::MinMaxScaler { min: mean, scale } => {
                    for ((x, m), s) in scratch.nums.iter_mut().zip(mean).zip(scale) {
                        *x = (*x - m) / s;
                    }
                }
                FittedStep::MultiplyAdd { scale, offset } => {
                    for ((x, s), o) in scratch.nums.iter_mut().zip(scale).zip(offset) {
                        *x = *x * s + o;
                    }
                }
                FittedStep::OneHotEncoder {
                    categories,
                    error_on_unknown,
                } => {
                    scratch.next.clear();
                    for (j, (v, cats)) in strs.iter().zip(categories).enumerate() {
                        let hit = v.and_then(|v| cats.binary_search_by(|c| c.as_str().cmp(v)).ok());
                        if hit.is_none() && *error_on_unknown {
                            return Err(self.unknown(j, *v));
                        }
                        for i in 0..cats.len() {
                            scratch.next.push((hit == Some(i)) as u8 as f64);
                        }
                    }
                    std::mem::swap(&mut scratch.nums, &mut scratch.next);
                }
                FittedStep::OrdinalEncoder {
                    categories,
                    unknown,
                } => {
                    scratch.nums.clear();
                    for (j, (v, cats)) in strs.iter().zip(categories).enumerate() {
                        let hit = v.and_then(|v| cats.binary_search_by(|c| c.as_str().cmp(v)).ok());
                        scratch.nums.push(match (hit, unknown) {
                            (Some(i), _) => i as f64,
                            (None, None) => -1.0,
                            (None, Some(OrdinalUnknown::Nan)) => f64::NAN,
                            (None, Some(OrdinalUnknown::Value(x))) => *x,
                            (None, Some(OrdinalUnknown::Error)) => return Err(self.unknown(j, *v)),
                        });
                    }
                }
            }
        }
        if allow_missing {
            return Ok(());
        }
        if let Some(i) = scratch.nums.iter().position(|x| x.is_nan()) {
            // Only a pass-through or scaled numeric input can still be NaN here, and those
            // keep one output per input column (an ordinal encoder keeps one too).
            return Err(Refusal::Missing(
                self.columns
                    .get(i)
                    .or(self.columns.first())
                    .copied()
                    .unwrap_or(0),
            ));
        }
        Ok(())
    }

    fn unknown(&self, j: usize, v: Option<&str>) -> Refusal {
        Refusal::Unknown(
            self.columns.get(j).copied().unwrap_or(0),
            v.map(String::from),
        )
    }

    /// Whether [`FittedGroup::transform_columns`] can run this group: numeric inputs and
    /// numeric steps only (imputer, scalers), so one output column per input column.
    pub(super) fn is_numeric(&self) -> bool {
        self.input == Kind::Numbers
            && self.steps.iter().all(|s| {
                matches!(
                    s,
                    FittedStep::ImputeNumbers { .. }
                        | FittedStep::StandardScaler { .. }
                        | FittedStep::MinMaxScaler { .. }
                        | FittedStep::MultiplyAdd { .. }
                )
            })
    }

    /// Runs a numeric group ([`FittedGroup::is_numeric`]) over `m` records in columns, in
    /// place: `x[j * m + i]` is input column j of record i, and becomes output column j. The
    /// same arithmetic as [`FittedGroup::transform_row`], value by value, in loops over
    /// records that the compiler vectorises. Nulls left at the end stay NaN in `x`.
    pub(super) fn transform_columns(&self, x: &mut [f64], m: usize) {
        if m == 0 {
            return;
        }
        for step in &self.steps {
            match step {
                FittedStep::ImputeNumbers { fill } => {
                    for (col, f) in x.chunks_exact_mut(m).zip(fill) {
                        mlops_lite_kernels::impute_nan(col, *f);
                    }
                }
                FittedStep::StandardScaler { mean, scale }
                | FittedStep::MinMaxScaler { min: mean, scale } => {
                    for ((col, mu), s) in x.chunks_exact_mut(m).zip(mean).zip(scale) {
                        mlops_lite_kernels::center_scale(col, *mu, *s);
                    }
                }
                FittedStep::MultiplyAdd { scale, offset } => {
                    for ((col, s), o) in x.chunks_exact_mut(m).zip(scale).zip(offset) {
                        for x in col {
                            *x = *x * s + o;
                        }
                    }
                }
                // Not numeric: `is_numeric` keeps such groups on the record path.
                _ => {}
            }
        }
    }
}

/// Fits a group on training columns; returns the fitted group and its output columns.
pub fn fit_group(
    spec: &GroupSpec,
    columns: Vec<usize>,
    input: Block,
) -> Result<(FittedGroup, Vec<Vec<f64>>)> {
    let kind = input.kind();
    let mut block = input;
    let mut steps = Vec::with_capacity(spec.steps.len());
    let mut names = spec.columns.clone();
    for s in &spec.steps {
        let (fitted, out) = fit_step(s, block, &names)
            .map_err(|e| Error::InvalidArgument(format!("transformer {:?}: {e}", spec.name)))?;
        if let FittedStep::OneHotEncoder { categories, .. } = &fitted {
            names = names
                .iter()
                .zip(categories)
                .flat_map(|(n, cats)| cats.iter().map(move |c| format!("{n}={c}")))
                .collect();
        }
        steps.push(fitted);
        block = out;
    }
    let cols = match block {
        Block::Numbers(cols) => cols,
        Block::Strings(_) => {
            return Err(Error::InvalidArgument(format!(
                "transformer {:?} leaves string columns ({}); end it with one_hot_encoder or ordinal_encoder",
                spec.name,
                spec.columns.join(", ")
            )))
        }
    };
    Ok((
        FittedGroup {
            name: spec.name.clone(),
            columns,
            input: kind,
            steps,
        },
        cols,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(cols: &[&[f64]]) -> Block {
        Block::Numbers(cols.iter().map(|c| c.to_vec()).collect())
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn imputers_match_sklearn() {
        let nan = f64::NAN;
        let data: &[f64] = &[1.0, nan, 3.0, 10.0, 3.0];
        for (strategy, expect) in [
            (ImputeStrategy::Mean, 17.0 / 4.0),
            (ImputeStrategy::Median, 3.0),
            (ImputeStrategy::MostFrequent, 3.0),
            (ImputeStrategy::Constant, 0.0),
        ] {
            let (f, out) = fit_step(
                &StepSpec::SimpleImputer {
                    strategy,
                    fill_value: None,
                },
                nums(&[data]),
                &names(1),
            )
            .unwrap();
            assert_eq!(f, FittedStep::ImputeNumbers { fill: vec![expect] });
            let Block::Numbers(c) = out else { panic!() };
            assert_eq!(c[0][1], expect);
        }
        let s = Block::Strings(vec![vec![
            Some("b".into()),
            None,
            Some("a".into()),
            Some("b".into()),
            Some("a".into()),
        ]]);
        let (f, _) = fit_step(
            &StepSpec::SimpleImputer {
                strategy: ImputeStrategy::MostFrequent,
                fill_value: None,
            },
            s.clone(),
            &names(1),
        )
        .unwrap();
        assert_eq!(
            f,
            FittedStep::ImputeStrings {
                fill: vec!["a".into()]
            },
            "ties go to the smallest"
        );
        let e = fit_step(
            &StepSpec::SimpleImputer {
                strategy: ImputeStrategy::Median,
                fill_value: None,
            },
            s,
            &names(1),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("use most_frequent or constant"),
            "{e}"
        );
        let e = fit_step(
            &StepSpec::SimpleImputer {
                strategy: ImputeStrategy::Mean,
                fill_value: None,
            },
            nums(&[&[nan, nan]]),
            &names(1),
        )
        .unwrap_err();
        assert!(e.to_string().contains("only nulls"), "{e}");
    }

    #[test]
    fn scalers_match_sklearn_and_handle_constant_columns() {
        let (f, out) = fit_step(
            &StepSpec::StandardScaler {},
            nums(&[&[1.0, 2.0, 3.0, 4.0], &[5.0; 4]]),
            &names(2),
        )
        .unwrap();
        let FittedStep::StandardScaler { mean, scale } = &f else {
            panic!()
        };
        assert_eq!(mean, &vec![2.5, 5.0]);
        assert_eq!(scale[0], 1.25f64.sqrt());
        assert_eq!(scale[1], 1.0);
        let Block::Numbers(c) = out else { panic!() };
        assert_eq!(c[1], vec![0.0; 4]);
        let (_, out) = fit_step(
            &StepSpec::MinMaxScaler {},
            nums(&[&[2.0, 4.0, 3.0]]),
            &names(1),
        )
        .unwrap();
        let Block::Numbers(c) = out else { panic!() };
        assert_eq!(c[0], vec![0.0, 1.0, 0.5]);
    }

    #[test]
    fn encoders_sort_categories_and_unseen_is_zeros() {
        let s = Block::Strings(vec![vec![Some("red".into()), Some("blue".into()), None]]);
        let (f, out) = fit_step(&StepSpec::OneHotEncoder {}, s.clone(), &names(1)).unwrap();
        assert_eq!(
            f,
            FittedStep::OneHotEncoder {
                categories: vec![vec!["blue".into(), "red".into()]],
                error_on_unknown: false,
            }
        );
        let Block::Numbers(c) = out else { panic!() };
        assert_eq!(c, vec![vec![0.0, 1.0, 0.0], vec![1.0, 0.0, 0.0]]);
        let g = FittedGroup {
            name: "cat".into(),
            columns: vec![0],
            input: Kind::Strings,
            steps: vec![f],
        };
        g.validate(1).unwrap();
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        let strings = [Some("green")];
        g.transform_row(
            &RowInput {
                numbers: &[f64::NAN],
                strings: &strings,
            },
            &mut scratch,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, vec![0.0, 0.0]);
        let (f, _) = fit_step(&StepSpec::OrdinalEncoder {}, s, &names(1)).unwrap();
        let g = FittedGroup {
            name: "ord".into(),
            columns: vec![0],
            input: Kind::Strings,
            steps: vec![f],
        };
        out.clear();
        let strings = [Some("red")];
        g.transform_row(
            &RowInput {
                numbers: &[f64::NAN],
                strings: &strings,
            },
            &mut scratch,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, vec![1.0]);
        let e = fit_step(
            &StepSpec::StandardScaler {},
            Block::Strings(vec![vec![None]]),
            &names(1),
        )
        .unwrap_err();
        assert!(e.to_string().contains("put an encoder before them"), "{e}");
    }

    #[test]
    fn row_transform_equals_block_transform_and_reports_unfilled_nulls() {
        let spec = GroupSpec {
            name: "num".into(),
            columns: names(2),
            steps: vec![
                StepSpec::SimpleImputer {
                    strategy: ImputeStrategy::Median,
                    fill_value: None,
                },
                StepSpec::StandardScaler {},
            ],
        };
        let data = nums(&[&[1.0, f64::NAN, 7.0], &[0.5, 0.25, 2.0]]);
        let (g, cols) = fit_group(&spec, vec![0, 1], data).unwrap();
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        g.transform_row(
            &RowInput {
                numbers: &[f64::NAN, 0.25],
                strings: &[None, None],
            },
            &mut scratch,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, vec![cols[0][1], cols[1][1]]);
        let bare = FittedGroup {
            name: "raw".into(),
            columns: vec![0, 1],
            input: Kind::Numbers,
            steps: vec![],
        };
        out.clear();
        let e = bare.transform_row(
            &RowInput {
                numbers: &[1.0, f64::NAN],
                strings: &[None, None],
            },
            &mut scratch,
            &mut out,
        );
        assert_eq!(e, Err(Refusal::Missing(1)));
        let broken = FittedGroup {
            steps: vec![FittedStep::StandardScaler {
                mean: vec![0.0],
                scale: vec![1.0],
            }],
            ..bare
        };
        assert!(broken.validate(2).is_err());
    }

    #[test]
    fn scikit_learn_encoders_and_multiply_add() {
        let cats = vec![vec!["a".to_string(), "b".to_string()]];
        let run = |step: FittedStep, v: Option<&str>| {
            let g = FittedGroup {
                name: "g".into(),
                columns: vec![0],
                input: Kind::Strings,
                steps: vec![step],
            };
            g.validate(1).unwrap();
            let mut out = Vec::new();
            let mut scratch = Scratch::default();
            let strings = [v];
            let row = RowInput {
                numbers: &[f64::NAN],
                strings: &strings,
            };
            let r = g.transform_record(&row, &mut scratch, true);
            r.map(|()| {
                out.extend_from_slice(&scratch.nums);
                out
            })
        };
        let ordinal = |unknown| FittedStep::OrdinalEncoder {
            categories: cats.clone(),
            unknown,
        };
        assert_eq!(run(ordinal(None), Some("z")), Ok(vec![-1.0]));
        assert_eq!(
            run(ordinal(Some(OrdinalUnknown::Value(-7.0))), Some("z")),
            Ok(vec![-7.0])
        );
        assert!(run(ordinal(Some(OrdinalUnknown::Nan)), None).unwrap()[0].is_nan());
        assert_eq!(
            run(ordinal(Some(OrdinalUnknown::Error)), Some("z")),
            Err(Refusal::Unknown(0, Some("z".into())))
        );
        assert_eq!(
            run(ordinal(Some(OrdinalUnknown::Error)), Some("b")),
            Ok(vec![1.0])
        );
        let onehot = |error_on_unknown| FittedStep::OneHotEncoder {
            categories: cats.clone(),
            error_on_unknown,
        };
        assert_eq!(run(onehot(false), None), Ok(vec![0.0, 0.0]));
        assert_eq!(run(onehot(true), None), Err(Refusal::Unknown(0, None)));
        assert!(Refusal::Unknown(0, Some("z".into()))
            .message()
            .contains("has category \"z\", which its encoder did not see in training"));
        // JSON: the policies are written only when they differ from mlops-lite's own.
        let json = |s: &FittedStep| serde_json::to_string(s).unwrap();
        assert_eq!(
            json(&ordinal(None)),
            r#"{"step":"ordinal_encoder","categories":[["a","b"]]}"#
        );
        for s in [
            ordinal(Some(OrdinalUnknown::Nan)),
            ordinal(Some(OrdinalUnknown::Value(2.0))),
            onehot(true),
        ] {
            assert_eq!(serde_json::from_str::<FittedStep>(&json(&s)).unwrap(), s);
        }
        let bad = ordinal(Some(OrdinalUnknown::Value(f64::INFINITY)));
        assert!(bad.validate().is_err());
        // multiply_add: x * scale + offset, record by record and by columns alike.
        let g = FittedGroup {
            name: "m".into(),
            columns: vec![0],
            input: Kind::Numbers,
            steps: vec![FittedStep::MultiplyAdd {
                scale: vec![0.1],
                offset: vec![-0.3],
            }],
        };
        assert!(g.is_numeric());
        let mut x = vec![1.0, 7.5];
        g.transform_columns(&mut x, 2);
        assert_eq!(x, vec![1.0 * 0.1 - 0.3, 7.5 * 0.1 - 0.3]);
        let mut out = Vec::new();
        g.transform_row(
            &RowInput {
                numbers: &[7.5],
                strings: &[None],
            },
            &mut Scratch::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, vec![x[1]]);
    }
}
