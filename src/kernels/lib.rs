//! The numeric kernels of mlops-lite's inference: loops over `f64` slices that the
//! compiler vectorises, each giving the same bits on every target (only `+ - * /`,
//! comparisons, selects and bit operations: no fused multiply-add, no libm, no platform
//! intrinsic). Columns hold one value per record of a chunk.
//!
//! A crate of its own so that the WebAssembly build, optimised for size, compiles these
//! loops for speed (opt-level is chosen per crate: see the wasm-release profile in the
//! repository's Cargo.toml). None is `#[inline]`: an inline function would be compiled in
//! its caller's crate, at the caller's opt-level. The loops are `#[inline(never)]`: else
//! link-time optimisation inlines the small ones into their size-optimised callers, where
//! they run slower (the 1,000,000-record columns call in Node spent 5% more; `any_infinite`
//! and `keep_larger` were among them). Each is a function of slices (so the
//! compiler knows they do not overlap) that reads its values before it writes.

pub mod exp;
pub mod softmax;

pub use softmax::{argmax, softmax_columns, softmax_in_place, SoftmaxWork};

/// Each NaN of `col` replaced by `fill` (a median or mean imputer).
#[inline(never)]
pub fn impute_nan(col: &mut [f64], fill: f64) {
    for v in col {
        *v = if v.is_nan() { fill } else { *v };
    }
}

/// Whether any value of `values` is infinite (an OR over them, which vectorises).
#[inline(never)]
pub fn any_infinite(values: &[f64]) -> bool {
    values.iter().fold(false, |any, v| any | v.is_infinite())
}

/// `(v - center) / scale` for each value of `col` (a standard or min-max scaler).
#[inline(never)]
pub fn center_scale(col: &mut [f64], center: f64, scale: f64) {
    for v in col {
        *v = (*v - center) / scale;
    }
}

/// Whether any value of `values` is NaN (an OR over all of them, which vectorises).
#[inline(never)]
pub fn any_nan(values: &[f64]) -> bool {
    values.iter().fold(false, |any, v| any | v.is_nan())
}

/// `dot(w, x_i) + bias` for the `out.len()` records of `x` (columns: `x[j * m + i]`, m =
/// `out.len()`), in a record-by-record dot product's order (0, then `+ w_j x_ij` for j = 0,
/// 1, ..., then the bias): the same bits, in loops over records.
#[inline(never)]
pub fn dot_columns(w: &[f64], x: &[f64], bias: f64, out: &mut [f64]) {
    let m = out.len();
    out.fill(0.0);
    for (wj, col) in w.iter().zip(x.chunks_exact(m)) {
        for (o, v) in out.iter_mut().zip(col) {
            *o += wj * v;
        }
    }
    for o in out.iter_mut() {
        *o += bias;
    }
}

/// Where `col` is larger than `best` (a NaN never is), `best` takes its value and `arg` the
/// class `c`. (The class by arithmetic, exact on these small integers: the x86-64 baseline's
/// cost model does not vectorise the loop with a second select.)
#[inline(never)]
pub fn keep_larger(col: &[f64], c: f64, best: &mut [f64], arg: &mut [f64]) {
    for ((v, b), a) in col.iter().zip(best.iter_mut()).zip(arg.iter_mut()) {
        let (v, old, old_arg) = (*v, *b, *a);
        let more = v > old;
        *b = if more { v } else { old };
        *a = old_arg + (c - old_arg) * (more as u8 as f64);
    }
}

/// `col[i] -= values[i]`.
#[inline(never)]
pub fn subtract(col: &mut [f64], values: &[f64]) {
    for (v, x) in col.iter_mut().zip(values) {
        *v -= x;
    }
}

/// Adds the exponentials `col` of class `c` to a softmax's sums, but for the records whose
/// largest logit is of class `c` (`arg`; their sum starts from that class's 1). The others
/// are in [0, 1] or NaN (never largest), so the product by 0 or 1 is exact and the sum is
/// a record-by-record softmax's.
#[inline(never)]
pub fn add_unless_largest(col: &[f64], c: f64, arg: &[f64], sum: &mut [f64]) {
    for ((e, a), s) in col.iter().zip(arg).zip(sum.iter_mut()) {
        let other = (*a != c) as u8 as f64;
        *s += e * other;
    }
}

/// `col[i] /= by[i]`.
#[inline(never)]
pub fn divide(col: &mut [f64], by: &[f64]) {
    for (v, d) in col.iter_mut().zip(by) {
        *v /= d;
    }
}

/// Class `c`'s column into `out`, by record: `out[i * k + c] = col[i]` (`k` classes).
#[inline(never)]
pub fn scatter_class(col: &[f64], c: usize, k: usize, out: &mut [f64]) {
    for (o, v) in out[c..].iter_mut().step_by(k).zip(col) {
        *o = *v;
    }
}

/// Class `c`'s values out of probabilities by record, into `out`: `out[i] = by_record[i * k +
/// c]` (`k` classes); the inverse of [`scatter_class`].
#[inline(never)]
pub fn gather_class(by_record: &[f64], c: usize, k: usize, out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(by_record[c..].iter().step_by(k)) {
        *o = *v;
    }
}
