//! The sample datasets bundled in the binary (iris, breast cancer, diabetes), as CSV.
//!
//! They come from scikit-learn's loaders with class names as targets; see `data/README.md`.

use super::import::{read, Format, Input};
use super::Dataset;
use crate::error::{Error, Result};

/// A bundled sample: its name, a description, and its CSV text.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The name to pass to [`sample`] and the default dataset name.
    pub name: &'static str,
    /// One line on what it is.
    pub description: &'static str,
    /// The CSV text.
    pub csv: &'static str,
}

/// Every bundled sample.
pub const SAMPLES: &[Sample] = &[
    Sample {
        name: "iris",
        description: "Iris plants: 4 measurements (cm) and the species, 150 rows",
        csv: include_str!("../../data/iris.csv"),
    },
    Sample {
        name: "breast_cancer",
        description:
            "Wisconsin breast cancer: 30 cell-nucleus features and the diagnosis, 569 rows",
        csv: include_str!("../../data/breast_cancer.csv"),
    },
    Sample {
        name: "diabetes",
        description: "Diabetes: 10 scaled baseline variables and disease progression, 442 rows",
        csv: include_str!("../../data/diabetes.csv"),
    },
];

/// The bundled sample called `name`, parsed.
pub fn sample(name: &str) -> Result<(Sample, Dataset)> {
    let s = SAMPLES.iter().find(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = SAMPLES.iter().map(|s| s.name).collect();
        Error::NotFound(format!(
            "no bundled sample called {name:?}; the samples are {}",
            names.join(", ")
        ))
    })?;
    let label = format!("sample {}", s.name);
    let data = read(
        Input::Bytes {
            bytes: s.csv.as_bytes(),
            label: &label,
        },
        Format::Csv,
        &mut |_, _| {},
    )?;
    Ok((*s, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{DType, Values};

    #[test]
    fn samples_parse_with_expected_shapes_and_types() {
        for (name, rows, cols, target) in [
            ("iris", 150, 5, DType::String),
            ("breast_cancer", 569, 31, DType::String),
            ("diabetes", 442, 11, DType::Float),
        ] {
            let (_, d) = sample(name).unwrap();
            assert_eq!((d.rows(), d.columns().len()), (rows, cols), "{name}");
            let t = d.column("target").unwrap();
            assert_eq!(t.values.dtype(), target, "{name}");
            for c in &d.columns()[..cols - 1] {
                assert_eq!(c.values.dtype(), DType::Float, "{name}.{}", c.name);
            }
        }
        let (_, iris) = sample("iris").unwrap();
        let Values::String(t) = &iris.column("target").unwrap().values else {
            panic!()
        };
        assert_eq!(t[0].as_deref(), Some("setosa"));
        assert_eq!(t[149].as_deref(), Some("virginica"));
        assert!(sample("mnist")
            .unwrap_err()
            .to_string()
            .contains("iris, breast_cancer, diabetes"));
    }
}
