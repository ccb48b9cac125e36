//! Property tests: import -> bind -> pull gives back exactly what was imported (floats bit
//! for bit, md5 equal), through JSON and CSV, for generated datasets of every type; and bind
//! -> pull on PostgreSQL gives back the same dataset.

mod common;

use mlops_lite::dataset::export::{write_csv, write_json};
use mlops_lite::dataset::import::{read, Format, Input};
use mlops_lite::dataset::{Column, Dataset, Values};
use mlops_lite::Registry;
use proptest::prelude::*;

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        -1e6f64..1e6,
        Just(0.1),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(f64::MAX),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        any::<String>(),
        Just("a,b \"quoted\"\nnext line".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("5".to_string()),
        Just(String::new()),
    ]
}

fn column_values(rows: usize) -> impl Strategy<Value = Values> {
    prop_oneof![
        prop::collection::vec(prop::option::weighted(0.9, any::<i64>()), rows)
            .prop_map(Values::Integer),
        prop::collection::vec(prop::option::weighted(0.9, finite_f64()), rows)
            .prop_map(|v| Values::Float(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())),
        prop::collection::vec(prop::option::weighted(0.9, any::<bool>()), rows)
            .prop_map(Values::Boolean),
        prop::collection::vec(prop::option::weighted(0.9, text()), rows).prop_map(Values::String),
    ]
}

fn dataset() -> impl Strategy<Value = Dataset> {
    (1usize..6, 1usize..5)
        .prop_flat_map(|(rows, cols)| prop::collection::vec(column_values(rows), cols))
        .prop_map(|cols| {
            Dataset::new(
                cols.into_iter()
                    .enumerate()
                    .map(|(i, v)| Column::new(format!("c{i} \"x\""), v))
                    .collect(),
            )
            .unwrap()
        })
}

fn import(bytes: &[u8], format: Format) -> Dataset {
    read(
        Input::Bytes {
            bytes,
            label: "gen",
        },
        format,
        &mut |_, _| {},
    )
    .unwrap()
}

fn bind_pull(data: &Dataset) -> Dataset {
    let mut reg = Registry::open_in_memory().unwrap();
    let b = reg.bind_dataset(data, "gen", "").unwrap();
    assert_eq!(b.dataset.md5, data.md5());
    // Through the bytes of the file too, as the browser will see it.
    let reg = Registry::from_bytes(&reg.to_bytes().unwrap()).unwrap();
    let (entry, back) = reg.pull_dataset("gen").unwrap();
    assert_eq!(entry.md5, back.md5());
    back
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// JSON keeps every type exactly, so any dataset survives export -> import -> bind -> pull.
    #[test]
    fn json_import_bind_pull_is_exact(data in dataset()) {
        let mut json = Vec::new();
        write_json(&data, &mut json).unwrap();
        let imported = import(&json, Format::Json);
        prop_assert_eq!(&imported, &data);
        let back = bind_pull(&imported);
        prop_assert_eq!(&back, &data);
        prop_assert_eq!(back.md5(), data.md5());
    }

    /// Whatever a CSV imports as binds and pulls back exactly, and its CSV export imports as
    /// the same dataset (same md5).
    #[test]
    fn csv_import_bind_pull_is_exact(data in dataset()) {
        let mut csv = Vec::new();
        write_csv(&data, &mut csv).unwrap();
        let imported = import(&csv, Format::Csv);
        let back = bind_pull(&imported);
        prop_assert_eq!(&back, &imported);
        let mut again = Vec::new();
        write_csv(&back, &mut again).unwrap();
        let reimported = import(&again, Format::Csv);
        prop_assert_eq!(reimported.md5(), imported.md5());
        // Numbers and booleans survive CSV bit for bit (strings may be retyped by CSV's
        // lack of types, e.g. a text column holding only "5").
        for (a, b) in data.columns().iter().zip(imported.columns()) {
            if !matches!(a.values, Values::String(_)) {
                prop_assert_eq!(&a.values, &b.values);
            }
        }
    }
}

/// The same datasets through a PostgreSQL registry (one schema, a name per case): pulled back
/// equal with the same md5, or, for a string holding a NUL character (PostgreSQL text cannot),
/// refused with the row and column named and nothing written.
#[test]
fn postgres_bind_pull_is_exact() {
    let t = common::targets::Target::postgres();
    let reg = std::cell::RefCell::new(Registry::open(&t.db).unwrap());
    let case = std::cell::Cell::new(0);
    proptest!(ProptestConfig::with_cases(64), |(data in dataset())| {
        let mut reg = reg.borrow_mut();
        case.set(case.get() + 1);
        let name = format!("gen{}", case.get());
        let has_nul = data.columns().iter().any(|c| match &c.values {
            Values::String(v) => v.iter().flatten().any(|s| s.contains('\0')),
            _ => false,
        });
        match reg.bind_dataset(&data, &name, "") {
            Ok(bound) => {
                prop_assert!(!has_nul);
                prop_assert_eq!(&bound.dataset.md5, &data.md5());
                let (entry, back) = reg.pull_dataset(&name).unwrap();
                prop_assert_eq!(&back, &data);
                prop_assert_eq!(entry.md5, back.md5());
            }
            Err(e) => {
                prop_assert!(has_nul, "{}", e);
                prop_assert!(e.to_string().contains("NUL"), "{}", e);
                prop_assert!(reg.dataset(&name).is_err());
            }
        }
    });
}
