//! Pipelines fitted outside mlops-lite (by scikit-learn, read out by the Python package's
//! `mlops_lite/sklearn.py`), bound to a dataset of the registry as artifact format 2.
//!
//! The caller gives [`FittedElsewhere`]: which library fitted it, the input features by name,
//! the target, the classes, the fitted column groups and the fitted estimator, as plain data
//! (JSON, never code). [`pipeline_for`] checks it against the dataset the user names, the way
//! the Python tool's users expect scikit-learn to have been used on it: every feature is a
//! column of the dataset (its dtype is the signature's), the target is one too (and, when not
//! named, the one column that is not a feature), every class is a value of the target, and
//! the whole pipeline passes [`Pipeline::validate`], the check every artifact read from a
//! file passes. The result has no training spec and no metrics (the rows it was fitted on are
//! not known): `reproduce` refuses it, `verify` replays its logged predictions as usual.

use std::collections::HashSet;

use serde::Deserialize;

use crate::dataset::{DType, Dataset};
use crate::error::{Error, Result};
use crate::pipeline::estimator::{Fitted, Task};
use crate::pipeline::metrics::Metrics;
use crate::pipeline::preprocess::FittedGroup;
use crate::pipeline::{label_text, Feature, FittedBy, Lineage, Pipeline, ARTIFACT_FORMAT};

/// A pipeline fitted by another library, as its reader gives it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedElsewhere {
    /// The library and version that fitted it.
    pub fitted_by: FittedBy,
    /// Input features by name, in the order the groups' column indices refer to.
    pub features: Vec<String>,
    /// The target column; `None` when the dataset has exactly one column that is not a feature.
    #[serde(default)]
    pub target: Option<String>,
    /// Class labels in the estimator's output order, as the target's values are written
    /// (`3`, `true`, `setosa`); empty for a regressor.
    #[serde(default)]
    pub classes: Vec<String>,
    /// Fitted column groups.
    pub transformers: Vec<FittedGroup>,
    /// The fitted estimator.
    pub estimator: Fitted,
}

impl FittedElsewhere {
    /// Reads the JSON form the Python package writes; errors name the field.
    pub fn from_json(text: &str) -> Result<FittedElsewhere> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            Error::InvalidArgument(format!(
                "the fitted pipeline is not readable at {}: {}",
                e.path(),
                e.inner()
            ))
        })
    }
}

/// The pipeline `fitted` makes on `data` (the dataset `lineage` names): checked as the module
/// note says, with errors that name the feature, target or class at fault.
pub fn pipeline_for(fitted: FittedElsewhere, data: &Dataset, lineage: Lineage) -> Result<Pipeline> {
    let which = format!("dataset {}@{}", lineage.name, lineage.version);
    let bad = |m: String| Error::InvalidArgument(m);
    let columns: Vec<&str> = data.columns().iter().map(|c| c.name.as_str()).collect();
    let mut signature = Vec::with_capacity(fitted.features.len());
    for name in &fitted.features {
        let column = data.column(name).ok_or_else(|| {
            bad(format!(
                "the pipeline's feature {name:?} is not a column of {which} (its columns: {}); \
                 fit it on that dataset's columns",
                columns.join(", ")
            ))
        })?;
        signature.push(Feature {
            name: name.clone(),
            dtype: column.values.dtype().name().to_string(),
        });
    }
    let target = match fitted.target {
        Some(t) => t,
        None => {
            let features: HashSet<&str> = fitted.features.iter().map(String::as_str).collect();
            let rest: Vec<&str> = columns
                .iter()
                .copied()
                .filter(|c| !features.contains(c))
                .collect();
            match rest.as_slice() {
                [one] => one.to_string(),
                _ => {
                    return Err(bad(format!(
                        "name the target column: {which} has {} columns that are not features \
                         of the pipeline ({})",
                        rest.len(),
                        rest.join(", ")
                    )))
                }
            }
        }
    };
    let target_column = data.column(&target).ok_or_else(|| {
        bad(format!(
            "the target {target:?} is not a column of {which} (its columns: {})",
            columns.join(", ")
        ))
    })?;
    if fitted.features.contains(&target) {
        return Err(bad(format!(
            "the target {target:?} is also a feature of the pipeline"
        )));
    }
    let target_dtype = target_column.values.dtype();
    let task = fitted.estimator.task();
    match task {
        Task::Classification => {
            let values = &target_column.values;
            let seen: HashSet<String> = (0..data.rows())
                .filter(|&i| !values.is_null(i))
                .map(|i| label_text(values, i))
                .collect();
            if let Some(c) = fitted.classes.iter().find(|c| !seen.contains(*c)) {
                return Err(bad(format!(
                    "the classifier's class {c:?} is not a value of the target {target:?} in \
                     {which}; fit it on that dataset's target"
                )));
            }
        }
        Task::Regression => {
            if !matches!(target_dtype, DType::Integer | DType::Float) {
                return Err(bad(format!(
                    "a regressor's target must be numeric, but {target:?} in {which} is {}",
                    target_dtype.name()
                )));
            }
        }
    }
    let pipeline = Pipeline {
        artifact_format: ARTIFACT_FORMAT,
        mlops_lite_version: env!("CARGO_PKG_VERSION").to_string(),
        smartcore_version: String::new(),
        fitted_by: Some(fitted.fitted_by),
        estimator_class: fitted.estimator.class_name().to_string(),
        estimator_type: match task {
            Task::Classification => "classifier",
            Task::Regression => "regressor",
        }
        .to_string(),
        signature,
        target,
        target_dtype: target_dtype.name().to_string(),
        classes: fitted.classes,
        spec: None,
        dataset: lineage,
        metrics: Metrics::default(),
        transformers: fitted.transformers,
        estimator: fitted.estimator,
    };
    pipeline.validate()?;
    Ok(pipeline)
}
