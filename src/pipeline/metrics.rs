//! Held-out metrics stored with a model: accuracy, log loss and macro F1 for classifiers;
//! RMSE, MAE and R2 for regressors. Logarithms use `libm` so every build gives the same bits.

use serde::{Deserialize, Serialize};

/// Metrics on the held-out part of the training dataset (absent without a test split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Rows used for fitting.
    pub n_train: u64,
    /// Held-out rows the metrics are computed on.
    pub n_test: u64,
    /// Fraction of held-out rows whose predicted class is right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Mean negative log-likelihood of the true class (probabilities clipped to 1e-15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_loss: Option<f64>,
    /// Unweighted mean over classes of F1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macro_f1: Option<f64>,
    /// Root mean squared error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rmse: Option<f64>,
    /// Mean absolute error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mae: Option<f64>,
    /// Coefficient of determination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
}

/// Classification metrics from true class indices and per-row probabilities (row-major,
/// `n_classes` per row).
pub fn classification(y: &[u32], proba: &[f64], n_classes: usize) -> (f64, f64, f64) {
    let n = y.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut correct = 0usize;
    let mut loss = 0.0;
    let mut tp = vec![0usize; n_classes];
    let mut predicted = vec![0usize; n_classes];
    let mut actual = vec![0usize; n_classes];
    for (i, &t) in y.iter().enumerate() {
        let p = &proba[i * n_classes..(i + 1) * n_classes];
        let best = argmax(p);
        let t = t as usize;
        if best == t {
            correct += 1;
            tp[t] += 1;
        }
        predicted[best] += 1;
        actual[t] += 1;
        loss -= libm::log(p[t].clamp(1e-15, 1.0 - 1e-15));
    }
    // Averaged over the classes present among the true or the predicted labels, as
    // scikit-learn's f1_score(average="macro") does by default.
    let (mut f1_sum, mut present) = (0.0, 0usize);
    for c in 0..n_classes {
        let denom = predicted[c] + actual[c];
        if denom > 0 {
            f1_sum += 2.0 * tp[c] as f64 / denom as f64;
            present += 1;
        }
    }
    (
        correct as f64 / n as f64,
        loss / n as f64,
        f1_sum / present as f64,
    )
}

/// Regression metrics from true and predicted values: (RMSE, MAE, R2).
pub fn regression(y: &[f64], pred: &[f64]) -> (f64, f64, f64) {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let (mut se, mut ae, mut tot) = (0.0, 0.0, 0.0);
    for (t, p) in y.iter().zip(pred) {
        se += (t - p) * (t - p);
        ae += (t - p).abs();
        tot += (t - mean) * (t - mean);
    }
    let r2 = if tot > 0.0 { 1.0 - se / tot } else { f64::NAN };
    ((se / n).sqrt(), ae / n, r2)
}

/// The index of the first largest value (a NaN is never larger): the label of a row of
/// probabilities. One definition, in the inference kernels.
pub use mlops_lite_kernels::argmax;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_metrics_match_hand_computation() {
        // 3 rows, 2 classes: right, right, wrong.
        let y = [0, 1, 1];
        let p = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4];
        let (acc, ll, f1) = classification(&y, &p, 2);
        assert_eq!(acc, 2.0 / 3.0);
        let expect = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln()) / 3.0;
        assert!((ll - expect).abs() < 1e-12);
        // class 0: tp 1, predicted 2, actual 1 -> 2/3; class 1: tp 1, predicted 1, actual 2 -> 2/3
        assert!((f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn macro_f1_ignores_classes_absent_from_truth_and_predictions() {
        // Three classes, but the held-out rows are all class 1, all predicted right.
        let (acc, _, f1) = classification(&[1, 1], &[0.1, 0.8, 0.1, 0.2, 0.7, 0.1], 3);
        assert_eq!((acc, f1), (1.0, 1.0));
    }

    #[test]
    fn regression_metrics_match_hand_computation() {
        let (rmse, mae, r2) = regression(&[1.0, 2.0, 3.0], &[1.0, 2.0, 5.0]);
        assert!((rmse - (4.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((mae - 2.0 / 3.0).abs() < 1e-12);
        assert!((r2 - (1.0 - 4.0 / 2.0)).abs() < 1e-12);
    }
}
