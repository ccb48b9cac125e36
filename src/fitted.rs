//! Pipelines fitted outside mlops-lite (by scikit-learn, read out by the Python package's
//! `mlops_lite/sklearn.py`), bound to a dataset of the registry as artifact format 2. Native
//! builds only: WebAssembly runs such pipelines (the artifact is data) but does not bind them.
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
        // Its artifact would be about as large: refused before reading, as the bind would.
        crate::pipeline::check_artifact_size(text.len(), crate::pipeline::MAX_ARTIFACT_BYTES)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::samples;
    use serde_json::json;

    const FEATURES: [&str; 4] = [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ];

    fn lineage() -> Lineage {
        Lineage {
            name: "iris".into(),
            version: 1,
            md5: "0".repeat(32),
        }
    }

    /// A scikit-learn-like iris pipeline: scaler, then a one-vs-rest-free logistic model.
    fn iris_fitted() -> serde_json::Value {
        json!({
            "fitted_by": {"library": "scikit-learn", "version": "1.9.1"},
            "features": FEATURES,
            "classes": ["setosa", "versicolor", "virginica"],
            "transformers": [{"name": "all", "columns": [0, 1, 2, 3], "input": "numbers",
                "steps": [{"step": "standard_scaler", "mean": [5.8, 3.0, 3.7, 1.2],
                           "scale": [0.8, 0.4, 1.7, 0.7]}]}],
            "estimator": {"logistic_regression": {"n_features": 4, "n_classes": 3,
                "coef": [-1.0, 1.0, -2.0, -2.0, 0.5, -0.3, -0.2, -0.7, 0.5, -0.7, 2.2, 2.7],
                "intercept": [-0.2, 2.0, -1.8]}}
        })
    }

    fn bind(v: &serde_json::Value) -> Result<Pipeline> {
        let (_, data) = samples::sample("iris").unwrap();
        pipeline_for(
            FittedElsewhere::from_json(&v.to_string())?,
            &data,
            lineage(),
        )
    }

    fn message(v: &serde_json::Value) -> String {
        bind(v).unwrap_err().to_string()
    }

    #[test]
    fn a_consistent_pipeline_becomes_a_format_2_artifact_that_round_trips() {
        let p = bind(&iris_fitted()).unwrap();
        assert_eq!((p.artifact_format, p.target.as_str()), (2, "target"));
        assert_eq!(p.signature[0].dtype, "Float64");
        assert_eq!(p.estimator_class, "LogisticRegression");
        assert!(p.spec.is_none() && p.metrics == Metrics::default());
        let bytes = p.to_artifact();
        assert_eq!(Pipeline::from_artifact(&bytes).unwrap(), p);
        assert!(p
            .trained_spec()
            .unwrap_err()
            .to_string()
            .contains("fitted by scikit-learn 1.9.1 outside mlops-lite"));
    }

    #[test]
    fn features_target_and_classes_are_checked_against_the_dataset() {
        let mut v = iris_fitted();
        v["features"][3] = json!("petal_width");
        assert!(message(&v).starts_with(
            "the pipeline's feature \"petal_width\" is not a column of dataset iris@1"
        ));
        let mut v = iris_fitted();
        v["classes"][0] = json!("SETOSA");
        assert!(message(&v)
            .contains("the classifier's class \"SETOSA\" is not a value of the target \"target\""));
        let mut v = iris_fitted();
        v["target"] = json!("species");
        assert!(message(&v).contains("the target \"species\" is not a column of dataset iris@1"));
        let mut v = iris_fitted();
        v["target"] = json!("petal width (cm)");
        assert!(message(&v).contains("is also a feature of the pipeline"));
        let mut v = iris_fitted();
        v["features"] = json!(&FEATURES[..3]);
        v["transformers"][0]["columns"] = json!([0, 1, 2]);
        assert!(message(&v).contains(
            "name the target column: dataset iris@1 has 2 columns that are not features of the \
             pipeline (petal width (cm), target)"
        ));
        let mut v = iris_fitted();
        v["estimator"] =
            json!({"linear_regression": {"coef": [1.0, 1.0, 1.0, 1.0], "intercept": 0.0}});
        v["classes"] = json!([]);
        assert!(message(&v).contains("a regressor's target must be numeric"));
        // The whole artifact check runs too: widths, classes against outputs.
        let mut v = iris_fitted();
        v["classes"] = json!(["setosa", "versicolor"]);
        assert!(message(&v).contains("2 class labels but the estimator gives 3 outputs"));
        let mut v = iris_fitted();
        v["surprise"] = json!(1);
        assert!(message(&v).contains("unknown field `surprise`"));
    }

    #[test]
    fn format_2_fields_are_checked_when_read_from_a_file() {
        let p = bind(&iris_fitted()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&p.to_artifact()).unwrap();
        let read = |v: &serde_json::Value| {
            Pipeline::from_artifact(v.to_string().as_bytes())
                .unwrap_err()
                .to_string()
        };
        let mut bad = v.clone();
        bad["artifact_format"] = json!(1);
        assert!(read(&bad).contains("fitted_by is set in an artifact of format 1"));
        let mut bad = v.clone();
        bad["metrics"] = json!({"n_train": 10, "n_test": 0});
        assert!(read(&bad).contains("metrics are given for a pipeline fitted outside"));
        let mut bad = v.clone();
        bad.as_object_mut().unwrap().remove("fitted_by");
        assert!(read(&bad).contains("spec is missing and no fitted_by says why"));
    }

    fn tree(threshold: serde_json::Value, missing: serde_json::Value) -> serde_json::Value {
        json!({"feature": [2, 0, 0], "threshold": threshold, "left": [1, 0, 0],
               "right": [2, 0, 0], "value": [0.0, -1.0, 1.0], "missing_left": missing})
    }

    fn boosted_regressor(t: serde_json::Value) -> serde_json::Value {
        let mut v = iris_fitted();
        v["target"] = json!("petal width (cm)");
        v["features"] = json!(&FEATURES[..3]);
        v["transformers"] =
            json!([{"name": "all", "columns": [0, 1, 2], "input": "numbers", "steps": []}]);
        v["classes"] = json!([]);
        v["estimator"] = json!({"hist_gradient_boosting_regressor": {"n_features": 3,
            "n_classes": 0, "baseline": [0.5], "trees": [t]}});
        v
    }

    #[test]
    fn trees_route_nan_and_read_infinite_thresholds() {
        let p = bind(&boosted_regressor(tree(
            json!(["inf", 0, 0]),
            json!([false, false, false]),
        )))
        .unwrap();
        let bytes = p.to_artifact();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(r#""threshold":["inf",0.0,0.0]"#), "{text}");
        assert_eq!(Pipeline::from_artifact(&bytes).unwrap(), p);
        assert!(p.estimator.accepts_missing());
        let value = |x: f64| p.estimator.predict_value(&[1.0, 1.0, x]);
        // Every number goes left of +inf; NaN goes where missing_left says (right here).
        assert_eq!((value(1e300), value(f64::NAN)), (-0.5, 1.5));
        let p = bind(&boosted_regressor(tree(
            json!([2.5, 0, 0]),
            json!([true, false, false]),
        )))
        .unwrap();
        let value = |x: f64| p.estimator.predict_value(&[1.0, 1.0, x]);
        assert_eq!((value(2.5), value(2.6), value(f64::NAN)), (-0.5, 1.5, -0.5));
        // Bad forms are refused, naming the problem.
        assert!(message(&boosted_regressor(tree(
            json!(["big", 0, 0]),
            json!([true, false, false])
        )))
        .contains("invalid value: string \"big\""));
        assert!(
            message(&boosted_regressor(tree(json!([1, 0, 0]), json!([true]))))
                .contains("1 missing_left values for 3 nodes")
        );
        let mut v = boosted_regressor(tree(json!([1, 0, 0]), json!([])));
        v["estimator"]["hist_gradient_boosting_regressor"]["baseline"] = json!([0.5, 1.0]);
        assert!(message(&v).contains("2 baseline values for 1 outputs"));
    }
}
