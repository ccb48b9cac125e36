// mlops-lite's patch (src/vendor/README.md in mlops-lite): this file is not in smartcore.
//
// `exp`, `ln`, `powf` and `hypot` computed by the pure-Rust `libm` crate, for the fitting
// paths of LogisticRegression (LBFGS and its backtracking line search), LinearRegression (SVD),
// Lasso and ElasticNet (interior point). `num_traits::Float` forwards these to `f64::exp` and
// the like, which call the platform's maths library: glibc natively (with variants chosen by
// CPU), compiler-builtins' libm in wasm32. They round differently in a few cases, and the
// optimisers amplify that, so the same data trained other coefficients natively and in
// WebAssembly. The same Rust code on every target gives the same bits.
//
// Generic over `Float` like their call sites. The value goes through f64, which is the
// identity for f64 (`to_f64` and `from` are exact; `from` never fails for a float); f32 is
// computed in f64 and rounded once.

use num_traits::Float;

#[inline]
fn in_f64<T: Float>(x: T, f: impl FnOnce(f64) -> f64) -> T {
    T::from(f(x.to_f64().unwrap())).unwrap()
}

/// `x.exp()`, by `libm::exp`.
#[inline]
pub(crate) fn exp<T: Float>(x: T) -> T {
    in_f64(x, libm::exp)
}

/// `x.ln()`, by `libm::log`.
#[inline]
pub(crate) fn ln<T: Float>(x: T) -> T {
    in_f64(x, libm::log)
}

/// `x.powf(y)`, by `libm::pow` (which returns `x * x` for `y == 2`, as LLVM's folding of a
/// constant 2 does).
#[inline]
pub(crate) fn powf<T: Float>(x: T, y: T) -> T {
    in_f64(x, |x| libm::pow(x, y.to_f64().unwrap()))
}

/// `x.hypot(y)`, by `libm::hypot`.
#[inline]
pub(crate) fn hypot<T: Float>(x: T, y: T) -> T {
    in_f64(x, |x| libm::hypot(x, y.to_f64().unwrap()))
}
