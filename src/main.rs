//! The `mlops-lite` command line: a thin layer that parses arguments (clap), calls
//! [`mlops_lite::Registry`], and prints aligned tables or, with `--json`, JSON.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mlops_lite::dataset::export::{write_csv, write_json};
use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::dataset::{samples, ColumnInfo};
use mlops_lite::{Bound, DatasetEntry, Error, Registry};

mod table;

/// A portable machine-learning registry in one SQLite file.
#[derive(Parser)]
#[command(name = "mlops-lite", version, about, long_about = None)]
struct Cli {
    /// The registry file.
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
    /// The main job: bind the bundled iris dataset and print the registry's tables.
    Demo,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `mlops-lite dataset pull x | head`: the reader stopped; that is not an error.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
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
            let reg = Registry::open_existing(&cli.db)?;
            let list = reg.list_datasets()?;
            if cli.json {
                print_json(out, &list)?;
            } else {
                write_out(out, &datasets_table(&list))?;
            }
        }
        Command::Dataset(DatasetCommand::Info { reference }) => {
            let reg = Registry::open_existing(&cli.db)?;
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
        }) => {
            let reg = Registry::open_existing(&cli.db)?;
            let (_, data) = reg.pull_dataset(&reference)?;
            let format = format
                .map(Format::from)
                .or(cli.json.then_some(Format::Json))
                .or_else(|| path.as_deref().and_then(Format::from_path))
                .unwrap_or(Format::Csv);
            let write = |w: &mut dyn Write| match format {
                Format::Csv => write_csv(&data, w),
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
                None => write(out)?,
            }
        }
        Command::Demo => demo(&cli.db, out)?,
    }
    Ok(())
}

/// Removes a registry file and its WAL companions (after a failed first bind).
fn remove_db_files(db: &std::path::Path) {
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

fn demo(db: &std::path::Path, out: &mut dyn Write) -> Result<(), Error> {
    let mut reg = Registry::open(db)?;
    let (sample, iris) = samples::sample("iris")?;
    let bound = reg.bind_dataset(&iris, "iris", sample.description)?;
    print_bound(out, &bound)?;
    let text = format!(
        "\n$ mlops-lite dataset list\n{}\n$ mlops-lite dataset info iris\n{}\nThe rows are plain SQL: sqlite3 {} 'SELECT * FROM {} LIMIT 5'\n",
        datasets_table(&reg.list_datasets()?),
        info_table(&reg.info(&format!("iris@{}", bound.dataset.version))?),
        db.display(),
        bound.dataset.data_table
    );
    write_out(out, &text)
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

fn print_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::InvalidArgument(format!("cannot write JSON: {e}")))?;
    write_out(out, &format!("{text}\n"))
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))
}
