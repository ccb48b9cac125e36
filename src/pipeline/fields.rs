//! Spec objects (an estimator spec, a spec step): small tagged objects, read by hand.
//!
//! A spec object is `{"estimator": "ridge", "alpha": 0.5}` or `{"step": "simple_imputer",
//! "strategy": "median"}`: a tag naming the variant, then its fields, every one a number,
//! string, boolean or null. [`Small`] reads one as at most [`SMALL_OBJECT_FIELDS`] scalar
//! fields (so buffering it costs a small multiple of its bytes whatever a file holds), then
//! hands them to the type's [`FromFields`], which takes the fields it knows through
//! [`Fields`] and refuses any other.
//!
//! Written by hand rather than with serde's derive of an internally tagged enum: the derive
//! generated 35 KB of WebAssembly for the two types (docs/WASM-SIZE.md), and read the fields
//! a second time from a buffer of its own. The messages are serde's (`unknown variant`,
//! `unknown field ..., expected ...`, `missing field`, `invalid type`), with the field named.

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The most fields a small tagged object may have.
pub(crate) const SMALL_OBJECT_FIELDS: usize = 16;

/// The error of reading a spec object: serde_json's, so its messages are serde's.
pub(crate) type FieldError = serde_json::Error;

/// A type read from the fields of a small tagged object.
pub(crate) trait FromFields: Sized {
    /// Reads the value from its fields (tag included), refusing unknown ones.
    fn from_fields(fields: Fields) -> Result<Self, FieldError>;
}

/// The fields of one spec object, taken one by one.
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// The fields of `object`.
    pub(crate) fn new(object: Map<String, Value>) -> Fields {
        Fields(object)
    }

    /// The tag `key`, which must be a string and one of `variants`.
    pub(crate) fn tag(
        &mut self,
        key: &'static str,
        variants: &'static [&'static str],
    ) -> Result<&'static str, FieldError> {
        let value = self
            .0
            .remove(key)
            .ok_or_else(|| de::Error::missing_field(key))?;
        let name = String::deserialize(value).map_err(|e| in_field(key, e))?;
        variants
            .iter()
            .find(|v| **v == name)
            .copied()
            .ok_or_else(|| de::Error::unknown_variant(&name, variants))
    }

    /// The field `key` when present (`null` reads as `T` reads null).
    pub(crate) fn get<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
    ) -> Result<Option<T>, FieldError> {
        match self.0.remove(key) {
            None => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|e| in_field(key, e)),
        }
    }

    /// The field `key`, or `default` when it is absent.
    pub(crate) fn or<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        default: T,
    ) -> Result<T, FieldError> {
        Ok(self.get(key)?.unwrap_or(default))
    }

    /// The field `key`, which must be present.
    pub(crate) fn need<T: DeserializeOwned>(&mut self, key: &'static str) -> Result<T, FieldError> {
        self.get(key)?.ok_or_else(|| de::Error::missing_field(key))
    }

    /// Refuses any field not taken yet; `known` are the variant's fields, for the message.
    pub(crate) fn finish(self, known: &'static [&'static str]) -> Result<(), FieldError> {
        match self.0.keys().next() {
            Some(key) => Err(de::Error::unknown_field(key, known)),
            None => Ok(()),
        }
    }
}

fn in_field(key: &str, e: FieldError) -> FieldError {
    de::Error::custom(format_args!("field {key:?}: {e}"))
}

/// A spec object read as at most [`SMALL_OBJECT_FIELDS`] scalar fields, then by
/// [`FromFields`].
struct Small<T>(T);

/// A number, string, boolean or null.
struct Scalar(Value);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, string, boolean or null")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar(Value::Null))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
                Scalar::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de, T: FromFields> Deserialize<'de> for Small<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: FromFields> Visitor<'de> for V<T> {
            type Value = Small<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Small<T>, A::Error> {
                let mut fields = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if fields.len() == SMALL_OBJECT_FIELDS {
                        return Err(de::Error::custom(format!(
                            "more than {SMALL_OBJECT_FIELDS} fields"
                        )));
                    }
                    if fields.contains_key(&key) {
                        return Err(de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    let value = map
                        .next_value::<Scalar>()
                        .map_err(|e| de::Error::custom(format!("field `{key}`: {e}")))?;
                    fields.insert(key, value.0);
                }
                T::from_fields(Fields::new(fields))
                    .map(Small)
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// `Option<T>` of a spec object (see [`Small`]).
pub(super) fn small_object<'de, D: serde::Deserializer<'de>, T: FromFields>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Option::<Small<T>>::deserialize(d)?.map(|s| s.0))
}

/// A list of spec objects (see [`Small`]).
pub(super) fn small_objects<'de, D: serde::Deserializer<'de>, T: FromFields>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Vec::<Small<T>>::deserialize(d)?
        .into_iter()
        .map(|s| s.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::estimator::{EstimatorSpec, KnnWeights};
    use super::super::preprocess::{ImputeStrategy, StepSpec};
    use super::*;
    use serde_json::json;

    fn read<T: FromFields>(v: Value) -> Result<T, String> {
        let Value::Object(map) = v else { panic!() };
        T::from_fields(Fields::new(map)).map_err(|e| e.to_string())
    }

    #[test]
    fn steps_read_back_what_they_write() {
        for step in [
            StepSpec::SimpleImputer {
                strategy: ImputeStrategy::Constant,
                fill_value: Some(json!("x")),
            },
            StepSpec::SimpleImputer {
                strategy: ImputeStrategy::MostFrequent,
                fill_value: None,
            },
            StepSpec::StandardScaler {},
            StepSpec::MinMaxScaler {},
            StepSpec::OneHotEncoder {},
            StepSpec::OrdinalEncoder {},
        ] {
            assert_eq!(
                read::<StepSpec>(serde_json::to_value(&step).unwrap()),
                Ok(step)
            );
        }
        // null reads as the field's type reads null: no fill value, no depth limit
        assert_eq!(
            read::<StepSpec>(
                json!({"step": "simple_imputer", "strategy": "mean", "fill_value": null})
            ),
            Ok(StepSpec::SimpleImputer {
                strategy: ImputeStrategy::Mean,
                fill_value: None
            })
        );
        assert_eq!(
            read::<EstimatorSpec>(json!({"estimator": "knn_regressor", "weights": "distance"})),
            Ok(EstimatorSpec::KnnRegressor {
                k: 5,
                weights: KnnWeights::Distance
            })
        );
    }

    #[test]
    fn messages_are_serdes_with_the_field_named() {
        for (v, message) in [
            (
                json!({"step": "simple_imputer"}),
                "missing field `strategy`",
            ),
            (json!({"strategy": "mean"}), "missing field `step`"),
            (
                json!({"step": "pca"}),
                "unknown variant `pca`, expected one of `simple_imputer`, `standard_scaler`, \
                 `min_max_scaler`, `one_hot_encoder`, `ordinal_encoder`",
            ),
            (
                json!({"step": 1}),
                "field \"step\": invalid type: integer `1`, expected a string",
            ),
            (
                json!({"step": "standard_scaler", "with_mean": true}),
                "unknown field `with_mean`, there are no fields",
            ),
            (
                json!({"step": "simple_imputer", "strategy": "avg"}),
                "field \"strategy\": unknown variant `avg`, expected one of `mean`, `median`, \
                 `most_frequent`, `constant`",
            ),
            (
                json!({"step": "simple_imputer", "strategy": "mean", "fill": 0}),
                "unknown field `fill`, expected `strategy` or `fill_value`",
            ),
        ] {
            assert_eq!(read::<StepSpec>(v.clone()), Err(message.to_string()), "{v}");
        }
        for (v, message) in [
            (
                json!({"estimator": "ridge", "alpha": null}),
                "field \"alpha\": invalid type: null, expected f64",
            ),
            (
                json!({"estimator": "random_forest_classifier", "n_trees": 70000}),
                "field \"n_trees\": invalid value: integer `70000`, expected u16",
            ),
            (
                json!({"estimator": "knn_classifier", "k": -1}),
                "field \"k\": invalid value: integer `-1`, expected usize",
            ),
            (
                json!({"estimator": "random_forest_regressor", "depth": 3}),
                "unknown field `depth`, expected one of `n_trees`, `max_depth`, \
                 `min_samples_leaf`, `min_samples_split`",
            ),
            (
                json!({"estimator": "gaussian_nb", "var_smoothing": 1e-9}),
                "unknown field `var_smoothing`, there are no fields",
            ),
        ] {
            assert_eq!(
                read::<EstimatorSpec>(v.clone()),
                Err(message.to_string()),
                "{v}"
            );
        }
    }
}
