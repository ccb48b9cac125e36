//! Inference over a batch of records held in columns: the one entry point every caller's
//! records reach (JSON, CSV, columns, logged rows all become a [`BatchIn`] first, see
//! `crate::records`), and the columnar result ([`BatchOut`]) that is rendered as JSON,
//! JSON lines, CSV or JS typed arrays without one allocation per record.
//!
//! The batch path and [`Pipeline::predict_row`] give the same numbers bit for bit (tested in
//! `tests/records.rs`): a one-record call is a batch of one.

use super::estimator::Task;
use super::preprocess::{RowInput, Scratch};
use super::{metrics, Pipeline, RowError};

/// One input column, in signature order: numbers (NaN is null; booleans as 0/1) or strings
/// (None is null). Every column holds [`BatchIn::len`] values.
#[derive(Debug, Clone, Copy)]
pub enum ColumnIn<'a> {
    /// A numeric or boolean feature.
    Numbers(&'a [f64]),
    /// A string feature.
    Strings(&'a [Option<String>]),
}

impl ColumnIn<'_> {
    fn len(&self) -> usize {
        match self {
            ColumnIn::Numbers(v) => v.len(),
            ColumnIn::Strings(v) => v.len(),
        }
    }
}

/// Records in columns, one per signature feature, each `len` long.
#[derive(Debug, Clone)]
pub struct BatchIn<'a> {
    /// Number of records.
    pub len: usize,
    /// One column per signature feature, in signature order.
    pub columns: Vec<ColumnIn<'a>>,
}

/// Predictions of a batch, in columns.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOut {
    /// A classifier's output.
    Classes {
        /// Number of classes (`proba` holds `len * n_classes` values).
        n_classes: usize,
        /// Probabilities, record-major: record `i`'s are `proba[i * n_classes..][..n_classes]`.
        proba: Vec<f64>,
        /// The index of each record's predicted class.
        labels: Vec<u32>,
    },
    /// A regressor's values, one per record.
    Values(Vec<f64>),
}

impl BatchOut {
    /// Number of records.
    pub fn len(&self) -> usize {
        match self {
            BatchOut::Classes { labels, .. } => labels.len(),
            BatchOut::Values(v) => v.len(),
        }
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Pipeline {
    /// Runs the pipeline over every record of `input`. The first record that cannot be
    /// predicted (a null with no imputer) fails the batch, naming the record and feature.
    pub fn predict_batch(&self, input: &BatchIn<'_>) -> std::result::Result<BatchOut, RowError> {
        let n = self.signature.len();
        let len = input.len;
        if input.columns.len() != n {
            return Err(RowError {
                record: 0,
                feature: input.columns.len().min(n),
                message: format!(
                    "is missing: the batch has {} columns for {n} features",
                    input.columns.len()
                ),
            });
        }
        if let Some(f) = input.columns.iter().position(|c| c.len() != len) {
            return Err(RowError {
                record: 0,
                feature: f,
                message: format!("has {} values for {len} records", input.columns[f].len()),
            });
        }
        let mut scratch = Scratch::default();
        let (mut feats, mut proba) = (Vec::new(), Vec::new());
        let mut numbers = vec![f64::NAN; n];
        let mut strings: Vec<Option<&str>> = vec![None; n];
        let mut out = match self.task() {
            Task::Classification => BatchOut::Classes {
                n_classes: self.classes.len(),
                proba: Vec::with_capacity(len.saturating_mul(self.classes.len())),
                labels: Vec::with_capacity(len),
            },
            Task::Regression => BatchOut::Values(Vec::with_capacity(len)),
        };
        for i in 0..len {
            for (j, c) in input.columns.iter().enumerate() {
                match c {
                    ColumnIn::Numbers(v) => numbers[j] = v[i],
                    ColumnIn::Strings(v) => strings[j] = v[i].as_deref(),
                }
            }
            let row = RowInput {
                numbers: &numbers,
                strings: &strings,
            };
            self.transform_row(&row, &mut scratch, &mut feats)
                .map_err(|e| RowError { record: i, ..e })?;
            match &mut out {
                BatchOut::Classes {
                    proba: all, labels, ..
                } => {
                    proba.clear();
                    proba.resize(self.classes.len(), 0.0);
                    self.estimator.predict_proba_into(&feats, &mut proba);
                    labels.push(metrics::argmax(&proba) as u32);
                    all.extend_from_slice(&proba);
                }
                BatchOut::Values(values) => values.push(self.estimator.predict_value(&feats)),
            }
        }
        Ok(out)
    }
}
