//! # mlops-lite
//!
//! A portable machine-learning registry in one SQLite file (or a PostgreSQL schema): versioned datasets (readable with
//! plain SQL), versioned fitted pipelines, and a log of every prediction.
//!
//! ```
//! use mlops_lite::{Registry, dataset::samples};
//!
//! let mut reg = Registry::open_in_memory()?;
//! let (_, iris) = samples::sample("iris")?;
//! let bound = reg.bind_dataset(&iris, "iris", "Fisher's iris")?;
//! assert_eq!((bound.dataset.version, bound.created), (1, true));
//! // The same content again writes nothing and returns version 1.
//! assert!(!reg.bind_dataset(&iris, "iris", "")?.created);
//! let (entry, data) = reg.pull_dataset("iris@1")?;
//! assert_eq!((entry.size_rows, data.md5()), (150, entry.md5));
//! # Ok::<(), mlops_lite::Error>(())
//! ```
//!
//! ## Module map
//! - [`error`]: the one error type, [`Error`], with messages that locate the problem.
//! - [`store`]: all SQL: opening files as a check (defensive settings, the schema compared
//!   with the one its format defines), the schema and its migrations, queries;
//!   [`store::Db`] puts the two backends behind one interface: SQLite ([`store::sqlite`],
//!   every build) and PostgreSQL ([`store::pg`], native builds, `postgres://` URLs).
//! - [`copy`]: datasets, models and logs from one registry into another, across backends.
//! - [`dataset`]: typed columns, the canonical md5, column statistics;
//!   [`dataset::import`] (CSV, JSON), [`dataset::export`], [`dataset::samples`].
//! - [`pipeline`]: training specs, preprocessing, estimators, metrics, the artifact format;
//!   [`records`]: every door's records (JSON, CSV, columns, logged rows) read into one
//!   batch (JSON by the fast path of the `mlops-lite-reader` crate, `src/reader/`, else by
//!   the serde reader of `json_records`, which words every error);
//!   [`predict`]: records in, predictions and log rows out; [`fitted`]: pipelines fitted by
//!   scikit-learn (read out by the Python package), checked against a dataset.
//! - [`mlflow`]: MLflow's scoring payloads (`POST /invocations`) read into JSON records,
//!   and its `{"predictions": ...}` answer.
//! - [`verify`]: offline checks (`verify`) and retraining (`reproduce`) of a registry;
//!   [`legacy`]: importing a registry file of the Python mlops-lite.
//! - [`group_commit`]: one writer thread committing the log rows of many calls at once
//!   (`mlops-lite serve`), native builds.
//! - [`registry`]: [`Registry`], the API the CLI (`src/cli/`) and the wasm layer
//!   (`src/wasm.rs`, wasm32 only) call; what they ask for as plain values:
//!   [`train::TrainRequest`] (a training spec merged from a spec and single options) and
//!   [`log::LogQuery`] (the log by model reference), and [`log::to_csv`], the log as CSV.
//!
//! The file format is described in `docs/FORMAT.md`.

pub mod copy;
pub mod dataset;
pub mod error;
#[cfg(not(target_arch = "wasm32"))]
pub mod fitted;
#[cfg(not(target_arch = "wasm32"))]
pub mod group_commit;
mod hash;
mod json_records;
pub mod legacy;
pub mod log;
pub mod mlflow;
pub mod pipeline;
pub mod predict;
pub mod records;
pub mod registry;
pub mod store;
pub mod train;
pub mod verify;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

/// The README's Rust examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use error::{Error, ErrorKind, Result};
pub use log::LogQuery;
pub use registry::{Bound, BoundModel, ModelInfo, Registry};
#[cfg(not(target_arch = "wasm32"))]
pub use registry::{ModelSplit, PendingLog};
#[cfg(not(target_arch = "wasm32"))]
pub use store::Durability;
pub use store::{DatasetEntry, ModelEntry};
pub use train::{SpecInput, TrainRequest};
