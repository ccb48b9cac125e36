//! Gradient-boosted trees as scikit-learn fits them (`GradientBoostingClassifier/Regressor`,
//! `HistGradientBoostingClassifier/Regressor`), as plain data: a baseline raw score per
//! output and regression trees whose leaf values (already multiplied by the learning rate)
//! add up to the raw score. mlops-lite does not train these: the Python package reads them
//! out of fitted scikit-learn objects (`mlops_lite/sklearn.py`), and this module runs them
//! with the same arithmetic scikit-learn uses, in the same order, so the sums are the same
//! bits: the raw score starts at the baseline and each tree's leaf value is added to its
//! output in iteration order. A classifier's probabilities are the sigmoid of the raw score
//! (two classes) or the softmax of one raw score per class.
//!
//! Cost per record: the trees' walks (each at most its node count, children point forward)
//! plus one value per tree: O(artifact size), as every other estimator.

use serde::{Deserialize, Serialize};

use super::estimator::{binary_proba, is_false, tree_leaf_with, validate_tree, Tree};

/// Boosted regression trees over a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boosted {
    /// Number of features.
    pub n_features: usize,
    /// Number of classes for classifiers, 0 for regressors.
    pub n_classes: usize,
    /// The raw score of each output before any tree: one for regressors and binary
    /// classifiers, one per class otherwise.
    pub baseline: Vec<f64>,
    /// The trees, iteration by iteration: tree `t` adds its leaf value to output
    /// `t % outputs`. Each node holds one value.
    pub trees: Vec<Tree>,
    /// Whether values are rounded to f32 before comparison (`GradientBoosting*`: true;
    /// `HistGradientBoosting*` compares f64 values).
    #[serde(default, skip_serializing_if = "is_false")]
    pub f32_inputs: bool,
}

impl Boosted {
    /// Number of raw scores: 1 for regressors and binary classifiers, else the classes.
    pub fn outputs(&self) -> usize {
        if self.n_classes > 2 {
            self.n_classes
        } else {
            1
        }
    }

    fn raw_into(&self, row: &[f64], raw: &mut [f64]) {
        raw.copy_from_slice(&self.baseline);
        let k = raw.len();
        for (t, tree) in self.trees.iter().enumerate() {
            raw[t % k] += tree.value[tree_leaf_with(tree, row, self.f32_inputs)];
        }
    }

    /// Class probabilities of one row into `out` (`n_classes` long).
    pub(super) fn proba_into(&self, row: &[f64], out: &mut [f64]) {
        if self.n_classes == 2 {
            let mut raw = [0.0];
            self.raw_into(row, &mut raw);
            (out[0], out[1]) = binary_proba(raw[0]);
        } else {
            self.raw_into(row, out);
            mlops_lite_kernels::softmax_in_place(out);
        }
    }

    /// The regression value of one row.
    pub(super) fn value(&self, row: &[f64]) -> f64 {
        let mut raw = [0.0];
        self.raw_into(row, &mut raw);
        raw[0]
    }

    /// Checks a model read from untrusted bytes (see [`super::estimator::Fitted::validate`]).
    pub(super) fn validate(&self, classifier: bool) -> std::result::Result<(), String> {
        if self.n_features == 0 {
            return Err("no features".into());
        }
        if classifier && self.n_classes < 2 {
            return Err(format!("{} classes (need at least 2)", self.n_classes));
        }
        if !classifier && self.n_classes != 0 {
            return Err(format!("a regressor with {} classes", self.n_classes));
        }
        let k = self.outputs();
        if self.baseline.len() != k {
            return Err(format!(
                "{} baseline values for {k} outputs",
                self.baseline.len()
            ));
        }
        if let Some(v) = self.baseline.iter().find(|v| !v.is_finite()) {
            return Err(format!("baseline value {v}"));
        }
        if !self.trees.len().is_multiple_of(k) {
            return Err(format!(
                "{} trees is not a whole number of iterations of {k}",
                self.trees.len()
            ));
        }
        for (t, tree) in self.trees.iter().enumerate() {
            validate_tree(tree, self.n_features, 1, false).map_err(|e| format!("tree {t}: {e}"))?;
        }
        Ok(())
    }
}
