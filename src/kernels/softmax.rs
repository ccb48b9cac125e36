//! The softmax of a logistic model, record by record ([`softmax_in_place`]) and over a
//! chunk of records in columns ([`softmax_columns`], the same bits), with the argmax that
//! picks the label.

use crate::exp::{exp, exp_in_place};
use crate::{add_unless_largest, divide, keep_larger, scatter_class, subtract};

/// The index of the first largest value (a NaN is never larger; 0 for an empty slice).
pub fn argmax(p: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in p.iter().enumerate() {
        if x > p[best] {
            best = i;
        }
    }
    best
}

/// Softmax in place, stable: subtracts the largest value, whose exponential is exactly 1.
/// +inf values share the probability; all -inf gives equal probabilities; NaN stays NaN.
#[inline(never)]
pub fn softmax_in_place(z: &mut [f64]) {
    let mut max = f64::NEG_INFINITY;
    let mut arg = 0;
    for (i, &v) in z.iter().enumerate() {
        if v > max {
            max = v;
            arg = i;
        }
    }
    if max == f64::INFINITY {
        let count = z.iter().filter(|&&v| v == f64::INFINITY).count() as f64;
        for v in z.iter_mut() {
            *v = if *v == f64::INFINITY {
                1.0 / count
            } else {
                0.0
            };
        }
        return;
    }
    if max == f64::NEG_INFINITY {
        let nan = z.iter().any(|v| v.is_nan());
        let share = if nan { f64::NAN } else { 1.0 / z.len() as f64 };
        z.fill(share);
        return;
    }
    let mut sum = 1.0;
    for (i, v) in z.iter_mut().enumerate() {
        if i == arg {
            *v = 1.0;
        } else {
            *v = exp(*v - max);
            sum += *v;
        }
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
}

/// Buffers of [`softmax_columns`], reused from chunk to chunk.
#[derive(Debug, Default)]
pub struct SoftmaxWork {
    /// Per record: the largest logit.
    pub max: Vec<f64>,
    /// Per record: the class of the largest logit, as a float (compared in vector loops).
    pub arg: Vec<f64>,
    /// Per record: the softmax's sum.
    pub sum: Vec<f64>,
    /// The logits of the records whose softmax runs record by record.
    pub row: Vec<f64>,
    /// The records whose softmax runs record by record (an infinite largest logit).
    pub specials: Vec<usize>,
}

/// [`softmax_in_place`] of `m` records at once: `z` holds their logits by class (`z[c * m +
/// i]`), the probabilities go to `out` by record (`out[i * k + c]`), the labels (the
/// [`argmax`] of each record's probabilities) to `labels`. The same bits as
/// [`softmax_in_place`] on each record: the same largest value (the first of ties), the
/// same sum order (1, then the other classes in order: adding 0 for the largest leaves the
/// sum as it is), [`exp`] over whole columns; a record whose largest logit is infinite goes
/// through [`softmax_in_place`] itself.
#[inline(never)]
pub fn softmax_columns(
    z: &mut [f64],
    m: usize,
    work: &mut SoftmaxWork,
    out: &mut [f64],
    labels: &mut [u32],
) {
    if m == 0 {
        return;
    }
    let k = z.len() / m;
    let SoftmaxWork {
        max,
        arg,
        sum,
        row,
        specials,
    } = work;
    max.clear();
    max.resize(m, f64::NEG_INFINITY);
    arg.clear();
    arg.resize(m, 0.0);
    for (c, col) in z.chunks_exact(m).enumerate() {
        keep_larger(col, c as f64, max, arg);
    }
    // Records whose largest logit is infinite go through softmax_in_place: their logits,
    // by record, into `row` (rare: an infinite input or coefficient overflow).
    specials.clear();
    row.clear();
    if max.iter().fold(false, |any, v| any | v.is_infinite()) {
        for (i, mx) in max.iter().enumerate() {
            if mx.is_infinite() {
                specials.push(i);
                row.extend(z.iter().skip(i).step_by(m));
            }
        }
    }
    sum.clear();
    sum.resize(m, 1.0);
    for col in z.chunks_exact_mut(m) {
        subtract(col, max);
    }
    exp_in_place(z);
    for (c, col) in z.chunks_exact(m).enumerate() {
        add_unless_largest(col, c as f64, arg, sum);
    }
    for col in z.chunks_exact_mut(m) {
        divide(col, sum);
    }
    argmax_columns(z, m, max, arg, labels);
    for (c, col) in z.chunks_exact(m).enumerate() {
        scatter_class(col, c, k, out);
    }
    // Records whose largest logit is infinite, kept aside above.
    for (&i, z) in specials.iter().zip(row.chunks_exact_mut(k)) {
        softmax_in_place(z);
        out[i * k..(i + 1) * k].copy_from_slice(z);
        labels[i] = argmax(z) as u32;
    }
}

/// [`argmax`] of each of the `m` records of `p` (by class: `p[c * m + i]`) into `labels`:
/// the first class of the largest value (a NaN is never larger), as it decides. `best` and
/// `arg` are buffers.
fn argmax_columns(
    p: &[f64],
    m: usize,
    best: &mut Vec<f64>,
    arg: &mut Vec<f64>,
    labels: &mut [u32],
) {
    best.clear();
    best.extend_from_slice(&p[..m]);
    arg.clear();
    arg.resize(m, 0.0);
    for (c, col) in p.chunks_exact(m).enumerate().skip(1) {
        keep_larger(col, c as f64, best, arg);
    }
    for (l, a) in labels.iter_mut().zip(arg.iter()) {
        *l = *a as u32;
    }
}
