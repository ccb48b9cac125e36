//! Our own `exp` for inference, re-exported from the numeric kernels crate
//! (`src/kernels/exp.rs`, where its method and accuracy are documented): plain f64
//! arithmetic, the same bits on every target and the same bits as `libm::exp`. The tests
//! below hold it to that against libm and a double-double reference.
//!
//! Training and metrics keep `libm`; only inference (softmax, the binary logistic) uses this.

pub use mlops_lite_kernels::exp::{exp, exp_in_place};

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
