//! Our own `exp` for inference: plain f64 arithmetic (`+ - * /`, comparisons, and bit
//! operations to build powers of two), so it gives the same bits on every target (native
//! and wasm32; no fused multiply-add, no libm call, no platform intrinsic), with a
//! branch-free core that the compiler vectorises when it is applied over a slice
//! ([`exp_in_place`], the softmax of a batch).
//!
//! Training and metrics keep `libm`; only inference (softmax, the binary logistic) uses this.

/// ln(2), high part: its low 32 bits are zero, so `k * LN2HI` is exact for |k| < 2^21.
const LN2HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-01
/// ln(2) - LN2HI.
const LN2LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
/// 1 / ln(2) (= `f64::consts::LOG2_E`).
const INVLN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe); // 1.44269504088896338700e+00
                                                           // The Remez polynomial of fdlibm's e_exp.c: R(z) ~ 2 + P1 z + ... + P5 z^5 on [0, 0.347^2],
                                                           // error below 2^-59; written by their bits, as fdlibm gives them.
const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e); // 1.66666666666666019037e-01
const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93); // -2.77777777770155933842e-03
const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c); // 6.61375632143793436117e-05
const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1); // -1.65339022054652515390e-06
const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0); // 4.13813679705723846039e-08

/// 1.5 * 2^52: adding it to a float of magnitude below 2^51 rounds that float to an integer,
/// which then sits in the low bits of the sum's representation.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// The smallest k of the reduction (for x clamped to -746): k + K_BIAS >= 0, so the halving
/// of k below is a logical shift (SSE2 has no 64-bit arithmetic shift).
const K_BIAS: u64 = 1076;
/// Inputs are clamped to [X_MIN, X_MAX] (exp is 0 below and +inf above, whatever the
/// clamp), which bounds k to [-1076, 1024].
const X_MIN: f64 = -746.0;
const X_MAX: f64 = 710.0;
/// Below this |x|, fdlibm takes k = 0 (its test on the high word of |x|: <= 0x3fd62e42,
/// about ln(2) / 2).
const K_ZERO: f64 = f64::from_bits(0x3fd6_2e43_0000_0000);
/// Below this |x| (fdlibm's high-word test: |x| <= 2^-28), exp(x) is `1 + x`.
const TINY: f64 = f64::from_bits(0x3e30_0001_0000_0000);
const SIGN: u64 = 1 << 63;

/// e^x, the same bits on every target, and the same bits as `libm::exp`.
///
/// The method is fdlibm's `e_exp.c` (which the `libm` crate's `exp` is), every step in the
/// same order, with its branches turned into selects:
/// 1. reduction: `k = trunc(x / ln 2 + copysign(0.5, x))` (0 for |x| below about
///    ln(2) / 2), the truncation done on |q| by adding 1.5 * 2^52 (round to nearest) and
///    stepping back by one where that rounded up; then `r = hi - lo` with
///    `hi = x - k * LN2HI` (exact) and `lo = k * LN2LO`, so |r| <= 0.347;
/// 2. `exp(r) = 1 + r + r c / (2 - c)` with `c = r - r^2 P(r^2)`, P fdlibm's degree-5
///    Remez polynomial (error < 2^-59), computed as `1 + (r c / (2 - c) - lo + hi)`;
/// 3. scaling by 2^k as two exact powers of two, `y * 2^floor(k/2) * 2^(k - floor(k/2))`:
///    the first product is exact, the second rounds once, as `scalbn` does (a subnormal
///    result is rounded once; an overflow gives +inf);
/// 4. selects: `1 + x` for |x| <= 2^-28 (as fdlibm), `x` itself for NaN (its bits kept).
///
/// Accuracy (tests in this file, over 2.4 million inputs: a dense grid over [-746, 710],
/// random bit patterns, both signs of 2^e for every e, the thresholds and subnormal
/// results, and the branch boundaries of fdlibm with 2,000 neighbours each): the same bits
/// as `libm::exp` for every one of them, so a model predicts exactly what it did with
/// libm; against a double-double reference, at most 0.90 ulp (0.8994, at x =
/// 597.8394432329529; fdlibm's bound is < 1 ulp, and the test holds it to that), and results
/// outside the normal range within 1 ulp of the correctly rounded value.
///
/// No branch on the value: NaN, the infinities, overflow (x > 709.78), underflow to 0
/// (x < -745.13) and subnormal results all come out of the same arithmetic and selects,
/// so a loop of it vectorises. Over a slice, [`exp_in_place`] is faster (the same bits).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let k = reduce(x);
    finish(x, k, poly(x, k))
}

/// [`exp`] of every value, in place, the same bits. The three steps of [`exp`] run as three
/// loops over blocks of values: each is a short chain of dependent operations, so the
/// processor overlaps many values (one loop of the whole chain, about 140 cycles of latency
/// per value, leaves it waiting), and each vectorises.
#[inline]
pub fn exp_in_place(values: &mut [f64]) {
    const BLOCK: usize = 64;
    let (mut ks, mut cs) = ([0.0; BLOCK], [0.0; BLOCK]);
    for block in values.chunks_mut(BLOCK) {
        let n = block.len();
        let (ks, cs) = (&mut ks[..n], &mut cs[..n]);
        for (k, x) in ks.iter_mut().zip(block.iter()) {
            *k = reduce(*x);
        }
        for ((c, x), k) in cs.iter_mut().zip(block.iter()).zip(ks.iter()) {
            *c = poly(*x, *k);
        }
        for ((x, k), c) in block.iter_mut().zip(ks.iter()).zip(cs.iter()) {
            *x = finish(*x, *k, *c);
        }
    }
}

/// `x` clamped to [X_MIN, X_MAX] (NaN stays NaN).
#[inline(always)]
fn clamped(x: f64) -> f64 {
    x.clamp(X_MIN, X_MAX)
}

/// `x - k * ln 2` as fdlibm carries it: `hi` (exact) and `lo`.
#[inline(always)]
fn hi_lo(x: f64, k: f64) -> (f64, f64) {
    (clamped(x) - k * LN2HI, k * LN2LO)
}

/// Step 1: k = trunc(INVLN2 * x + copysign(0.5, x)), as fdlibm computes it, or 0 for |x|
/// below about ln(2) / 2; as a float.
#[inline(always)]
fn reduce(x: f64) -> f64 {
    // NaN passes through the clamp and through the arithmetic.
    let xc = clamped(x);
    let ax = f64::from_bits(x.to_bits() & !SIGN);
    let half = f64::from_bits(0.5f64.to_bits() | (xc.to_bits() & SIGN));
    let q = INVLN2 * xc + half;
    let q = if ax < K_ZERO { 0.0 } else { q };
    // trunc(q) = copysign(floor(|q|), q): |q| rounded to an integer (by adding 1.5 * 2^52),
    // less one where that rounded up. (|q| >= 1 or q = 0: k is never -0.)
    let aq = f64::from_bits(q.to_bits() & !SIGN);
    let n = (aq + ROUND) - ROUND;
    let n = n - if n > aq { 1.0 } else { 0.0 };
    f64::from_bits(n.to_bits() | (q.to_bits() & SIGN))
}

/// Step 2: c = r - r^2 P(r^2), with r = hi - lo.
#[inline(always)]
fn poly(x: f64, k: f64) -> f64 {
    let (hi, lo) = hi_lo(x, k);
    let r = hi - lo;
    let rr = r * r;
    r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))))
}

/// Step 3: `y = 1 + (r c / (2 - c) - lo + hi)`, scaled by 2^k; the selects.
#[inline(always)]
fn finish(x: f64, k: f64, c: f64) -> f64 {
    let (hi, lo) = hi_lo(x, k);
    let r = hi - lo;
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    // k + K_BIAS, an integer in [0, 2100], in the low bits of t.
    let t = k + (ROUND + K_BIAS as f64);
    let kb = t.to_bits().wrapping_sub(ROUND.to_bits());
    // 2^k1 * 2^k2 with k1 = floor(k / 2), k2 = k - k1, both in [-538, 512]: normal numbers.
    let k1 = kb >> 1;
    let s1 = f64::from_bits((k1 + (1023 - K_BIAS / 2)) << 52);
    let s2 = f64::from_bits((kb - k1 + (1023 - K_BIAS / 2)) << 52);
    let e = y * s1 * s2;
    let ax = f64::from_bits(x.to_bits() & !SIGN);
    let e = if ax < TINY { 1.0 + x } else { e };
    // NaN: x itself. (Selected as bits: the x86-64 baseline's cost model vectorises the
    // loop then, and not with a second f64 select.)
    f64::from_bits(if x.is_nan() { x.to_bits() } else { e.to_bits() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in ulps between two finite doubles of the same sign (or zeros).
    fn ulps(a: f64, b: f64) -> u64 {
        let key = |v: f64| {
            let b = v.to_bits() as i64;
            if b < 0 {
                i64::MIN - b
            } else {
                b
            }
        };
        key(a).abs_diff(key(b))
    }

    // --- A double-double reference exp (relative error far below 2^-100) ---------------

    /// An unevaluated sum hi + lo with |lo| <= ulp(hi) / 2.
    #[derive(Clone, Copy, Debug)]
    struct Dd(f64, f64);

    fn two_sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        let bb = s - a;
        Dd(s, (a - (s - bb)) + (b - bb))
    }

    /// Veltkamp's split, for Dekker's exact product without a fused multiply-add.
    fn split(a: f64) -> (f64, f64) {
        let t = 134_217_729.0 * a; // 2^27 + 1
        let hi = t - (t - a);
        (hi, a - hi)
    }

    fn two_prod(a: f64, b: f64) -> Dd {
        let p = a * b;
        let (ah, al) = split(a);
        let (bh, bl) = split(b);
        Dd(p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
    }

    fn add(a: Dd, b: Dd) -> Dd {
        let s = two_sum(a.0, b.0);
        let t = two_sum(a.1, b.1);
        let s = two_sum(s.0, s.1 + t.0);
        two_sum(s.0, s.1 + t.1)
    }

    fn mul(a: Dd, b: Dd) -> Dd {
        let p = two_prod(a.0, b.0);
        two_sum(p.0, p.1 + (a.0 * b.1 + a.1 * b.0))
    }

    /// a / b for a small integer b.
    fn div(a: Dd, b: f64) -> Dd {
        let q = a.0 / b;
        let p = two_prod(q, b);
        let rem = ((a.0 - p.0) - p.1) + a.1;
        two_sum(q, rem / b)
    }

    /// ln 2 in three parts (their sum is ln 2 to about 2^-160).
    const L2: [f64; 3] = [
        f64::from_bits(0x3FE6_2E42_FEFA_39EF),
        f64::from_bits(0x3C7A_BC9E_3B39_803F),
        f64::from_bits(0x3907_B57A_079A_1934),
    ];

    /// e^x = m * 2^k with m a double-double in [1, 2), for finite x in [-746, 710]:
    /// x = k ln 2 + r (r carried in double-double), e^r by its Taylor series.
    fn exp_ref(x: f64) -> (Dd, i32) {
        let k = (x / L2[0]).round();
        let kl = add(
            add(two_prod(k, L2[0]), two_prod(k, L2[1])),
            two_prod(k, L2[2]),
        );
        let r = add(Dd(x, 0.0), Dd(-kl.0, -kl.1));
        let (mut term, mut sum) = (Dd(1.0, 0.0), Dd(1.0, 0.0));
        for i in 1..=25 {
            term = div(mul(term, r), i as f64);
            sum = add(sum, term);
        }
        if sum.0 < 1.0 {
            (Dd(sum.0 * 2.0, sum.1 * 2.0), k as i32 - 1)
        } else {
            (sum, k as i32)
        }
    }

    /// The error of `got` in ulps of the true e^x (fractional), for results in the normal
    /// range; `None` for a subnormal, zero or infinite true result.
    fn err_ulps(x: f64, got: f64) -> Option<f64> {
        let (m, k) = exp_ref(x);
        if !(-1022..=1023).contains(&k) {
            return None;
        }
        // got / 2^k is exact (a normal number scaled by a power of two); its distance to m,
        // in units of 2^-52, is the error in ulps.
        let g = libm::scalbn(got, -k);
        let d = add(Dd(g, 0.0), Dd(-m.0, -m.1));
        Some((d.0 + d.1).abs() * 4_503_599_627_370_496.0)
    }

    /// The true e^x rounded once, for results outside the normal range (subnormal, 0, inf).
    fn exp_rounded(x: f64) -> f64 {
        let (m, k) = exp_ref(x);
        // scalbn rounds once; the low part could only matter if the high part fell exactly
        // on a tie of the subnormal rounding (a chance of about 2^-30 per input).
        libm::scalbn(m.0, k)
    }

    fn inputs() -> Vec<f64> {
        let mut v = Vec::new();
        // A dense grid over the useful range.
        let n = 1_500_000;
        for i in 0..=n {
            v.push(-746.0 + 1456.0 * i as f64 / n as f64);
        }
        // Around 0 on a log scale, both signs.
        for e in -1074..=10 {
            for m in [1.0, 1.1, 1.5, 1.9, 1.999_999_9] {
                let x = m * 2f64.powi(e);
                v.extend([x, -x]);
            }
        }
        // Random bit patterns (xorshift), finite ones in the useful range mostly.
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..400_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let x = f64::from_bits(s);
            v.push(x);
            // And one mapped into [-746, 710].
            v.push(-746.0 + 1456.0 * (s >> 11) as f64 / (1u64 << 53) as f64);
        }
        // Thresholds, the boundaries of fdlibm's branches, subnormal results.
        for b in [
            709.782_712_893_384,
            -745.133_219_101_941_1,
            -708.396_418_532_264_1,
            0.5 * core::f64::consts::LN_2,
            1.5 * core::f64::consts::LN_2,
            f64::from_bits(0x3e30_0000_0000_0000),
            710.0,
            -746.0,
            -1022.0 * core::f64::consts::LN_2,
            -1074.0 * core::f64::consts::LN_2,
        ] {
            let mut up = b;
            let mut down = b;
            for _ in 0..2000 {
                v.extend([up, down, -up, -down]);
                up = f64::from_bits(up.to_bits() + 1);
                down = f64::from_bits(down.to_bits() - 1);
            }
        }
        for x in -7450..=-7080 {
            v.push(x as f64 / 10.0 + 0.012_345);
        }
        // Where x / ln 2 is near a half-integer (fdlibm rounds it half away from zero) or
        // near a power of two (where adding 0.5 may round): 9 neighbours each.
        for h in -2152..=2048 {
            let x = h as f64 * 0.5 * core::f64::consts::LN_2;
            for d in -4i64..=4 {
                v.push(f64::from_bits((x.to_bits() as i64 + d) as u64));
            }
        }
        v
    }

    #[test]
    fn special_values() {
        assert_eq!(exp(0.0).to_bits(), 1f64.to_bits());
        assert_eq!(exp(-0.0).to_bits(), 1f64.to_bits());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0f64.to_bits());
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0).to_bits(), 0f64.to_bits());
        // ln(f64::MAX) = 709.782712893383996732...: the largest finite result, then +inf.
        let last = 709.782_712_893_384;
        assert_eq!(exp(last), libm::exp(last));
        assert!(exp(last) > 1.797e308 && exp(last).is_finite());
        assert_eq!(exp(f64::from_bits(last.to_bits() + 1)), f64::INFINITY);
        assert_eq!(exp(f64::MAX), f64::INFINITY);
        assert_eq!(exp(f64::MIN).to_bits(), 0f64.to_bits());
        // The smallest subnormal, and the half of it that rounds to 0 (to even).
        assert_eq!(exp(-745.133_219_101_941_1).to_bits(), 1);
        assert_eq!(exp(-745.2).to_bits(), 0);
        // fdlibm's e^1 is one ulp above the nearest double (its error is 0.87 ulp there).
        assert_eq!(exp(1.0).to_bits(), core::f64::consts::E.to_bits() + 1);
        for nan in [
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            f64::from_bits(0xfff8_dead_beef_0001),
        ] {
            assert_eq!(exp(nan).to_bits(), nan.to_bits(), "NaN kept as it is");
        }
    }

    #[test]
    fn exp_in_place_gives_the_bits_of_exp() {
        let xs = inputs();
        let mut v = xs.clone();
        exp_in_place(&mut v);
        for (x, e) in xs.iter().zip(&v) {
            assert_eq!(e.to_bits(), exp(*x).to_bits(), "exp({x:e})");
        }
        // Every length around the block size (the loops' remainders).
        for n in 0..=130 {
            let mut v = xs[1000..1000 + n].to_vec();
            exp_in_place(&mut v);
            assert!(v
                .iter()
                .zip(&xs[1000..])
                .all(|(e, x)| e.to_bits() == exp(*x).to_bits()));
        }
    }

    #[test]
    fn the_reference_is_sound() {
        // The reference against std's exp (glibc: < 1 ulp) and a few exact values.
        for x in [
            -700.0, -20.0, -1.0, -1e-300, 0.0, 1e-10, 0.5, 1.0, 3.0, 100.0, 709.0,
        ] {
            assert!(ulps(exp_rounded(x), x.exp()) <= 1, "{x}");
        }
        assert_eq!(exp_rounded(1.0), core::f64::consts::E);
        assert_eq!(exp_rounded(0.0), 1.0);
        assert!(err_ulps(1.0, core::f64::consts::E).unwrap() < 0.5);
        // A value one ulp off is measured as about 1 ulp off.
        let off = f64::from_bits(core::f64::consts::E.to_bits() + 1);
        let e = err_ulps(1.0, off).unwrap();
        assert!(e > 0.5 && e < 1.5, "{e}");
    }

    #[test]
    fn libm_bits_and_within_1_ulp_of_the_true_value() {
        let mut worst = (0.0f64, 0.0f64);
        let (mut outside, mut outside_off, mut total) = (0u64, 0u64, 0u64);
        for x in inputs() {
            let got = exp(x);
            let want = libm::exp(x);
            total += 1;
            if x.is_nan() {
                assert_eq!(got.to_bits(), x.to_bits(), "exp(NaN) is that NaN");
                continue;
            }
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "exp({x:e}) = {got:e}, libm {want:e}"
            );
            let xc = x.clamp(-746.0, 710.0);
            match err_ulps(xc, got) {
                Some(e) if e > worst.0 => worst = (e, x),
                Some(_) => {}
                // A subnormal, zero or infinite result: within one ulp of the true value
                // rounded once (y is rounded to 53 bits, then once more when scaled, as in
                // libm's scalbn).
                None => {
                    let r = exp_rounded(xc);
                    assert!(ulps(got, r) <= 1, "exp({x:e}) = {got:e}, rounded {r:e}");
                    outside += 1;
                    outside_off += (got != r) as u64;
                }
            }
        }
        println!(
            "{total} inputs, all libm's bits; max error {:.4} ulp at x = {:e}; {outside_off} of \
             {outside} results outside the normal range are 1 ulp from the correctly rounded one",
            worst.0, worst.1
        );
        assert!(worst.0 < 1.0, "max error {} ulp at {:e}", worst.0, worst.1);
    }
}
