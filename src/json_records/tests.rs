//! The fast path against the serde reader: on generated records (every kind of value, field
//! and spacing the fast path takes or must refuse) and on random mutations of them, the two
//! give the same batch bit for bit, or the same error; and the fast path does take the
//! common records (else it would be a slower path that these tests could not tell apart).

use proptest::prelude::*;

use mlops_lite_reader::{fast, Builder, Kind};

use super::{read_json, read_json_serde, JsonProblem};

const NAMES: [&str; 4] = ["a", "b c", "flag", "s"];
const KINDS: [Kind; 4] = [Kind::Number, Kind::Number, Kind::Boolean, Kind::String];

/// What a read gives, comparable: numbers by their bits.
#[derive(Debug, PartialEq)]
enum Outcome {
    Batch {
        len: usize,
        numbers: Vec<Vec<u64>>,
        strings: Vec<Vec<Option<String>>>,
        reference_ids: Vec<Option<String>>,
    },
    Error {
        index: Option<usize>,
        field: Option<String>,
        message: String,
        line: u64,
        column: u32,
    },
}

/// A reader: [`read_json`] or [`read_json_serde`].
type Read = fn(&[u8], &[&str], &mut Builder) -> Result<(), JsonProblem>;

fn outcome(read: Read, text: &[u8]) -> Outcome {
    let mut builder = Builder::new(KINDS.to_vec(), 4, 1_000_000);
    match read(text, &NAMES, &mut builder) {
        Ok(()) => {
            let parts = builder.into_parts();
            Outcome::Batch {
                len: parts.len,
                numbers: parts
                    .columns
                    .iter()
                    .map(|(_, (n, _))| n.iter().map(|x| x.to_bits()).collect())
                    .collect(),
                strings: parts.columns.into_iter().map(|(_, (_, s))| s).collect(),
                reference_ids: parts.reference_ids,
            }
        }
        Err(p) => Outcome::Error {
            index: p.index,
            field: p.field,
            message: p.message,
            line: p.line,
            column: p.column,
        },
    }
}

fn same(text: &[u8]) {
    assert_eq!(
        outcome(read_json, text),
        outcome(read_json_serde, text),
        "{:?}",
        String::from_utf8_lossy(text)
    );
}

fn takes_fast(text: &str) -> bool {
    let mut builder = Builder::new(KINDS.to_vec(), 4, 1_000_000);
    fast::read(text.as_bytes(), &NAMES, &mut builder)
}

#[test]
fn the_fast_path_takes_common_records_and_gives_the_serde_readers_batch() {
    let common = [
        r#"[{"a": 5.1, "b c": 3, "flag": true, "s": "x", "reference_id": "r1"}]"#,
        r#"[{"a":-0.5e-3,"b c":null,"flag":false,"s":null,"reference_id":17},{}]"#,
        "[]",
        " [ { \"s\" : \"caf\u{e9} \u{1f600}\" } ] \n",
        r#"[{"a": -0}, {"a": 0.0}, {"a": -0.0}, {"a": 1E+2}, {"a": 123456789012345678901234567890}]"#,
        r#"[{"a": 9007199254740993}, {"a": 18446744073709551616}, {"a": -9223372036854775809}]"#,
        r#"[{"a": 2.2250738585072011e-308}, {"a": 1.7976931348623157e308}, {"a": 0.1e-320}]"#,
        r#"[{"reference_id": 9999999999999999999}, {"reference_id": 0}]"#,
    ];
    for text in common {
        assert!(takes_fast(text), "the fast path should take {text}");
        same(text.as_bytes());
    }
}

#[test]
fn what_the_fast_path_leaves_to_the_serde_reader_reads_as_before() {
    let others = [
        r#"[{"a": 1e400}]"#,
        r#"[{"a": 1e-400}]"#,
        r#"[{"a": -1e-400}]"#,
        r#"[{"a": 01}]"#,
        r#"[{"a": 1.}]"#,
        r#"[{"a": .5}]"#,
        r#"[{"a": +1}]"#,
        r#"[{"a": -}]"#,
        r#"[{"a": 1e}]"#,
        r#"[{"a": "1"}]"#,
        r#"[{"a": true}]"#,
        r#"[{"flag": 1}]"#,
        r#"[{"flag": "true"}]"#,
        r#"[{"s": 1}]"#,
        r#"[{"s": "tab\there"}]"#,
        r#"[{"s": "a\"b"}]"#,
        r#"[{"s": "\u00e9"}]"#,
        "[{\"s\": \"\u{0}NaN\"}]",
        "[{\"a\": \"\u{0}NaN\"}]",
        r#"[{"a": 1, "a": 2}]"#,
        r#"[{"reference_id": 1, "reference_id": 2}]"#,
        r#"[{"zzz": 1}]"#,
        r#"[{"reference_id": -1}]"#,
        r#"[{"reference_id": -0}]"#,
        r#"[{"reference_id": 1.5}]"#,
        r#"[{"reference_id": 1e3}]"#,
        r#"[{"reference_id": 123456789012345678901}]"#,
        r#"[{"reference_id": true}]"#,
        r#"[{"reference_id": [1]}]"#,
        r#"[{"a": [1]}]"#,
        r#"[{"a": {"x": 1}}]"#,
        r#"[1, 2]"#,
        r#"[null]"#,
        r#"{"a": 1}"#,
        r#"[{"a": 1},]"#,
        r#"[{"a": 1,}]"#,
        r#"[{"a": 1}] x"#,
        r#"[{"a": 1}"#,
        r#"[{"a" 1}]"#,
        r#"[{"a": nul}]"#,
        r#"[{"flag": tru}]"#,
        "",
        "[\u{c}]",
    ];
    for text in others {
        assert!(
            !takes_fast(text),
            "the fast path should leave {text:?} alone"
        );
        same(text.as_bytes());
    }
    // Bytes that are not UTF-8, in a key and in a value.
    same(b"[{\"\xff\": 1}]");
    same(b"[{\"s\": \"\xff\"}]");
    same(b"[{\"reference_id\": \"\xc3\"}]");
}

#[test]
fn too_many_records_are_the_serde_readers_error() {
    let mut builder = Builder::new(KINDS.to_vec(), 4, 8);
    let text = br#"[{}, {}, {}]"#;
    let fast_taken = fast::read(text, &NAMES, &mut builder);
    assert!(!fast_taken, "3 records of 4 features are 12 cells, over 8");
    let mut a = Builder::new(KINDS.to_vec(), 4, 8);
    let mut b = Builder::new(KINDS.to_vec(), 4, 8);
    let (ea, eb) = (
        read_json(text, &NAMES, &mut a).unwrap_err(),
        read_json_serde(text, &NAMES, &mut b).unwrap_err(),
    );
    assert_eq!((ea.index, ea.message), (eb.index, eb.message));
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| format!("{x:?}")),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        any::<i64>().prop_map(|x| x.to_string()),
        any::<u64>().prop_map(|x| x.to_string()),
        (1u32..40).prop_map(|n| "9".repeat(n as usize)),
        (-330i32..330, 1u64..99).prop_map(|(e, m)| format!("{m}e{e}")),
        prop::sample::select(vec![
            "0", "-0", "0.0", "-0.0", "1e400", "1e-400", "-1e-400", "01", "1.", ".5", "+1", "-",
            "1e", "1E+2", "1e-2", "2.5E-3", "0.1e-320", "4.9e-324", "2.4e-324",
        ])
        .prop_map(str::to_string),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => number(),
        1 => prop::sample::select(vec!["true", "false", "null", "[1]", "{}", "nul", "\"\\u0000NaN\""])
            .prop_map(str::to_string),
        2 => "[a-z \\u{e9}\\u{1f600}\"\\\\\t]{0,6}".prop_map(|s| format!("\"{s}\"")),
        1 => "[a-z]{0,4}".prop_map(|s| format!("\"{}\"", s.replace('a', "\\n"))),
    ]
}

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "b c",
        "flag",
        "s",
        "reference_id",
        "zz",
        "b\\u0020c",
    ])
}

/// A field: mostly a value of the key's kind, so that whole documents often stay in the fast
/// path's subset; sometimes any value.
fn field() -> impl Strategy<Value = (String, String)> {
    key().prop_flat_map(|k| {
        let typed = match k {
            "a" | "b c" => number().boxed(),
            "flag" => prop::sample::select(vec!["true", "false", "null"])
                .prop_map(str::to_string)
                .boxed(),
            "reference_id" => prop_oneof![
                any::<u64>().prop_map(|x| x.to_string()),
                "[a-z0-9]{0,5}".prop_map(|s| format!("\"{s}\"")),
                Just("null".to_string()),
            ]
            .boxed(),
            _ => "[a-z \\u{e9}\\u{1f600}]{0,6}"
                .prop_map(|s| format!("\"{s}\""))
                .boxed(),
        };
        let value = prop_oneof![6 => typed, 1 => value()];
        (Just(format!("\"{k}\"")), value)
    })
}

fn spacing() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "", " ", "\n", "\t ", "\r\n"]).prop_map(str::to_string)
}

fn record() -> impl Strategy<Value = String> {
    prop::collection::vec((field(), spacing()), 0..6).prop_map(|fields| {
        let body: Vec<String> = fields
            .into_iter()
            .map(|((k, v), w)| format!("{w}{k}{w}:{w}{v}{w}"))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

fn records() -> impl Strategy<Value = String> {
    (prop::collection::vec(record(), 0..6), spacing())
        .prop_map(|(rs, w)| format!("{w}[{w}{}{w}]{w}", rs.join(&format!(",{w}"))))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn fast_and_serde_agree_on_generated_records(text in records()) {
        same(text.as_bytes());
    }

    #[test]
    fn fast_and_serde_agree_on_mutated_records(
        text in records(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut b = text.into_bytes();
        for (at, byte, op) in edits {
            if b.is_empty() {
                b.push(byte);
                continue;
            }
            let i = at.index(b.len());
            match op {
                0 => b[i] = byte,
                1 => b.insert(i, byte),
                _ => {
                    b.remove(i);
                }
            }
        }
        same(&b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20000))]

    /// Clinger's fast path gives `str::parse`'s bits wherever it answers.
    #[test]
    fn short_decimals_are_parsed_as_str_parse_parses_them(
        negative: bool,
        int in "0|[1-9][0-9]{0,18}",
        frac in prop::option::of("[0-9]{1,19}"),
        exp in prop::option::of((prop::sample::select(vec!["e", "E"]), prop::sample::select(vec!["", "+", "-"]), 0u32..40)),
    ) {
        let mut text = format!("{}{int}", if negative { "-" } else { "" });
        if let Some(f) = frac {
            text.push('.');
            text.push_str(&f);
        }
        if let Some((e, sign, n)) = exp {
            text.push_str(&format!("{e}{sign}{n}"));
        }
        if let Some(x) = fast::short_decimal(text.as_bytes()) {
            let want: f64 = text.parse().unwrap();
            prop_assert_eq!(x.to_bits(), want.to_bits(), "{}", text);
        }
    }
}

#[test]
fn short_decimals_cover_the_usual_values() {
    for text in [
        "5.1",
        "-0",
        "0.0",
        "-0.0",
        "3.5e2",
        "0.000123",
        "9007199254740992",
        "1e22",
        "1e-22",
    ] {
        let x = fast::short_decimal(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(
            x.to_bits(),
            text.parse::<f64>().unwrap().to_bits(),
            "{text}"
        );
    }
    for text in [
        "9007199254740993",
        "1e23",
        "1e-23",
        "12345678901234567890",
        "1e99999",
    ] {
        assert!(fast::short_decimal(text.as_bytes()).is_none(), "{text}");
    }
}
