//! The `mlops-lite` command line: a thin layer that parses arguments (clap), calls
//! [`mlops_lite::Registry`], and prints aligned tables or, with `--json`, JSON. Native only.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mlops_lite::dataset::export::{write_csv_with, write_json, CsvOptions};
use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::dataset::{samples, ColumnInfo};
use mlops_lite::pipeline::estimator::EstimatorSpec;
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::predict::{OutputFormat, Predictions};
use mlops_lite::records::Records;
use mlops_lite::store::{LogFilter, LogRecord};
use mlops_lite::{Bound, BoundModel, DatasetEntry, Error, ModelEntry, ModelInfo, Registry};

mod serve;
mod table;

/// A portable machine-learning registry in one SQLite file (or on PostgreSQL).
#[derive(Parser)]
#[command(name = "mlops-lite", version, about, long_about = None)]
struct Cli {
    /// The registry: a file, or postgres://USER@HOST:PORT/DATABASE[?schema=NAME].
    #[arg(
        long,
        global = true,
        env = "MLOPS_LITE_DB",
        default_value = "mlops-lite.db"
    )]
    db: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Serve the browser page on 127.0.0.1: www/ at /, the npm package at /npm/, data/ at
    /// /data/ (static files, GET and HEAD only); Ctrl-C stops it.
    Serve {
        /// The port (0: any free port; the URL printed names it).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The folder holding www/, npm/ and data/ (default: the current folder).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Train a pipeline on a dataset and bind it as a new model version.
    Train(TrainArgs),
    /// List every model version.
    List,
    /// A model's signature, classes, metrics, lineage and versions.
    Info {
        /// An id, a name (latest version) or name@version.
        reference: String,
    },
}

#[derive(Args)]
struct TrainArgs {
    /// The training dataset: an id, a name or name@version.
    #[arg(long)]
    dataset: String,
    /// The column to predict (may come from --spec instead).
    #[arg(long)]
    target: Option<String>,
    /// A JSON training spec (columns, transformers, estimator, test_size, seed).
    #[arg(long, conflicts_with = "estimator")]
    spec: Option<PathBuf>,
    /// The estimator, with default hyper-parameters (e.g. logistic_regression, random_forest_classifier).
    #[arg(long)]
    estimator: Option<String>,
    /// The model name.
    #[arg(long)]
    name: String,
    /// A description stored with the model.
    #[arg(long, default_value = "")]
    description: String,
    /// Fraction of rows held out for metrics (default 0.25).
    #[arg(long)]
    test_size: Option<f64>,
    /// Seed of the split and of randomized estimators (default 42).
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args)]
struct PredictArgs {
    /// The model: an id, a name or name@version.
    #[arg(long)]
    model: String,
    /// The records file, or - for standard input.
    #[arg(default_value = "-")]
    input: String,
    /// Write the call and every record to the prediction log.
    #[arg(long)]
    log: bool,
    /// Input format (default: from the file extension, else json).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Output format: a JSON array (default), JSON lines (one object per line), or CSV
    /// (reference_id, label, one proba_<class> column per class; or reference_id, value).
    #[arg(long, value_enum, default_value = "json")]
    output: OutputArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputArg {
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
enum LogCommand {
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
struct LogArgs {
    /// Only this model (id, name or name@version).
    #[arg(long)]
    model: Option<String>,
    /// Only this reference id.
    #[arg(long)]
    reference_id: Option<String>,
    /// Only calls at or after this UTC time (YYYY-MM-DD[ HH:MM:SS]).
    #[arg(long)]
    since: Option<String>,
    /// Only calls before this UTC time.
    #[arg(long)]
    until: Option<String>,
    /// Only the newest N records.
    #[arg(long)]
    limit: Option<i64>,
}

#[derive(Subcommand)]
enum DatasetCommand {
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
struct AddArgs {
    /// The CSV or JSON file to bind.
    #[arg(required_unless_present = "sample", conflicts_with = "sample")]
    file: Option<PathBuf>,
    /// Bind a bundled sample instead: iris, breast_cancer or diabetes.
    #[arg(long)]
    sample: Option<String>,
    /// The dataset name (default: the sample's name; required for files).
    #[arg(long)]
    name: Option<String>,
    /// A description stored with the dataset.
    #[arg(long, default_value = "")]
    description: String,
    /// Input format (default: from the file extension).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
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

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `mlops-lite dataset pull x | head`: the reader stopped; that is not an error.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line, whatever stored text the message quotes.
            eprintln!("error: {}", table::terminal_safe(&e.to_string(), false));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let out = &mut std::io::stdout().lock();
    match cli.command {
        Command::Dataset(DatasetCommand::Add(args)) => {
            let existed = cli.db.exists();
            let bound = Registry::open(&cli.db).and_then(|mut reg| add(&mut reg, &args));
            if bound.is_err() && !existed {
                // A failed first bind leaves no registry behind, as if never run.
                remove_db_files(&cli.db);
            }
            let bound = bound?;
            if cli.json {
                print_json(out, &bound)?;
            } else {
                print_bound(out, &bound)?;
            }
        }
        Command::Dataset(DatasetCommand::List) => {
            let reg = Registry::open_read_only(&cli.db)?;
            let list = reg.list_datasets()?;
            if cli.json {
                print_json(out, &list)?;
            } else {
                write_out(out, &datasets_table(&list))?;
            }
        }
        Command::Dataset(DatasetCommand::Info { reference }) => {
            let reg = Registry::open_read_only(&cli.db)?;
            let info = reg.info(&reference)?;
            if cli.json {
                print_json(out, &info)?;
            } else {
                write_out(out, &info_table(&info))?;
            }
        }
        Command::Dataset(DatasetCommand::Pull {
            reference,
            out: path,
            format,
            escape_formulas,
        }) => {
            let format = format
                .map(Format::from)
                .or(cli.json.then_some(Format::Json))
                .or_else(|| path.as_deref().and_then(Format::from_path))
                .unwrap_or(Format::Csv);
            if escape_formulas && format != Format::Csv {
                return Err(Error::InvalidArgument(
                    "--escape-formulas is for CSV output (JSON keeps every value as it is); \
                     drop it or pass --format csv"
                        .into(),
                ));
            }
            let reg = Registry::open_read_only(&cli.db)?;
            let (_, data) = reg.pull_dataset(&reference)?;
            let options = CsvOptions { escape_formulas };
            let write = |w: &mut dyn Write| match format {
                Format::Csv => write_csv_with(&data, w, options),
                Format::Json => write_json(&data, w),
            };
            match path {
                Some(p) => {
                    let label = p.display().to_string();
                    let mut f = std::io::BufWriter::new(
                        std::fs::File::create(&p).map_err(|e| Error::io(&label, e))?,
                    );
                    write(&mut f)?;
                    f.flush().map_err(|e| Error::io(&label, e))?;
                }
                None if std::io::stdout().is_terminal() => {
                    let mut bytes = Vec::new();
                    write(&mut bytes)?;
                    write_data(out, &bytes)?
                }
                None => write(out)?,
            }
        }
        Command::Model(ModelCommand::Train(args)) => {
            let mut reg = Registry::open_existing(&cli.db)?;
            let (bound, pipeline) = train(&mut reg, &args)?;
            if cli.json {
                print_json(out, &bound)?;
            } else {
                write_out(out, &bound_model_text(&bound, &pipeline))?;
            }
        }
        Command::Model(ModelCommand::List) => {
            let reg = Registry::open_read_only(&cli.db)?;
            let list = reg.list_models()?;
            if cli.json {
                print_json(out, &list)?;
            } else {
                write_out(out, &models_table(&list))?;
                let legacy = mlops_lite::legacy::list_legacy_models(&reg)?;
                if !legacy.is_empty() {
                    write_out(out, &format!("\n{}", legacy_models_table(&legacy)))?;
                }
            }
        }
        Command::Model(ModelCommand::Info { reference }) => {
            let mut reg = Registry::open_read_only(&cli.db)?;
            let info = reg.model_info(&reference)?;
            if cli.json {
                print_json(out, &info)?;
            } else {
                write_out(out, &model_info_text(&info))?;
            }
        }
        Command::Predict(args) => {
            // Only a logged prediction writes: without --log the file is opened read-only.
            let mut reg = if args.log {
                Registry::open_existing(&cli.db)?
            } else {
                Registry::open_read_only(&cli.db)?
            };
            let (bytes, label, format) = read_records(&args)?;
            let records = match format {
                Format::Json => Records::json(&bytes, &label),
                // CSV cells are typed by the model's signature, not guessed: a string feature
                // or a reference_id of digits stays text.
                Format::Csv => Records::csv(&bytes, &label),
            };
            let (_, pipeline, predictions) = reg.predict(&args.model, records, args.log)?;
            print_predictions(out, &pipeline, &predictions, args.output.into())?;
        }
        Command::Log(cmd) => {
            let reg = Registry::open_read_only(&cli.db)?;
            match cmd {
                LogCommand::List(args) => {
                    let records = reg.log(&log_filter(&reg, &args)?)?;
                    if cli.json {
                        print_json(out, &records)?;
                    } else {
                        write_out(out, &log_table(&records))?;
                    }
                }
                LogCommand::Show(args) => {
                    let records = reg.log(&log_filter(&reg, &args)?)?;
                    print_json(out, &records)?;
                }
                LogCommand::Export {
                    filter,
                    out: path,
                    format,
                } => {
                    let records = reg.log(&log_filter(&reg, &filter)?)?;
                    let format = format
                        .map(Format::from)
                        .or_else(|| path.as_deref().and_then(Format::from_path))
                        .unwrap_or(Format::Csv);
                    let text = match format {
                        Format::Json => format!(
                            "{}\n",
                            table::json_terminal_safe(
                                &serde_json::to_string_pretty(&records).expect("serializes")
                            )
                        ),
                        Format::Csv => log_csv(&records),
                    };
                    match path {
                        Some(p) => {
                            std::fs::write(&p, text).map_err(|e| Error::io(p.display(), e))?
                        }
                        None => write_data(out, text.as_bytes())?,
                    }
                }
            }
        }
        Command::Demo => demo(&cli.db, out)?,
        Command::Migrate => {
            let text = match Registry::open_read_only(&cli.db) {
                Ok(_) => format!(
                    "{} is already registry format {}; nothing was written\n",
                    cli.db.display(),
                    mlops_lite::store::SCHEMA_VERSION
                ),
                Err(Error::OlderFormat {
                    found, supported, ..
                }) => {
                    Registry::open_existing(&cli.db)?;
                    format!(
                        "upgraded {} from registry format {found} to {supported} in one transaction\n",
                        cli.db.display()
                    )
                }
                Err(e) => return Err(e),
            };
            write_out(out, &text)?;
        }
        Command::Serve { port, dir } => serve::run(port, &dir, out)?,
        Command::Verify { tolerance } => {
            let mut reg = Registry::open_read_only(&cli.db)?;
            let report = reg.verify(tolerance)?;
            if cli.json {
                print_json(out, &report)?;
            } else {
                write_out(out, &verify_text(&report))?;
            }
            if !report.is_clean() {
                return Err(Error::InvalidArgument(format!(
                    "{} check(s) failed; the registry does not reproduce",
                    report.problems.len()
                )));
            }
        }
        Command::Reproduce { model } => {
            let mut reg = Registry::open_read_only(&cli.db)?;
            let r = reg.reproduce(&model)?;
            if cli.json {
                print_json(out, &r)?;
            } else {
                write_out(out, &reproduce_text(&r))?;
            }
            if !r.identical {
                return Err(Error::InvalidArgument(format!(
                    "model {} was not reproduced: the retrained artifact differs in {}",
                    r.model,
                    r.differences.join(", ")
                )));
            }
        }
        Command::Copy {
            from,
            to,
            datasets,
            models,
            with_log,
        } => {
            if from == to {
                return Err(Error::InvalidArgument(format!(
                    "--from and --to are the same registry ({}); name another target",
                    from.display()
                )));
            }
            let mut source = Registry::open_source(&from)?;
            let existed = to.exists();
            let selection = mlops_lite::copy::Selection {
                datasets,
                models,
                with_log,
            };
            let report = Registry::open(&to).and_then(|mut target| {
                mlops_lite::copy::copy(&mut source, &mut target, &selection)
            });
            if report.is_err() && !existed {
                remove_db_files(&to);
            }
            let report = report?;
            if cli.json {
                print_json(out, &report)?;
            } else {
                write_out(out, &copy_report_text(&report))?;
            }
        }
        Command::ImportLegacy { old, rename, skip } => {
            // The Python file and the names to rename or skip are checked before the target
            // is created or migrated.
            mlops_lite::legacy::inspect_legacy(&old)?;
            if cli.db.to_str().is_some_and(mlops_lite::store::pg::is_url) {
                return Err(mlops_lite::legacy::not_on_postgres(
                    &cli.db.display().to_string(),
                    &old,
                ));
            }
            let options = mlops_lite::legacy::LegacyOptions { rename, skip };
            mlops_lite::legacy::check_options(&old, &options)?;
            let report = if cli.db.exists() {
                // One transaction: on failure the file is unchanged.
                Registry::open(&cli.db).and_then(|mut reg| {
                    mlops_lite::legacy::import_legacy_with(&old, &mut reg, &options)
                })?
            } else {
                import_into_new_file(&old, &cli.db, &options)?
            };
            if cli.json {
                print_json(out, &report)?;
            } else {
                write_out(out, &legacy_report_text(&report))?;
            }
        }
    }
    Ok(())
}

/// What `copy` did, one line per dataset and model version.
fn copy_report_text(r: &mlops_lite::copy::CopyReport) -> String {
    let mut s = format!("copied from {} to {}\n", r.from, r.to);
    let items = r
        .datasets
        .iter()
        .map(|i| ("dataset", i))
        .chain(r.models.iter().map(|i| ("model", i)));
    for (what, i) in items {
        let done = if i.written {
            "written"
        } else {
            "already there"
        };
        s.push_str(&format!(
            "{what} {}@{} (md5 {}): {done}, id {} -> {}\n",
            i.name, i.version, i.md5, i.from_id, i.to_id
        ));
    }
    s.push_str(&format!(
        "log: {} calls ({} records) written, {} already there\n",
        r.calls_written, r.records_written, r.calls_already_there
    ));
    s.push_str(&format!(
        "verified: {} md5s recomputed in the target matched before the commit\n",
        r.md5s_verified
    ));
    s
}

/// Removes a registry file and its WAL companions (after a failed first bind); nothing for a
/// PostgreSQL URL.
/// Imports into a registry file that does not exist yet: into `NAME.import-legacy-PID.tmp`
/// beside it, renamed to `target` only after the import committed and the file was closed.
/// On failure the temporary file is removed; one left by a killed run (its process no longer
/// runs) is removed by the next import into the same target.
fn import_into_new_file(
    old: &std::path::Path,
    target: &std::path::Path,
    options: &mlops_lite::legacy::LegacyOptions,
) -> Result<mlops_lite::legacy::LegacyReport, Error> {
    let label = target.display().to_string();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(Error::InvalidArgument(format!(
            "--db {label}: give the path of a registry file"
        )));
    };
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "--db {label}: its folder {} does not exist; create it or choose another path; \
             nothing was written",
            dir.display()
        )));
    }
    let prefix = format!("{name}.import-legacy-");
    remove_stale_imports(&dir, &prefix);
    let tmp = dir.join(format!("{prefix}{}.tmp", std::process::id()));
    let result = Registry::open(&tmp)
        .and_then(|mut reg| {
            let report = mlops_lite::legacy::import_legacy_with(old, &mut reg, options);
            drop(reg); // closed: the write-ahead log is folded into the file
            report
        })
        .and_then(|mut report| {
            publish(&tmp, target, &label)?;
            report.target = label.clone();
            Ok(report)
        });
    if result.is_err() {
        remove_db_files(&tmp);
    }
    result
}

/// Moves the finished file `tmp` to `target`, never over a file that appeared meanwhile.
fn publish(tmp: &std::path::Path, target: &std::path::Path, label: &str) -> Result<(), Error> {
    for suffix in ["-wal", "-journal"] {
        let mut p = tmp.as_os_str().to_owned();
        p.push(suffix);
        if std::fs::metadata(&p).is_ok_and(|m| m.len() > 0) {
            return Err(Error::Io {
                path: tmp.display().to_string(),
                source: std::io::Error::other(format!(
                    "the imported file still has a {suffix} file after it was closed; nothing \
                     was written to {label}: run the import again"
                )),
            });
        }
    }
    // A hard link fails if `target` exists (no clobbering); a rename is the fallback on file
    // systems without links.
    match std::fs::hard_link(tmp, target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::InvalidArgument(format!(
                "{label} was created by another program during the import; it was left as it \
                 is and nothing was written to it: run the import again to import into it"
            )))
        }
        Err(_) if !target.exists() => {
            std::fs::rename(tmp, target).map_err(|e| Error::io(label, e))?;
        }
        Err(e) => return Err(Error::io(label, e)),
    }
    remove_db_files(tmp);
    Ok(())
}

/// Removes `PREFIX<pid>.tmp` files (and their -wal, -shm, -journal) in `dir` left by imports
/// that were killed: their process no longer runs (checked on Linux; elsewhere they stay).
fn remove_stale_imports(dir: &std::path::Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(prefix)) else {
            continue;
        };
        let Some(Ok(pid)) = rest.strip_suffix(".tmp").map(str::parse::<u32>) else {
            continue;
        };
        let gone = cfg!(target_os = "linux")
            && pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists();
        if gone {
            remove_db_files(&entry.path());
        }
    }
}

fn remove_db_files(db: &std::path::Path) {
    if db.to_str().is_some_and(mlops_lite::store::pg::is_url) {
        return;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

fn add(reg: &mut Registry, args: &AddArgs) -> Result<Bound, Error> {
    if let Some(name) = &args.sample {
        let (sample, data) = samples::sample(name)?;
        let description = if args.description.is_empty() {
            sample.description
        } else {
            &args.description
        };
        return reg.bind_dataset(
            &data,
            args.name.as_deref().unwrap_or(sample.name),
            description,
        );
    }
    let file = args.file.as_ref().expect("clap requires FILE or --sample");
    let format = match args.format {
        Some(f) => f.into(),
        None => Format::from_path(file).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "cannot tell the format of {} from its extension; pass --format csv or --format json",
                file.display()
            ))
        })?,
    };
    let name = args
        .name
        .as_deref()
        .ok_or_else(|| Error::InvalidArgument("--name is required when binding a file".into()))?;
    let bar = progress_bar(file);
    let result = reg.bind_dataset_from(
        Input::Path(file),
        format,
        name,
        &args.description,
        &mut |done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total);
                bar.set_position(done);
            }
        },
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

/// A progress bar on stderr for files of 1 MB or more, when stderr is a terminal.
fn progress_bar(file: &std::path::Path) -> Option<ProgressBar> {
    let len = std::fs::metadata(file).ok()?.len();
    if len < 1 << 20 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("reading {}", file.display()));
    Some(bar)
}

/// The two records of the Python tool's README.
const DEMO_RECORDS: &str = r#"[
  {"sepal length (cm)": 2, "petal length (cm)": 1, "petal width (cm)": 1, "sepal width (cm)": 1},
  {"reference_id": "some_external_id", "sepal length (cm)": 1, "petal length (cm)": 2,
   "petal width (cm)": 1, "sepal width (cm)": 1}
]"#;

fn demo(db: &std::path::Path, out: &mut dyn Write) -> Result<(), Error> {
    let mut reg = Registry::open(db)?;
    let (sample, iris) = samples::sample("iris")?;
    let bound = reg.bind_dataset(&iris, "iris", sample.description)?;
    print_bound(out, &bound)?;
    let dataset = format!("iris@{}", bound.dataset.version);
    // The Python tool's README pipeline: median imputer and standard scaler in a column
    // transformer, then LogisticRegression; that is the default spec for iris.
    let pipeline = reg.train_model(&dataset, &TrainSpec::new("target"))?;
    let model = reg.bind_model(&pipeline, "testmodel", "iris LogisticRegression pipeline")?;
    write_out(out, &bound_model_text(&model, &pipeline))?;
    let (_, pipeline, predictions) = reg.predict("testmodel", DEMO_RECORDS.as_bytes(), true)?;
    let text = format!(
        "\n$ mlops-lite dataset list\n{}\n$ mlops-lite dataset info iris\n{}\n$ mlops-lite model list\n{}\n$ mlops-lite predict --model testmodel --log  (the Python README's two records)\n",
        datasets_table(&reg.list_datasets()?),
        info_table(&reg.info(&dataset)?),
        models_table(&reg.list_models()?),
    );
    write_out(out, &text)?;
    print_predictions(out, &pipeline, &predictions, OutputFormat::Json)?;
    // How to read the tables with plain SQL: the sqlite3 shell, or psql for PostgreSQL (whose
    // URL psql takes once mlops-lite's own `schema` parameter became a search_path option).
    let (client, target, rows) = match db.to_str().filter(|d| mlops_lite::store::pg::is_url(d)) {
        Some(url) => {
            let (base, schema) = url.split_once("?schema=").unwrap_or((url, "public"));
            (
                "psql",
                format!("'{base}?options=-csearch_path%3D{schema}' -c"),
                format!("{} ORDER BY mlops_row", bound.dataset.data_table),
            )
        }
        None => (
            "sqlite3",
            db.display().to_string(),
            bound.dataset.data_table.clone(),
        ),
    };
    let text = format!(
        "\n$ mlops-lite log list --limit 2\n{}\nThe rows are plain SQL: {client} {target} 'SELECT * FROM {rows} LIMIT 5'\n\
         and the log too:        {client} {target} 'SELECT reference_id, inputs, outputs FROM prediction_records'\n",
        log_table(&reg.log(&LogFilter { limit: Some(2), ..Default::default() })?),
    );
    write_out(out, &text)
}

fn train(reg: &mut Registry, args: &TrainArgs) -> Result<(BoundModel, Pipeline), Error> {
    let mut spec = match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
            let mut spec = TrainSpec::from_json(&text)
                .map_err(|e| Error::InvalidArgument(format!("{}: {e}", path.display())))?;
            if spec.target.is_empty() && args.target.is_none() {
                return Err(Error::InvalidArgument(format!(
                    "{}: the spec names no target; add \"target\": \"COLUMN\" to it or pass --target",
                    path.display()
                )));
            }
            if let Some(t) = &args.target {
                if !spec.target.is_empty() && *t != spec.target {
                    return Err(Error::InvalidArgument(format!(
                        "--target {t:?} disagrees with the spec's target {:?}; give one of them",
                        spec.target
                    )));
                }
            }
            if spec.target.is_empty() {
                spec.target = args.target.clone().unwrap_or_default();
            }
            spec
        }
        None => TrainSpec::new(args.target.clone().ok_or_else(|| {
            Error::InvalidArgument("--target is required (or a --spec naming the target)".into())
        })?),
    };
    if let Some(name) = &args.estimator {
        spec.estimator = Some(EstimatorSpec::default_for(name)?);
    }
    if let Some(t) = args.test_size {
        spec.test_size = t;
    }
    if let Some(s) = args.seed {
        spec.seed = s;
    }
    // Check the name before a possibly long fit, not after it.
    mlops_lite::registry::check_name(&args.name)?;
    let pipeline = reg.train_model(&args.dataset, &spec)?;
    let bound = reg.bind_model(&pipeline, &args.name, &args.description)?;
    Ok((bound, pipeline))
}

/// The records to predict: their bytes, how the source is named, and their format.
fn read_records(args: &PredictArgs) -> Result<(Vec<u8>, String, Format), Error> {
    use std::io::Read;
    let (bytes, label) = if args.input == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| Error::io("<stdin>", e))?;
        (b, "<stdin>".to_string())
    } else {
        let b = std::fs::read(&args.input).map_err(|e| Error::io(&args.input, e))?;
        (b, args.input.clone())
    };
    let format = args
        .format
        .map(Format::from)
        .or_else(|| Format::from_path(std::path::Path::new(&args.input)))
        .unwrap_or(Format::Json);
    Ok((bytes, label, format))
}

/// Predictions written in `format` (JSON text made terminal-safe by the writer).
fn print_predictions(
    out: &mut dyn Write,
    pipeline: &Pipeline,
    predictions: &Predictions,
    format: OutputFormat,
) -> Result<(), Error> {
    let mut buf = Vec::new();
    predictions.write(format, &pipeline.classes, &mut buf);
    if format == OutputFormat::Csv {
        write_data(out, &buf)
    } else {
        out.write_all(&buf).map_err(|e| Error::io("<stdout>", e))
    }
}

fn log_filter(reg: &Registry, args: &LogArgs) -> Result<LogFilter, Error> {
    Ok(LogFilter {
        model_id: match &args.model {
            Some(m) => Some(reg.model(m)?.id),
            None => None,
        },
        reference_id: args.reference_id.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        limit: args.limit,
    })
}

fn log_table(records: &[LogRecord]) -> String {
    let mut t = table::Table::new(&[
        ("call_id", true),
        ("position", true),
        ("created_at", false),
        ("model", false),
        ("reference_id", false),
        ("inputs", false),
        ("outputs", false),
    ]);
    for r in records {
        t.row(vec![
            r.call_id.to_string(),
            r.position.to_string(),
            r.created_at.clone(),
            format!("{}@{}", r.model_name, r.model_version),
            r.reference_id.clone().unwrap_or_default(),
            r.inputs.to_string(),
            r.outputs.to_string(),
        ]);
    }
    t.render()
}

/// `log export --format csv`: CSV for people, formula-like text cells neutralised (see
/// [`mlops_lite::dataset::export`]).
fn log_csv(records: &[LogRecord]) -> String {
    use mlops_lite::dataset::export::{write_people_record, Cell};
    let mut out = Vec::new();
    let header = [
        "call_id",
        "position",
        "created_at",
        "model",
        "model_version",
        "reference_id",
        "inputs",
        "outputs",
    ];
    write_people_record(&mut out, &header.map(Cell::Text));
    for r in records {
        let (call, position, version) = (
            r.call_id.to_string(),
            r.position.to_string(),
            r.model_version.to_string(),
        );
        let (inputs, outputs) = (r.inputs.to_string(), r.outputs.to_string());
        write_people_record(
            &mut out,
            &[
                Cell::Number(&call),
                Cell::Number(&position),
                Cell::Text(&r.created_at),
                Cell::Text(&r.model_name),
                Cell::Number(&version),
                Cell::Text(r.reference_id.as_deref().unwrap_or("")),
                Cell::Text(&inputs),
                Cell::Text(&outputs),
            ],
        );
    }
    String::from_utf8(out).expect("CSV of UTF-8 strings")
}

fn metrics_text(m: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(obj) = m.as_object() {
        for (k, v) in obj {
            if k == "n_train" || k == "n_test" {
                continue;
            }
            parts.push(format!("{k}={}", table::num(v.as_f64())));
        }
    }
    parts.join(" ")
}

fn bound_model_text(bound: &BoundModel, pipeline: &Pipeline) -> String {
    let m = &bound.model;
    if bound.created {
        format!(
            "bound model {}@{} (id {}): {} {} on {}@{}, held-out {} ({} of {} rows), md5 {}\n",
            m.name,
            m.version,
            m.id,
            m.estimator_class,
            m.estimator_type,
            pipeline.dataset.name,
            pipeline.dataset.version,
            metrics_text(&m.metrics),
            pipeline.metrics.n_test,
            pipeline.metrics.n_test + pipeline.metrics.n_train,
            m.artifact_md5
        )
    } else {
        format!(
            "model {}@{} (id {}) already holds this artifact (md5 {}); nothing was written\n",
            m.name, m.version, m.id, m.artifact_md5
        )
    }
}

fn models_table(list: &[ModelEntry]) -> String {
    let mut t = table::Table::new(&[
        ("id", true),
        ("name", false),
        ("version", true),
        ("dataset_registry_id", true),
        ("estimator_class", false),
        ("estimator_type", false),
        ("description", false),
        ("metrics", false),
        ("created_at", false),
    ]);
    for m in list {
        t.row(vec![
            m.id.to_string(),
            m.name.clone(),
            m.version.to_string(),
            m.dataset_registry_id.to_string(),
            m.estimator_class.clone(),
            m.estimator_type.clone(),
            m.description.clone(),
            metrics_text(&m.metrics),
            m.created_at.clone(),
        ]);
    }
    t.render()
}

fn model_info_text(info: &ModelInfo) -> String {
    let (entry, dataset, versions) = (&info.model, &info.dataset, &info.versions);
    let mut s = format!(
        "model {}@{} (id {}): {} {}, target {:?}{}\n",
        entry.name,
        entry.version,
        entry.id,
        entry.estimator_class,
        entry.estimator_type,
        info.target,
        if info.classes.is_empty() {
            String::new()
        } else {
            format!(", classes {}", info.classes.join(", "))
        }
    );
    s += &format!(
        "trained on dataset {}@{} (id {}, md5 {}), {} rows, {} held out (test_size {}, seed {})\n",
        dataset.name,
        dataset.version,
        dataset.id,
        dataset.md5,
        info.metrics.n_train + info.metrics.n_test,
        info.metrics.n_test,
        info.spec.test_size,
        info.spec.seed
    );
    s += &format!("metrics: {}\n", metrics_text(&entry.metrics));
    s += &format!(
        "artifact: md5 {}, format {}, written by mlops-lite {} with smartcore {}\n\nsignature:\n",
        entry.artifact_md5, info.artifact_format, info.mlops_lite_version, info.smartcore_version
    );
    let mut t = table::Table::new(&[
        ("feature", false),
        ("dtype", false),
        ("transformer", false),
        ("steps", false),
    ]);
    let groups = info.spec.transformers.clone().unwrap_or_default();
    for f in &info.signature {
        let g = groups.iter().find(|g| g.columns.contains(&f.name));
        t.row(vec![
            f.name.clone(),
            f.dtype.clone(),
            g.map(|g| g.name.clone()).unwrap_or_default(),
            g.map(|g| {
                g.steps
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(" -> ")
            })
            .unwrap_or_default(),
        ]);
    }
    s += &t.render();
    s += "\nversions:\n";
    s += &models_table(versions);
    s
}

fn verify_text(r: &mlops_lite::verify::VerifyReport) -> String {
    let mut s = format!(
        "datasets:    {} of {} match their md5 and column metadata\n\
         models:      {} of {} load with a matching md5, a readable format and columns that agree with it\n\
         lineage:     {} of {} models have their training dataset with the recorded md5\n\
         predictions: {} of {} logged records reproduced ({} bit for bit; largest difference {:e}, tolerance {:e})\n",
        r.datasets_ok,
        r.datasets,
        r.models_ok,
        r.models,
        r.lineage_ok,
        r.lineage,
        r.predictions_ok,
        r.predictions,
        r.predictions_identical,
        r.max_abs_diff,
        r.tolerance
    );
    if r.problems.is_empty() {
        s += "everything reproduced\n";
    } else {
        let mut t = table::Table::new(&[("check", false), ("item", false), ("problem", false)]);
        for p in &r.problems {
            t.row(vec![p.check.clone(), p.item.clone(), p.detail.clone()]);
        }
        s += &t.render();
    }
    s
}

fn reproduce_text(r: &mlops_lite::verify::ReproduceReport) -> String {
    let m = |x: &mlops_lite::pipeline::metrics::Metrics| {
        metrics_text(&serde_json::to_value(x).unwrap_or_default())
    };
    format!(
        "model {}: stored artifact md5 {}, retrained {}: {}\nstored metrics:     {}\nretrained metrics:  {}\n",
        r.model,
        r.stored_md5,
        r.reproduced_md5,
        if r.identical {
            "identical".to_string()
        } else {
            format!("DIFFERENT ({})", r.differences.join(", "))
        },
        m(&r.stored_metrics),
        m(&r.reproduced_metrics)
    )
}

fn print_bound(out: &mut dyn Write, bound: &Bound) -> Result<(), Error> {
    let d = &bound.dataset;
    let text = if bound.created {
        format!(
            "bound {}@{} (id {}): {} rows x {} columns, md5 {}, table {}\n",
            d.name, d.version, d.id, d.size_rows, d.size_cols, d.md5, d.data_table
        )
    } else {
        format!(
            "{}@{} (id {}) already holds this content (md5 {}); nothing was written\n",
            d.name, d.version, d.id, d.md5
        )
    };
    write_out(out, &text)
}

fn datasets_table(list: &[DatasetEntry]) -> String {
    let mut t = table::Table::new(&[
        ("id", true),
        ("name", false),
        ("version", true),
        ("size_cols", true),
        ("size_rows", true),
        ("description", false),
        ("created_at", false),
    ]);
    for d in list {
        t.row(vec![
            d.id.to_string(),
            d.name.clone(),
            d.version.to_string(),
            d.size_cols.to_string(),
            d.size_rows.to_string(),
            d.description.clone(),
            d.created_at.clone(),
        ]);
    }
    t.render()
}

fn info_table(info: &[ColumnInfo]) -> String {
    let mut t = table::Table::new(&[
        ("column_name", false),
        ("original_dtype", false),
        ("converted_dtype", false),
        ("null_count", true),
        ("unique_count", true),
        ("min_value_num", true),
        ("max_value_num", true),
        ("mean", true),
        ("std", true),
    ]);
    for c in info {
        t.row(vec![
            c.column_name.clone(),
            c.original_dtype.clone(),
            c.converted_dtype.clone(),
            c.null_count.to_string(),
            c.unique_count.to_string(),
            table::num(c.min_value_num),
            table::num(c.max_value_num),
            table::num(c.mean),
            table::num(c.std),
        ]);
    }
    t.render()
}

/// `--json` output: the same JSON value, with no raw control character (see
/// [`table::json_terminal_safe`]).
fn print_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::InvalidArgument(format!("cannot write JSON: {e}")))?;
    write_raw(out, &format!("{}\n", table::json_terminal_safe(&text)))
}

/// Text for people (tables, reports): every control character but newline and tab, from
/// whatever stored text it quotes, is shown escaped ([`table::terminal_safe`]).
fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    write_raw(out, &table::terminal_safe(text, true))
}

/// Data asked for (`dataset pull`, `log export`) on standard output: exact bytes for a pipe
/// or a file, but shown like text for people ([`write_out`]) when it is a terminal.
fn write_data(out: &mut dyn Write, bytes: &[u8]) -> Result<(), Error> {
    if std::io::stdout().is_terminal() {
        write_out(out, &String::from_utf8_lossy(bytes))
    } else {
        out.write_all(bytes).map_err(|e| Error::io("<stdout>", e))
    }
}

/// Text written exactly (JSON made safe by [`print_json`]).
fn write_raw(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))
}

fn legacy_report_text(r: &mlops_lite::legacy::LegacyReport) -> String {
    use mlops_lite::legacy::DatasetOutcome;
    let mut s = format!(
        "imported {} (a registry of the Python mlops-lite, opened read-only) into {} in one transaction\n",
        r.source, r.target
    );
    let renamed = |old: &str, new: &str| {
        if old == new {
            String::new()
        } else {
            format!(", imported as {new}")
        }
    };
    // Names from the Python file are shown with control characters escaped.
    let shown = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    for d in &r.datasets {
        let e = &d.dataset;
        let from = format!(
            "dataset {}@{} (Python id {}{})",
            shown(&d.legacy_name),
            d.legacy_version,
            d.legacy_id,
            renamed(&d.legacy_name, &e.name)
        );
        s += &match d.outcome {
            DatasetOutcome::AlreadyThere => format!(
                "{from}: already here as {}@{} (id {}, md5 {}); nothing was written\n",
                e.name, e.version, e.id, e.md5
            ),
            outcome => format!(
                "{from}: {}bound {}@{} (id {}): {} rows x {} columns, md5 {}, table {}\n",
                if outcome == DatasetOutcome::ImportedAsNextVersion {
                    format!(
                        "{}@{} holds other content here, so ",
                        e.name, d.legacy_version
                    )
                } else {
                    String::new()
                },
                e.name,
                e.version,
                e.id,
                e.size_rows,
                e.size_cols,
                e.md5,
                e.data_table
            ),
        };
    }
    for m in &r.models {
        let e = &m.model;
        let from = format!(
            "model {}@{} (Python id {}{})",
            shown(&m.legacy_name),
            e.version,
            e.legacy_id,
            renamed(&m.legacy_name, &e.name)
        );
        s += &if m.created {
            format!(
                "{from}: listed as legacy model {}{}; not runnable (Python pickle of {} bytes, md5 {}, never loaded)\n",
                e.id,
                e.dataset.as_ref().map(|d| format!(" on {d}")).unwrap_or_default(),
                e.pickle_bytes,
                e.pickle_md5
            )
        } else {
            format!(
                "{from}: already listed as legacy model {}; nothing was written\n",
                e.id
            )
        };
    }
    let n = |k: i64, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
    s += &format!(
        "prediction log: {} with {} imported, {} already here\n\n",
        n(r.calls_imported, "call"),
        n(r.records_imported, "record"),
        n(r.calls_already_there, "call")
    );
    if !r.skipped.is_empty() {
        s.pop();
        s += &format!(
            "left out: {} of the Python file (the counts below include them):\n",
            n(r.skipped.len() as i64, "row")
        );
        for k in &r.skipped {
            let what = if k.what.is_empty() {
                String::new()
            } else {
                format!(" ({})", k.what)
            };
            s += &format!("- {} id {}{what}: {}\n", k.table, k.id, k.reason);
        }
        s.push('\n');
    }
    let mut t = table::Table::new(&[
        ("what", false),
        ("in the Python file", true),
        ("before", true),
        ("after", true),
    ]);
    let (f, b, a) = (&r.found, &r.before, &r.after);
    for (what, found, before, after) in [
        ("datasets", f.datasets, b.datasets, a.datasets),
        (
            "models (not runnable)",
            f.deployables,
            b.legacy_models,
            a.legacy_models,
        ),
        ("logged calls", f.executions, b.legacy_calls, a.legacy_calls),
        (
            "logged records",
            f.execution_items,
            b.legacy_records,
            a.legacy_records,
        ),
        (
            "logged input values",
            f.request_items,
            b.legacy_input_values,
            a.legacy_input_values,
        ),
        (
            "logged output values",
            f.response_items,
            b.legacy_output_values,
            a.legacy_output_values,
        ),
    ] {
        t.row(vec![
            what.into(),
            found.to_string(),
            before.to_string(),
            after.to_string(),
        ]);
    }
    s += &t.render();
    if r.after.legacy_calls > 0 {
        s += &format!(
            "\nThe log is plain SQL: sqlite3 {} 'SELECT * FROM legacy_prediction_records'\n",
            r.target
        );
    }
    s
}

fn legacy_models_table(list: &[mlops_lite::legacy::LegacyModelEntry]) -> String {
    let mut t = table::Table::new(&[
        ("legacy_id", true),
        ("name", false),
        ("version", true),
        ("dataset", false),
        ("target", false),
        ("estimator_class", false),
        ("estimator_type", false),
        ("description", false),
        ("pickle_bytes", true),
        ("pickle_md5", false),
        ("created_at", false),
        ("status", false),
    ]);
    for m in list {
        t.row(vec![
            m.id.to_string(),
            m.name.clone(),
            m.version.to_string(),
            m.dataset.clone().unwrap_or_default(),
            m.target.clone(),
            m.estimator_class.clone(),
            m.estimator_type.clone(),
            m.description.clone(),
            m.pickle_bytes.to_string(),
            m.pickle_md5.clone(),
            m.created_at.clone().unwrap_or_default(),
            "not runnable (Python pickle)".into(),
        ]);
    }
    format!(
        "legacy models, imported from the Python mlops-lite (never loaded: retrain them with `model train`):\n{}",
        t.render()
    )
}
