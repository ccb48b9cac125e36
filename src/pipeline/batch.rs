//! Inference over a batch of records held in columns: the one entry point every caller's
//! records reach (JSON, CSV, columns, logged rows all become a [`BatchIn`] first, see
//! `crate::records`), and the columnar result ([`BatchOut`]) that is rendered as JSON,
//! JSON lines, CSV or JS typed arrays without one allocation per record.
//!
//! Records run in chunks of [`CHUNK`]: each column group of the transformers goes over the
//! chunk column by column (imputers and scalers in loops the compiler vectorises; groups
//! with string steps record by record), then the estimator over the chunk (linear and
//! logistic models by columns: dot products, then the softmax with [`super::math::exp`]
//! over whole columns; the others record by record), writing straight into [`BatchOut`].
//!
//! [`Pipeline::predict_row`] is a batch of one through the same code, so both give the same
//! numbers bit for bit; each record's arithmetic is the same whatever the chunk (the same
//! operations in the same order, never reassociated), on every target.

use super::estimator::Task;
use super::preprocess::{Refusal, RowInput, Scratch};
use super::{Output, Pipeline, RowError};

/// Records per chunk: enough for the loops over records to run at full speed, few enough
/// for the chunk's features and logits to stay in the L1 cache for narrow models.
pub const CHUNK: usize = 128;

/// One input column, in signature order: numbers (NaN is null; booleans as 0/1) or strings
/// (None is null). Every column holds [`BatchIn::len`] values.
#[derive(Debug, Clone, Copy)]
pub enum ColumnIn<'a> {
    /// A numeric or boolean feature.
    Numbers(&'a [f64]),
    /// A string feature.
    Strings(&'a [Option<String>]),
}

impl ColumnIn<'_> {
    fn len(&self) -> usize {
        match self {
            ColumnIn::Numbers(v) => v.len(),
            ColumnIn::Strings(v) => v.len(),
        }
    }
}

/// Records in columns, one per signature feature, each `len` long.
#[derive(Debug, Clone)]
pub struct BatchIn<'a> {
    /// Number of records.
    pub len: usize,
    /// One column per signature feature, in signature order.
    pub columns: Vec<ColumnIn<'a>>,
}

/// Predictions of a batch, in columns.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOut {
    /// A classifier's output.
    Classes {
        /// Number of classes (`proba` holds `len * n_classes` values).
        n_classes: usize,
        /// Probabilities, record-major: record `i`'s are `proba[i * n_classes..][..n_classes]`.
        proba: Vec<f64>,
        /// The index of each record's predicted class.
        labels: Vec<u32>,
    },
    /// A regressor's values, one per record.
    Values(Vec<f64>),
}

impl BatchOut {
    /// Number of records.
    pub fn len(&self) -> usize {
        match self {
            BatchOut::Classes { labels, .. } => labels.len(),
            BatchOut::Values(v) => v.len(),
        }
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a chunk's values come from: the columns of a batch, or one row.
#[derive(Clone, Copy)]
enum Source<'s> {
    Columns(&'s [ColumnIn<'s>]),
    Row(&'s RowInput<'s>),
}

impl<'s> Source<'s> {
    /// Feature `f` of records `start..start + out.len()` as numbers (NaN for a null, and
    /// throughout for a string column).
    fn numbers(&self, f: usize, start: usize, out: &mut [f64]) {
        match self {
            Source::Columns(cols) => match cols[f] {
                ColumnIn::Numbers(v) => out.copy_from_slice(&v[start..start + out.len()]),
                ColumnIn::Strings(_) => out.fill(f64::NAN),
            },
            Source::Row(row) => out.fill(row.numbers[f]),
        }
    }
}

/// What a chunk's predictions are written into: its part of the batch's outputs.
enum ChunkOut<'o> {
    /// `m * k` probabilities by record, and `m` labels.
    Classes(&'o mut [f64], &'o mut [u32]),
    /// `m` values.
    Values(&'o mut [f64]),
}

/// One record's values by signature feature, for the groups that run record by record.
struct RecordBuf<'s> {
    numbers: Vec<f64>,
    strings: Vec<Option<&'s str>>,
}

impl Pipeline {
    /// Runs the pipeline over every record of `input`. The first record that cannot be
    /// predicted (a null with no imputer) fails the batch, naming the record and feature.
    pub fn predict_batch(&self, input: &BatchIn<'_>) -> std::result::Result<BatchOut, RowError> {
        let n = self.signature.len();
        let len = input.len;
        if input.columns.len() != n {
            return Err(RowError {
                record: 0,
                feature: input.columns.len().min(n),
                message: format!(
                    "is missing: the batch has {} columns for {n} features",
                    input.columns.len()
                ),
            });
        }
        if let Some(f) = input.columns.iter().position(|c| c.len() != len) {
            return Err(RowError {
                record: 0,
                feature: f,
                message: format!("has {} values for {len} records", input.columns[f].len()),
            });
        }
        let source = Source::Columns(&input.columns);
        let mut scratch = Scratch::default();
        let mut x = Vec::new();
        let mut record = RecordBuf {
            numbers: vec![f64::NAN; n],
            strings: vec![None; n],
        };
        let k = self.classes.len();
        let mut out = match self.task() {
            Task::Classification => BatchOut::Classes {
                n_classes: k,
                proba: vec![0.0; len.saturating_mul(k)],
                labels: vec![0; len],
            },
            Task::Regression => BatchOut::Values(vec![0.0; len]),
        };
        let mut start = 0;
        while start < len {
            let m = CHUNK.min(len - start);
            let chunk_out = match &mut out {
                BatchOut::Classes { proba, labels, .. } => ChunkOut::Classes(
                    &mut proba[start * k..(start + m) * k],
                    &mut labels[start..start + m],
                ),
                BatchOut::Values(v) => ChunkOut::Values(&mut v[start..start + m]),
            };
            self.run_chunk(
                source,
                start,
                m,
                &mut record,
                &mut scratch,
                &mut x,
                chunk_out,
            )?;
            start += m;
        }
        Ok(out)
    }

    /// Runs one row: a batch of one through [`Pipeline::predict_batch`]'s code. `features`
    /// receives the transformed features (the estimator's input); `features` and `proba`
    /// are buffers reused from call to call, as is `scratch`.
    pub fn predict_row(
        &self,
        row: &RowInput<'_>,
        scratch: &mut Scratch,
        features: &mut Vec<f64>,
        proba: &mut Vec<f64>,
    ) -> std::result::Result<Output, RowError> {
        let n = self.signature.len();
        if row.numbers.len() < n || row.strings.len() < n {
            return Err(RowError {
                record: 0,
                feature: row.numbers.len().min(row.strings.len()),
                message: "is missing: the row is shorter than the signature".into(),
            });
        }
        let mut record = RecordBuf {
            numbers: Vec::new(),
            strings: Vec::new(),
        };
        Ok(match self.estimator.task() {
            Task::Classification => {
                proba.clear();
                proba.resize(self.classes.len(), 0.0);
                let mut label = [0];
                let out = ChunkOut::Classes(proba.as_mut_slice(), &mut label);
                self.run_chunk(Source::Row(row), 0, 1, &mut record, scratch, features, out)?;
                Output::Classes {
                    label: label[0] as usize,
                    proba: proba.clone(),
                }
            }
            Task::Regression => {
                let mut value = [0.0];
                let out = ChunkOut::Values(&mut value);
                self.run_chunk(Source::Row(row), 0, 1, &mut record, scratch, features, out)?;
                Output::Value(value[0])
            }
        })
    }

    /// Records `start..start + m` of `source` through the transformers into `x` (by
    /// feature: `x[j * m + i]`), then through the estimator into `out`. A record that
    /// cannot be predicted fails the chunk: the first such record, and for it the first
    /// group and column, as a record-by-record run would report.
    #[allow(clippy::too_many_arguments)]
    fn run_chunk<'s>(
        &self,
        source: Source<'s>,
        start: usize,
        m: usize,
        record: &mut RecordBuf<'s>,
        scratch: &mut Scratch,
        x: &mut Vec<f64>,
        out: ChunkOut<'_>,
    ) -> std::result::Result<(), RowError> {
        let width: usize = self.transformers.iter().map(|g| g.width_out()).sum();
        // Every value of x is written below before it is read (a numeric group copies whole
        // columns; a record group writes each record it reaches, and a record it does not
        // reach fails the chunk), so x is zeroed only when its size changes.
        if x.len() != width * m {
            x.clear();
            x.resize(width * m, 0.0);
        }
        // The first failing record of the chunk, and why. An estimator that routes NaN
        // (scikit-learn's trees) takes nulls as they are.
        let allow_missing = self.estimator.accepts_missing();
        let mut failed: Option<(usize, Refusal)> = None;
        let mut offset = 0;
        for g in &self.transformers {
            let w = g.width_out();
            let block = &mut x[offset * m..(offset + w) * m];
            offset += w;
            if g.is_numeric() {
                for (col, &f) in block.chunks_exact_mut(m).zip(&g.columns) {
                    source.numbers(f, start, col);
                }
                g.transform_columns(block, m);
                // (An OR over the block, which vectorises, then the search where it found one.)
                if !allow_missing && mlops_lite_kernels::any_nan(block) {
                    // The first record with a NaN, and its first column.
                    let cols: Vec<&[f64]> = block.chunks_exact(m).collect();
                    if let Some((i, j)) =
                        (0..m).find_map(|i| cols.iter().position(|c| c[i].is_nan()).map(|j| (i, j)))
                    {
                        if failed.as_ref().is_none_or(|(r, _)| i < *r) {
                            failed = Some((i, Refusal::Missing(g.columns[j])));
                        }
                    }
                }
                continue;
            }
            for i in 0..m {
                if failed.as_ref().is_some_and(|(r, _)| *r <= i) {
                    break;
                }
                let result = match source {
                    Source::Row(row) => g.transform_record(row, scratch, allow_missing),
                    Source::Columns(cols) => {
                        for &f in &g.columns {
                            match cols[f] {
                                ColumnIn::Numbers(v) => record.numbers[f] = v[start + i],
                                ColumnIn::Strings(v) => record.strings[f] = v[start + i].as_deref(),
                            }
                        }
                        let row = RowInput {
                            numbers: &record.numbers,
                            strings: &record.strings,
                        };
                        g.transform_record(&row, scratch, allow_missing)
                    }
                };
                match result {
                    Ok(()) => {
                        for (col, v) in block.chunks_exact_mut(m).zip(&scratch.nums) {
                            col[i] = *v;
                        }
                    }
                    Err(why) => failed = Some((i, why)),
                }
            }
        }
        if let Some((i, why)) = failed {
            return Err(RowError {
                record: start + i,
                feature: why.feature(),
                message: why.message(),
            });
        }
        match out {
            ChunkOut::Classes(proba, labels) => {
                self.estimator
                    .predict_proba_columns(x, m, &mut scratch.work, proba, labels)
            }
            ChunkOut::Values(values) => {
                self.estimator
                    .predict_value_columns(x, m, &mut scratch.work, values)
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Column, Dataset, Values};
    use crate::pipeline::estimator::EstimatorSpec;
    use crate::pipeline::preprocess::{FittedStep, ImputeStrategy, StepSpec};
    use crate::pipeline::{train, Lineage, TrainSpec};

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    const CITIES: [&str; 4] = ["berlin", "paris", "rome", "oslo"];
    const SIZES: [&str; 3] = ["s", "m", "l"];

    /// Columns of `rows` records: `a` (float), `b` (integer), `flag` (boolean), `city` and
    /// `size` (strings), with nulls at rate `nulls` (none in `flag` when `flag_nulls` is
    /// false), and the targets `label` (3 classes) and `y`.
    struct Data {
        a: Vec<f64>,
        b: Vec<f64>,
        flag: Vec<f64>,
        city: Vec<Option<String>>,
        size: Vec<Option<String>>,
        label: Vec<Option<String>>,
        y: Vec<f64>,
    }

    fn data(rows: usize, seed: u64, nulls: f64, flag_nulls: bool) -> Data {
        let mut r = Rng(seed);
        let mut d = Data {
            a: vec![],
            b: vec![],
            flag: vec![],
            city: vec![],
            size: vec![],
            label: vec![],
            y: vec![],
        };
        for _ in 0..rows {
            let a = (r.next() - 0.5) * 10.0;
            let b = (r.next() * 50.0).floor();
            let flag = (r.next() < 0.5) as u8 as f64;
            let c = (r.next() * 4.0) as usize;
            let s = (r.next() * 3.0) as usize;
            let score = a + b / 10.0 + c as f64 - 2.0 * flag + (r.next() - 0.5) * 3.0;
            d.label.push(Some(
                ["low", "mid", "high"][(score > 1.5) as usize + (score > 4.5) as usize].to_string(),
            ));
            d.y.push(score);
            d.a.push(if r.next() < nulls { f64::NAN } else { a });
            d.b.push(if r.next() < nulls { f64::NAN } else { b });
            d.flag.push(if flag_nulls && r.next() < nulls {
                f64::NAN
            } else {
                flag
            });
            d.city
                .push((r.next() >= nulls).then(|| CITIES[c].to_string()));
            d.size
                .push((r.next() >= nulls).then(|| SIZES[s].to_string()));
        }
        d
    }

    fn dataset(d: &Data) -> Dataset {
        let int = |v: &[f64]| {
            v.iter()
                .map(|x| (!x.is_nan()).then_some(*x as i64))
                .collect()
        };
        Dataset::new(vec![
            Column::new("a", Values::Float(d.a.clone())),
            Column::new("b", Values::Integer(int(&d.b))),
            Column::new(
                "flag",
                Values::Boolean(
                    d.flag
                        .iter()
                        .map(|x| (!x.is_nan()).then_some(*x == 1.0))
                        .collect(),
                ),
            ),
            Column::new("city", Values::String(d.city.clone())),
            Column::new("size", Values::String(d.size.clone())),
            Column::new("label", Values::String(d.label.clone())),
            Column::new("y", Values::Float(d.y.clone())),
        ])
        .unwrap()
    }

    const FEATURES: [&str; 5] = ["a", "b", "flag", "city", "size"];

    /// Every estimator, trained with the default column groups and with custom ones (a
    /// pass-through group without imputer, an ordinal encoder followed by a scaler).
    fn pipelines() -> Vec<Pipeline> {
        let train_data = dataset(&data(240, 0x1234_5678, 0.1, false));
        let lineage = Lineage {
            name: "t".into(),
            version: 1,
            md5: String::new(),
        };
        let mut out = Vec::new();
        for name in EstimatorSpec::names() {
            let mut json = serde_json::json!({ "estimator": name });
            if name.starts_with("random_forest") {
                json["n_trees"] = 7.into();
            }
            let est = EstimatorSpec::from_json(&json).unwrap();
            let target = match est.task() {
                Task::Classification => "label",
                Task::Regression => "y",
            };
            let base = TrainSpec::new(target)
                .features(FEATURES)
                .estimator(est)
                .test_size(0.0);
            let custom = base
                .clone()
                .transformer(
                    "num",
                    &["a", "b"],
                    vec![
                        StepSpec::SimpleImputer {
                            strategy: ImputeStrategy::Mean,
                            fill_value: None,
                        },
                        StepSpec::MinMaxScaler {},
                    ],
                )
                .transformer("raw", &["flag"], vec![])
                .transformer(
                    "cat",
                    &["city", "size"],
                    vec![
                        StepSpec::SimpleImputer {
                            strategy: ImputeStrategy::Constant,
                            fill_value: Some("none".into()),
                        },
                        StepSpec::OrdinalEncoder {},
                        StepSpec::StandardScaler {},
                    ],
                );
            for spec in [base, custom] {
                out.push(
                    train(&train_data, &spec, lineage.clone())
                        .unwrap_or_else(|e| panic!("{name}: {e}")),
                );
            }
        }
        out
    }

    /// Records to predict: nulls, unseen categories, and extreme and infinite numbers (whose
    /// logits are infinite or NaN).
    fn records(rows: usize, flag_nulls: bool) -> Data {
        let mut d = data(rows, 0x9876_5432, 0.15, flag_nulls);
        for (i, extreme) in [
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            1e-300,
        ]
        .into_iter()
        .enumerate()
        {
            if rows > 100 {
                d.a[7 + 13 * i] = extreme;
                d.b[9 + 17 * i] = extreme;
            }
        }
        d.city[3] = Some("tokyo".into());
        d.size[5] = Some("".into());
        d
    }

    fn columns(d: &Data) -> Vec<ColumnIn<'_>> {
        vec![
            ColumnIn::Numbers(&d.a),
            ColumnIn::Numbers(&d.b),
            ColumnIn::Numbers(&d.flag),
            ColumnIn::Strings(&d.city),
            ColumnIn::Strings(&d.size),
        ]
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// Runs record `i` of `cols` through `predict_row`, and checks that the estimator's own
    /// row code ([`Fitted::predict_proba_into`], [`Fitted::predict_value`]) on the features
    /// it saw gives the same bits.
    fn row(p: &Pipeline, cols: &[ColumnIn<'_>], i: usize) -> std::result::Result<Output, RowError> {
        let mut numbers = vec![f64::NAN; cols.len()];
        let mut strings = vec![None; cols.len()];
        for (j, c) in cols.iter().enumerate() {
            match c {
                ColumnIn::Numbers(v) => numbers[j] = v[i],
                ColumnIn::Strings(v) => strings[j] = v[i].as_deref(),
            }
        }
        let input = RowInput {
            numbers: &numbers,
            strings: &strings,
        };
        let (mut scratch, mut feats, mut proba) = (Scratch::default(), vec![], vec![]);
        let out = p.predict_row(&input, &mut scratch, &mut feats, &mut proba)?;
        match &out {
            Output::Classes { proba, .. } => {
                let mut want = vec![0.0; proba.len()];
                p.estimator.predict_proba_into(&feats, &mut want);
                assert!(
                    proba.iter().zip(&want).all(|(a, b)| same(*a, *b)),
                    "{}: record {i}: {proba:?} by columns, {want:?} by the row code",
                    p.estimator_class
                );
            }
            Output::Value(v) => {
                let want = p.estimator.predict_value(&feats);
                assert!(
                    same(*v, want),
                    "{}: record {i}: {v} vs {want}",
                    p.estimator_class
                );
            }
        }
        Ok(out)
    }

    #[test]
    fn every_estimator_gives_the_same_bits_by_batch_and_by_row() {
        // 300 records: two full chunks and a partial one.
        let d = records(300, false);
        let cols = columns(&d);
        let input = BatchIn {
            len: 300,
            columns: cols.clone(),
        };
        let mut specials = 0;
        for p in pipelines() {
            let out = p.predict_batch(&input).unwrap();
            assert_eq!(out.len(), 300);
            for i in 0..300 {
                let r = row(&p, &cols, i).unwrap();
                match (&out, &r) {
                    (
                        BatchOut::Classes {
                            n_classes,
                            proba,
                            labels,
                        },
                        Output::Classes { proba: want, label },
                    ) => {
                        let got = &proba[i * n_classes..(i + 1) * n_classes];
                        assert!(
                            got.iter().zip(want).all(|(a, b)| same(*a, *b)),
                            "{}: record {i}: batch {got:?}, row {want:?}",
                            p.estimator_class
                        );
                        assert_eq!(labels[i] as usize, *label);
                        specials += want.iter().any(|v| v.is_nan() || *v == 0.0) as usize;
                    }
                    (BatchOut::Values(v), Output::Value(want)) => {
                        assert!(same(v[i], *want), "{}: record {i}", p.estimator_class)
                    }
                    _ => panic!("task"),
                }
            }
            // Every chunk length gives the same bits as the whole batch.
            for len in [1, 2, 127, 128, 129, 255, 256, 257] {
                let part = BatchIn {
                    len,
                    columns: cols
                        .iter()
                        .map(|c| match c {
                            ColumnIn::Numbers(v) => ColumnIn::Numbers(&v[300 - len..]),
                            ColumnIn::Strings(v) => ColumnIn::Strings(&v[300 - len..]),
                        })
                        .collect(),
                };
                let got = p.predict_batch(&part).unwrap();
                match (&got, &out) {
                    (
                        BatchOut::Classes {
                            proba: a,
                            labels: la,
                            ..
                        },
                        BatchOut::Classes {
                            proba: b,
                            labels: lb,
                            n_classes,
                        },
                    ) => {
                        let b = &b[(300 - len) * n_classes..];
                        assert!(a.iter().zip(b).all(|(x, y)| same(*x, *y)));
                        assert_eq!(la[..], lb[300 - len..]);
                    }
                    (BatchOut::Values(a), BatchOut::Values(b)) => {
                        assert!(a.iter().zip(&b[300 - len..]).all(|(x, y)| same(*x, *y)))
                    }
                    _ => panic!("task"),
                }
            }
        }
        // The extreme records reached the softmax's special cases (infinite logits).
        assert!(specials > 0);
    }

    #[test]
    fn the_first_failing_record_fails_the_batch_as_by_row() {
        // Nulls in `flag`, which the custom groups pass through without an imputer; and a
        // pipeline whose imputers are removed, so that every group can fail.
        let d = records(300, true);
        let cols = columns(&d);
        let mut tried = 0;
        for mut p in pipelines() {
            if p.transformers.len() == 2 {
                for g in &mut p.transformers {
                    g.steps
                        .retain(|s| !matches!(s, FittedStep::ImputeNumbers { .. }));
                }
            }
            for start in [0, 1, 100, 130, 299] {
                let len = 300 - start;
                let part: Vec<ColumnIn<'_>> = cols
                    .iter()
                    .map(|c| match c {
                        ColumnIn::Numbers(v) => ColumnIn::Numbers(&v[start..]),
                        ColumnIn::Strings(v) => ColumnIn::Strings(&v[start..]),
                    })
                    .collect();
                let got = p.predict_batch(&BatchIn {
                    len,
                    columns: part.clone(),
                });
                let first = (0..len).find_map(|i| row(&p, &part, i).err().map(|e| (i, e)));
                match (got, first) {
                    (Err(e), Some((i, want))) => {
                        assert_eq!(e, RowError { record: i, ..want });
                        tried += 1;
                    }
                    (Ok(_), None) => {}
                    (got, first) => panic!("batch {got:?}, by row {first:?}"),
                }
            }
        }
        assert!(tried > 20, "{tried}");
    }

    #[test]
    fn columns_of_the_wrong_shape_are_errors() {
        let p = &pipelines()[0];
        let d = records(10, false);
        let mut cols = columns(&d);
        let e = p
            .predict_batch(&BatchIn {
                len: 9,
                columns: cols.clone(),
            })
            .unwrap_err();
        assert_eq!((e.record, e.feature), (0, 0));
        assert_eq!(e.message, "has 10 values for 9 records");
        cols.pop();
        let e = p
            .predict_batch(&BatchIn {
                len: 10,
                columns: cols,
            })
            .unwrap_err();
        assert_eq!(e.feature, 4);
        assert!(e.message.contains("4 columns for 5 features"));
        let empty = p
            .predict_batch(&BatchIn {
                len: 0,
                columns: vec![ColumnIn::Numbers(&[]); 3]
                    .into_iter()
                    .chain([ColumnIn::Strings(&[]), ColumnIn::Strings(&[])])
                    .collect(),
            })
            .unwrap();
        assert!(empty.is_empty());
    }
}
