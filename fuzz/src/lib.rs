//! What the fuzz targets share: the models records are parsed against, and the calls each
//! target makes with what it parsed. Every call may fail; none may panic, abort or hang.

use std::sync::OnceLock;

use mlops_lite::dataset::import::{self, Format, Input};
use mlops_lite::dataset::samples;
use mlops_lite::pipeline::preprocess::{RowInput, Scratch};
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::store::LogFilter;
use mlops_lite::Registry;

/// Reads `data` as a dataset in `format`; a dataset read is hashed and described too.
pub fn read_dataset(data: &[u8], format: Format) {
    let input = Input::Bytes {
        bytes: data,
        label: "fuzz",
    };
    if let Ok(d) = import::read(input, format, &mut |_, _| {}) {
        let _ = d.md5();
        let _ = d.column_info();
    }
}

/// Models to parse records against: iris (four numeric features, a classifier) and a small
/// mixed one (integer, string and boolean features, a classifier), both trained once.
pub fn pipelines() -> &'static [Pipeline] {
    static PIPELINES: OnceLock<Vec<Pipeline>> = OnceLock::new();
    PIPELINES.get_or_init(|| {
        let mut reg = Registry::open_in_memory().expect("an in-memory registry");
        let (_, iris) = samples::sample("iris").expect("the iris sample");
        reg.bind_dataset(&iris, "iris", "").expect("iris binds");
        let csv = "n,c,b,y\n1,a,true,p\n2,b,false,q\n3,a,true,p\n,b,false,q\n5,,true,p\n\
                   6,c,false,q\n7,a,true,p\n8,b,false,q\n";
        reg.bind_dataset_from(
            Input::Bytes {
                bytes: csv.as_bytes(),
                label: "mixed.csv",
            },
            Format::Csv,
            "mixed",
            "",
            &mut |_, _| {},
        )
        .expect("the mixed dataset binds");
        vec![
            reg.train_model("iris", &TrainSpec::new("target"))
                .expect("iris trains"),
            reg.train_model("mixed", &TrainSpec::new("y").test_size(0.0))
                .expect("the mixed dataset trains"),
        ]
    })
}

/// Predicts a few rows (numbers, nulls, extremes, strings) with a pipeline.
pub fn exercise(p: &Pipeline) {
    let n = p.signature.len();
    let mut scratch = Scratch::default();
    let (mut features, mut proba) = (Vec::new(), Vec::new());
    for (num, s) in [
        (1.0, Some("a")),
        (f64::NAN, None),
        (-1e300, Some("zzz")),
        (0.0, Some("")),
    ] {
        let numbers = vec![num; n];
        let strings = vec![s; n];
        let row = RowInput {
            numbers: &numbers,
            strings: &strings,
        };
        let _ = p.predict_row(&row, &mut scratch, &mut features, &mut proba);
    }
}

/// Opens `data` as a registry file and uses it as a reader would: lists, describes and
/// pulls (at most 4 datasets and 4 models), predicts one record per model with logging
/// (in memory), and queries the log.
pub fn use_registry(data: &[u8]) {
    let Ok(mut reg) = Registry::from_bytes(data) else {
        return;
    };
    use_registry_inner(&mut reg);
}

fn use_registry_inner(reg: &mut Registry) {
    if let Ok(datasets) = reg.list_datasets() {
        for d in datasets.iter().take(4) {
            let r = d.id.to_string();
            let _ = reg.dataset(&r);
            let _ = reg.info(&r);
            if let Ok((_, data)) = reg.pull_dataset(&r) {
                let _ = data.md5();
            }
        }
    }
    if let Ok(models) = reg.list_models() {
        for m in models.iter().take(4) {
            let r = m.id.to_string();
            let _ = reg.model_info(&r);
            let Ok((_, p, _)) = reg.pull_model(&r) else {
                continue;
            };
            let record: serde_json::Map<String, serde_json::Value> = p
                .signature
                .iter()
                .map(|f| {
                    let v = match f.dtype.as_str() {
                        "string" => serde_json::json!("a"),
                        "boolean" => serde_json::json!(true),
                        _ => serde_json::json!(1.5),
                    };
                    (f.name.clone(), v)
                })
                .collect();
            let records = serde_json::json!([record, {"reference_id": "r"}]).to_string();
            let _ = reg.predict(&r, records.as_bytes(), true);
        }
    }
    let _ = reg.log(&LogFilter::default());
}

/// A registry made by the CLI (three models, five logged records; see fuzz/corpus/).
pub const SEED_REGISTRY: &[u8] = include_bytes!("../corpus/registry_bytes/three_models.db");

/// Forges cells of a genuine registry, then uses it like [`use_registry`] and verifies it.
/// `data` is a list of edits, 4 bytes each plus a value: table, column and row (each modulo
/// what exists), the value's kind (small integer, 64-bit integer, float, text, blob, null)
/// and its bytes. Random bytes rarely make a readable SQLite file; this reaches the code
/// that trusts what a readable file says (counts, sizes, md5s, JSON columns, artifacts).
pub fn forge_registry(data: &[u8]) {
    let Ok(mut reg) = Registry::from_bytes(SEED_REGISTRY) else {
        return;
    };
    if let Ok(conn) = reg.connection() {
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap_or_default();
        let mut rest = data;
        while let [t, c, row, kind, tail @ ..] = rest {
            rest = tail;
            let Some(table) = tables.get(*t as usize % tables.len().max(1)) else {
                break;
            };
            let columns: Vec<String> = conn
                .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
                .and_then(|mut s| {
                    s.query_map([table], |r| r.get::<_, String>(0))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap_or_default();
            let Some(column) = columns.get(*c as usize % columns.len().max(1)) else {
                continue;
            };
            let (value, used) = literal(*kind, rest);
            rest = &rest[used..];
            let sql = format!(
                "UPDATE \"{}\" SET \"{}\" = {value} WHERE rowid = \
                 (SELECT rowid FROM \"{}\" ORDER BY rowid LIMIT 1 OFFSET {})",
                table.replace('"', "\"\""),
                column.replace('"', "\"\""),
                table.replace('"', "\"\""),
                row % 8
            );
            let _ = conn.execute(&sql, []);
        }
    }
    use_registry_inner(&mut reg);
    let _ = reg.verify(1e-12);
}

/// An SQL literal of `kind` from the first bytes of `bytes`, and how many bytes it used.
fn literal(kind: u8, bytes: &[u8]) -> (String, usize) {
    let take = |n: usize| &bytes[..n.min(bytes.len())];
    match kind % 6 {
        0 => {
            let b = take(1);
            (
                b.first().map_or(0, |&x| x as i8 as i64).to_string(),
                b.len(),
            )
        }
        1 => {
            let b = take(8);
            let mut a = [0u8; 8];
            a[..b.len()].copy_from_slice(b);
            (i64::from_le_bytes(a).to_string(), b.len())
        }
        2 => {
            let b = take(8);
            let mut a = [0u8; 8];
            a[..b.len()].copy_from_slice(b);
            let x = f64::from_le_bytes(a);
            (
                if x.is_finite() {
                    format!("{x:e}")
                } else {
                    "NULL".into()
                },
                b.len(),
            )
        }
        3 | 4 => {
            // A length byte, then that many bytes (or what is left).
            let n = bytes.first().map_or(0, |&n| n as usize);
            let body = bytes.get(1..).unwrap_or(&[]);
            let body = &body[..n.min(body.len())];
            let used = (1 + body.len()).min(bytes.len());
            if kind % 6 == 3 {
                let text = String::from_utf8_lossy(body);
                (format!("'{}'", text.replace('\'', "''")), used)
            } else {
                let hex: String = body.iter().map(|x| format!("{x:02x}")).collect();
                (format!("X'{hex}'"), used)
            }
        }
        _ => ("NULL".into(), 0),
    }
}
