//! The command line's arguments: clap's structs and enums, with the help text `--help`
//! prints, and their conversions into the core's values ([`LogArgs::query`], [`Format`]).
//! No handling here: [`super::commands`] runs each command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mlops_lite::dataset::import::Format;
use mlops_lite::predict::OutputFormat;
use mlops_lite::LogQuery;

/// A portable machine-learning registry in one SQLite file (or on PostgreSQL).
#[derive(Parser)]
#[command(name = "mlops-lite", version, about, long_about = None)]
pub struct Cli {
    /// The registry: a file, or postgres://USER@HOST:PORT/DATABASE[?schema=NAME].
    #[arg(
        long,
        global = true,
        env = "MLOPS_LITE_DB",
        default_value = "mlops-lite.db"
    )]
    pub db: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Bind, list, inspect and pull datasets.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Train, bind, list and inspect models.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Predict records (a JSON array of objects, or CSV) with a model.
    Predict(PredictArgs),
    /// Query and export the prediction log.
    #[command(subcommand)]
    Log(LogCommand),
    /// The main job: the Python tool's README workflow on iris (bind the dataset, train and
    /// bind a LogisticRegression pipeline, predict two records with logging, show the tables).
    Demo,
    /// Upgrade a registry of an older format to this build's, in one transaction (commands
    /// that only read never upgrade a file; commands that write do it first).
    Migrate,
    /// Import a registry file of the Python mlops-lite (opened read-only, never changed): its
    /// datasets, its models (listed, not runnable: Python pickles are never loaded) and its log.
    ///
    /// A new target file is written under a temporary name beside it and renamed into place
    /// only when the import has committed: on any failure no target file is left behind.
    ImportLegacy {
        /// The Python tool's registry file.
        old: PathBuf,
        /// Import the datasets and models named OLD under the name NEW (repeatable): for names
        /// the Python tool allowed and this one refuses.
        #[arg(long, value_name = "OLD=NEW")]
        rename: Vec<String>,
        /// Leave out the datasets and models named NAME, or only version VERSION of them
        /// (repeatable); they are reported as skipped.
        #[arg(long, value_name = "NAME[@VERSION]")]
        skip: Vec<String>,
    },
    /// Check the registry offline: datasets re-hashed, models loaded, every logged prediction
    /// replayed, lineage; exits 1 when anything does not match.
    Verify {
        /// Largest difference between a logged and a replayed output that counts as
        /// reproduced (another build may differ in the last bits).
        #[arg(long, default_value_t = mlops_lite::verify::DEFAULT_TOLERANCE)]
        tolerance: f64,
    },
    /// Retrain a model from its embedded dataset and stored spec and compare the artifacts;
    /// exits 1 when they differ.
    Reproduce {
        /// The model: an id, a name or name@version.
        model: String,
    },
    /// Copy a whole registry, or chosen datasets and models (each with its training dataset)
    /// and optionally their log, between registries: files and postgres:// URLs, both ways.
    /// Names, versions, md5s and lineage are kept; one transaction on the target, where every
    /// md5 is recomputed before it commits.
    Copy {
        /// The registry to copy from (a file or a postgres:// URL; it is only read).
        #[arg(long, value_name = "FILE|URL")]
        from: PathBuf,
        /// The registry to copy into (created when missing).
        #[arg(long, value_name = "FILE|URL")]
        to: PathBuf,
        /// A dataset to copy (id, name or name@version); repeatable.
        #[arg(long = "dataset", value_name = "REF")]
        datasets: Vec<String>,
        /// A model to copy, with its training dataset; repeatable.
        #[arg(long = "model", value_name = "REF")]
        models: Vec<String>,
        /// Also copy the prediction log of the copied models.
        #[arg(long)]
        with_log: bool,
    },
    /// Serve the browser page, the npm package and the registry's HTTP API (docs/HTTP.md)
    /// on one port: www/ at /, npm/ at /npm/, data/ at /data/, the API at /api/, MLflow's
    /// scoring protocol at /invocations; Ctrl-C drains and stops.
    Serve(ServeArgs),
}

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Train a pipeline on a dataset and bind it as a new model version.
    Train(TrainArgs),
    /// List every model version.
    List,
    /// A model's signature, classes, metrics, lineage and versions.
    Info {
        /// An id, a name (latest version) or name@version.
        reference: String,
    },
    /// The rows of its training dataset a model was fitted on and held out (0-based, in the
    /// order `dataset pull` writes them), so another tool can use exactly the same split.
    Split {
        /// An id, a name (latest version) or name@version.
        reference: String,
    },
}

#[derive(Args)]
pub struct TrainArgs {
    /// The training dataset: an id, a name or name@version.
    #[arg(long)]
    pub dataset: String,
    /// The column to predict (may come from --spec instead).
    #[arg(long)]
    pub target: Option<String>,
    /// A JSON training spec (columns, transformers, estimator, test_size, seed).
    #[arg(long, conflicts_with = "estimator")]
    pub spec: Option<PathBuf>,
    /// The estimator, with default hyper-parameters (e.g. logistic_regression, random_forest_classifier).
    #[arg(long)]
    pub estimator: Option<String>,
    /// The model name.
    #[arg(long)]
    pub name: String,
    /// A description stored with the model.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Fraction of rows held out for metrics (default 0.25).
    #[arg(long)]
    pub test_size: Option<f64>,
    /// Seed of the split and of randomized estimators (default 42).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Args)]
pub struct PredictArgs {
    /// The model: an id, a name or name@version.
    #[arg(long)]
    pub model: String,
    /// The records file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: String,
    /// Write the call and every record to the prediction log.
    #[arg(long)]
    pub log: bool,
    /// Input format (default: from the file extension, else json).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Output format: a JSON array (default), JSON lines (one object per line), or CSV
    /// (reference_id, label, one proba_<class> column per class; or reference_id, value).
    #[arg(long, value_enum, default_value = "json")]
    pub output: OutputArg,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputArg {
    Json,
    Jsonl,
    Csv,
}

impl From<OutputArg> for OutputFormat {
    fn from(f: OutputArg) -> OutputFormat {
        match f {
            OutputArg::Json => OutputFormat::Json,
            OutputArg::Jsonl => OutputFormat::JsonLines,
            OutputArg::Csv => OutputFormat::Csv,
        }
    }
}

#[derive(Subcommand)]
pub enum LogCommand {
    /// Logged prediction records, oldest first.
    List(LogArgs),
    /// Every logged record of one reference id (or one model), in full.
    Show(LogArgs),
    /// Export logged records as CSV or JSON.
    Export {
        #[command(flatten)]
        filter: LogArgs,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format (default: from --out's extension, else csv).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
}

#[derive(Args)]
pub struct LogArgs {
    /// Only this model (id, name or name@version).
    #[arg(long)]
    pub model: Option<String>,
    /// Only this reference id.
    #[arg(long)]
    pub reference_id: Option<String>,
    /// Only calls at or after this UTC time (YYYY-MM-DD[ HH:MM:SS]).
    #[arg(long)]
    pub since: Option<String>,
    /// Only calls before this UTC time.
    #[arg(long)]
    pub until: Option<String>,
    /// Only the newest N records.
    #[arg(long)]
    pub limit: Option<i64>,
}

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Bind a CSV or JSON file (or a bundled sample) as a new dataset version.
    Add(AddArgs),
    /// List every dataset version.
    List,
    /// Column summaries of a dataset: dtypes, nulls, uniques, min, max, mean, std.
    Info {
        /// An id, a name (latest version) or name@version.
        reference: String,
    },
    /// Write a dataset's data as CSV or JSON.
    Pull {
        /// An id, a name (latest version) or name@version.
        reference: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format (default: from --out's extension, else json with --json, else csv).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// CSV for spreadsheets: text cells that begin with = + - @ tab or CR (formulas to a
        /// spreadsheet) are written as '... in quotes (OWASP's advice); no longer an exact
        /// round trip of those cells.
        #[arg(long)]
        escape_formulas: bool,
    },
}

#[derive(Args)]
pub struct AddArgs {
    /// The CSV or JSON file to bind.
    #[arg(required_unless_present = "sample", conflicts_with = "sample")]
    pub file: Option<PathBuf>,
    /// Bind a bundled sample instead: iris, breast_cancer or diabetes.
    #[arg(long)]
    pub sample: Option<String>,
    /// The dataset name (default: the sample's name; required for files).
    #[arg(long)]
    pub name: Option<String>,
    /// A description stored with the dataset.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Input format (default: from the file extension).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        }
    }
}

impl LogArgs {
    /// The core's log query (the model still a reference).
    pub fn query(&self) -> LogQuery {
        LogQuery {
            model: self.model.clone(),
            reference_id: self.reference_id.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            limit: self.limit,
            offset: None,
        }
    }
}

/// `mlops-lite serve`'s options.
#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on. Any other than a loopback address needs --token-file.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// The port (0: any free port; the URL printed names it).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The folder holding www/, npm/ and data/ (default: the current folder).
    #[arg(long, env = "MLOPS_LITE_DIR", default_value = ".")]
    pub dir: PathBuf,
    /// A file holding a secret token (16 characters or more) that every /api and
    /// /invocations call must send as `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The model /invocations (MLflow's scoring protocol) predicts with.
    #[arg(long, value_name = "REF")]
    pub model: Option<String>,
    /// normal: a logged prediction survives a crash of the server; full: also a power cut
    /// (each commit waits for the disk).
    #[arg(long, value_enum, default_value = "normal")]
    pub durability: DurabilityArg,
    /// The largest request body, in bytes (413 past it).
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    pub max_body: usize,
    /// The most requests answered at once (503 with Retry-After past it).
    #[arg(long, default_value_t = 1024)]
    pub max_requests: usize,
    /// Threads running the registry's calls (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// `--durability`.
#[derive(Clone, Copy, ValueEnum)]
pub enum DurabilityArg {
    Normal,
    Full,
}

impl ServeArgs {
    /// The server's options on registry `db`.
    pub fn options(self, db: &std::path::Path) -> crate::http::Options {
        crate::http::Options {
            db: db.to_path_buf(),
            host: self.host,
            port: self.port,
            dir: self.dir,
            token_file: self.token_file,
            model: self.model,
            durability: match self.durability {
                DurabilityArg::Normal => mlops_lite::Durability::Normal,
                DurabilityArg::Full => mlops_lite::Durability::Full,
            },
            max_body: self.max_body,
            max_requests: self.max_requests,
            threads: self.threads,
        }
    }
}
