//! The fixed inputs of `pipeline::math::exp` whose output bits `tests/data/exp-bits.txt`
//! pins, and its check: included (`#[path]`) by `tests/exp_bits.rs` natively and by
//! `tests/wasm.rs` in WebAssembly, so both builds are held to the same bits.
#![allow(dead_code)]

use mlops_lite::pipeline::math::{exp, exp_in_place};

/// The committed file.
pub const FILE: &str = include_str!("../data/exp-bits.txt");

/// Points of the dense grid over [-746, 710] (x_i = -746 + 1456 i / 2^20, i = 0..=2^20).
const DENSE: u64 = 1 << 20;
/// Random bit patterns (xorshift64 from [`SEED`]): every kind of double, NaNs included.
const RANDOM: usize = 1 << 18;
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// The edge cases, one line each in the file.
pub fn edge_inputs() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0xfff8_dead_beef_0001),
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        -f64::from_bits(1),
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        10.0,
        -10.0,
        100.0,
        -100.0,
        700.0,
        -700.0,
    ];
    // The overflow and underflow thresholds, the boundaries of fdlibm's branches, the
    // clamps, and where results become subnormal: each with its neighbours.
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
        for d in [-2i64, -1, 0, 1, 2] {
            v.push(f64::from_bits((b.to_bits() as i64 + d) as u64));
        }
    }
    // Subnormal results, from the largest down to the smallest.
    for i in 0..=40 {
        v.push(-708.5 - 0.9 * i as f64);
    }
    v
}

fn fnv(h: u64, x: f64) -> u64 {
    x.to_bits().to_le_bytes().iter().fold(h, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a 64 of the output bits over the dense grid, by [`exp_in_place`] (the form the
/// softmax uses; the random patterns go through [`exp`]: both forms are pinned).
pub fn dense_digest() -> u64 {
    let mut v: Vec<f64> = (0..=DENSE)
        .map(|i| -746.0 + 1456.0 * i as f64 / DENSE as f64)
        .collect();
    exp_in_place(&mut v);
    v.into_iter().fold(FNV_START, fnv)
}

/// FNV-1a 64 of the output bits over the random bit patterns.
pub fn random_digest() -> u64 {
    let mut s = SEED;
    let mut h = FNV_START;
    for _ in 0..RANDOM {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        h = fnv(h, exp(f64::from_bits(s)));
    }
    h
}

/// The file's text for this build's `exp`.
pub fn expected() -> String {
    let mut s = String::from(
        "# The bits of mlops_lite::pipeline::math::exp (hex: input output), pinned for native and\n\
         # wasm32 builds alike (tests/exp_bits.rs natively, tests/wasm.rs in WebAssembly).\n\
         # Regenerate (only for an intended change of exp): MLOPS_LITE_WRITE_EXP_BITS=1 cargo test --test exp_bits\n",
    );
    for x in edge_inputs() {
        s.push_str(&format!("{:016x} {:016x}\n", x.to_bits(), exp(x).to_bits()));
    }
    s.push_str(&format!(
        "# FNV-1a 64 of the output bits (little-endian), in order, over x = -746 + 1456 i / 2^20 for\n\
         # i = 0..=2^20, and over 2^18 xorshift64 bit patterns (x ^= x << 13; x ^= x >> 7; x ^= x << 17)\n\
         # from {SEED:#x}.\n\
         dense {:016x}\n\
         random {:016x}\n",
        dense_digest(),
        random_digest()
    ));
    s
}

/// Checks this build's `exp` against the committed file, line by line, naming the first
/// line that differs.
pub fn check() {
    let want = FILE.replace("\r\n", "\n");
    let got = expected();
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        assert_eq!(
            g,
            w,
            "tests/data/exp-bits.txt line {}: this build gives {g:?}",
            i + 1
        );
    }
    assert_eq!(
        got.lines().count(),
        want.lines().count(),
        "tests/data/exp-bits.txt line count"
    );
}
