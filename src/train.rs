//! A training request as every door takes it: [`TrainRequest`] holds what the caller gave (a
//! dataset, a model name, an optional spec, single options such as a target or an estimator
//! by name) and [`TrainRequest::spec`] merges it into one [`TrainSpec`], with the errors the
//! CLI and the npm package have always given. [`crate::Registry::train_and_bind`] trains and
//! binds it. Doors convert their arguments into a `TrainRequest` and hold no merging of their
//! own; fitting itself is [`crate::pipeline`]'s.

use crate::error::{Error, Result};
use crate::pipeline::estimator::EstimatorSpec;
use crate::pipeline::TrainSpec;

/// What to train and bind: a dataset, a model name and how to train.
///
/// The single options (`target`, `estimator`, `test_size`, `seed`) complete or replace the
/// spec's fields. Messages about them name the command-line flags (`--target`), as only the
/// CLI passes them beside a spec today.
#[derive(Debug, Clone, Default)]
pub struct TrainRequest {
    /// The training dataset: an id, a name (latest version) or name@version.
    pub dataset: String,
    /// The model name, checked before the fit (a bad name fails before a long fit).
    pub name: String,
    /// A description stored with the model.
    pub description: String,
    /// A training spec, when the caller gives one.
    pub spec: Option<SpecInput>,
    /// The column to predict: required unless the spec names it, and then the same column.
    pub target: Option<String>,
    /// An estimator by name with default hyper-parameters (replaces the spec's).
    pub estimator: Option<String>,
    /// Fraction of rows held out for metrics (replaces the spec's; default 0.25).
    pub test_size: Option<f64>,
    /// Seed of the split and of randomized estimators (replaces the spec's; default 42).
    pub seed: Option<u64>,
}

/// A training spec as a door receives it.
#[derive(Debug, Clone)]
pub enum SpecInput {
    /// A spec's JSON text (a spec file): errors begin with `label` (the file's name), and a
    /// spec without a target needs the request's `target`. Native builds only: the
    /// WebAssembly build takes specs as [`SpecInput::Fields`], and reading JSON text into a
    /// spec would add about 29 KB to its .wasm.
    #[cfg(not(target_arch = "wasm32"))]
    Json {
        /// The JSON text.
        text: String,
        /// How errors name it, e.g. the file's path.
        label: String,
    },
    /// A spec's fields as JSON values (what JS `trainModel` takes beside dataset, name and
    /// description): an `estimator` that is a string names an estimator with default
    /// hyper-parameters. A spec without a target fails at the fit ("names no target column").
    Fields(serde_json::Map<String, serde_json::Value>),
}

impl TrainRequest {
    /// The spec to train: the given spec (or the default spec for the target), completed and
    /// overridden by the single options.
    pub fn spec(&self) -> Result<TrainSpec> {
        let mut spec = match &self.spec {
            None => TrainSpec::new(self.target.clone().ok_or_else(|| {
                Error::InvalidArgument(
                    "--target is required (or a --spec naming the target)".into(),
                )
            })?),
            #[cfg(not(target_arch = "wasm32"))]
            Some(SpecInput::Json { text, label }) => {
                let spec = TrainSpec::from_json(text)
                    .map_err(|e| Error::InvalidArgument(format!("{label}: {e}")))?;
                if spec.target.is_empty() && self.target.is_none() {
                    return Err(Error::InvalidArgument(format!(
                        "{label}: the spec names no target; add \"target\": \"COLUMN\" to it or pass --target"
                    )));
                }
                spec
            }
            Some(SpecInput::Fields(fields)) => {
                let mut fields = fields.clone();
                if let Some(serde_json::Value::String(name)) = fields.get("estimator") {
                    let estimator = EstimatorSpec::default_for(name)?;
                    fields.insert(
                        "estimator".into(),
                        serde_json::to_value(estimator)
                            .map_err(|e| Error::InvalidArgument(e.to_string()))?,
                    );
                }
                TrainSpec::from_value(serde_json::Value::Object(fields))?
            }
        };
        if let Some(t) = &self.target {
            if spec.target.is_empty() {
                spec.target = t.clone();
            } else if *t != spec.target {
                return Err(Error::InvalidArgument(format!(
                    "--target {t:?} disagrees with the spec's target {:?}; give one of them",
                    spec.target
                )));
            }
        }
        if let Some(name) = &self.estimator {
            spec.estimator = Some(EstimatorSpec::default_for(name)?);
        }
        if let Some(t) = self.test_size {
            spec.test_size = t;
        }
        if let Some(s) = self.seed {
            spec.seed = s;
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(spec: Option<SpecInput>, target: Option<&str>) -> TrainRequest {
        TrainRequest {
            dataset: "iris".into(),
            name: "m".into(),
            spec,
            target: target.map(String::from),
            ..Default::default()
        }
    }

    fn json(text: &str) -> Option<SpecInput> {
        Some(SpecInput::Json {
            text: text.into(),
            label: "spec.json".into(),
        })
    }

    fn message(r: &TrainRequest) -> String {
        r.spec().unwrap_err().to_string()
    }

    #[test]
    fn a_target_comes_from_the_spec_or_the_option_and_they_agree() {
        assert_eq!(
            request(None, Some("y")).spec().unwrap(),
            TrainSpec::new("y")
        );
        assert_eq!(
            message(&request(None, None)),
            "--target is required (or a --spec naming the target)"
        );
        let spec = request(json(r#"{"target": "y"}"#), None).spec().unwrap();
        assert_eq!(spec.target, "y");
        assert_eq!(request(json("{}"), Some("y")).spec().unwrap().target, "y");
        assert_eq!(
            message(&request(json("{}"), None)),
            "spec.json: the spec names no target; add \"target\": \"COLUMN\" to it or pass --target"
        );
        assert_eq!(
            message(&request(json(r#"{"target": "y"}"#), Some("z"))),
            "--target \"z\" disagrees with the spec's target \"y\"; give one of them"
        );
        assert!(message(&request(json("{"), None)).starts_with("spec.json: invalid training spec"));
    }

    #[test]
    fn options_replace_the_spec_and_fields_name_an_estimator() {
        let mut r = request(
            json(r#"{"target": "y", "test_size": 0.5, "seed": 1}"#),
            None,
        );
        r.estimator = Some("random_forest_classifier".into());
        r.test_size = Some(0.1);
        r.seed = Some(7);
        let spec = r.spec().unwrap();
        assert_eq!((spec.test_size, spec.seed), (0.1, 7));
        assert_eq!(
            spec.estimator,
            Some(EstimatorSpec::default_for("random_forest_classifier").unwrap())
        );
        let fields =
            |v: serde_json::Value| Some(SpecInput::Fields(v.as_object().cloned().unwrap()));
        let spec = request(
            fields(serde_json::json!({"target": "y", "estimator": "linear_regression"})),
            None,
        )
        .spec()
        .unwrap();
        assert_eq!(
            spec.estimator,
            Some(EstimatorSpec::default_for("linear_regression").unwrap())
        );
        // Fields without a target are left to the fit, which names the missing target.
        assert_eq!(
            request(fields(serde_json::json!({})), None)
                .spec()
                .unwrap()
                .target,
            ""
        );
        let bad = request(fields(serde_json::json!({"estimator": "nosuch"})), None);
        assert_eq!(
            message(&bad),
            EstimatorSpec::default_for("nosuch")
                .unwrap_err()
                .to_string()
        );
    }
}
