//! The command handlers: each opens the registry the way its command needs (read-only,
//! existing, or created), converts its arguments into the core's values, calls
//! [`mlops_lite::Registry`] (or the core module that does the job), and hands the result to
//! [`super::render`]. No text is built here but error messages; no SQL, no merging of specs
//! or filters (the core's [`mlops_lite::TrainRequest`] and [`mlops_lite::LogQuery`]).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mlops_lite::dataset::export::{write_csv_with, write_json, CsvOptions};
use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::dataset::samples;
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::predict::{OutputFormat, Predictions};
use mlops_lite::records::Records;
use mlops_lite::{Bound, Error, LogQuery, Registry, SpecInput, TrainRequest};

use super::args::{AddArgs, FormatArg, LogArgs, PredictArgs, TrainArgs};
use super::files::import_into_new_file;
use super::render::{self, print_json, show, write_data, write_out};
use mlops_lite::store::remove_db_files;

/// What every command gets: the registry (`--db`), `--json`, and standard output.
pub struct Ctx<'a> {
    pub db: &'a Path,
    pub json: bool,
    pub out: &'a mut dyn Write,
}

// ---- Datasets ----------------------------------------------------------------------------

pub fn dataset_add(cx: &mut Ctx, args: &AddArgs) -> Result<(), Error> {
    let existed = cx.db.exists();
    let bound = Registry::open(cx.db).and_then(|mut reg| add(&mut reg, args));
    if bound.is_err() && !existed {
        // A failed first bind leaves no registry behind, as if never run.
        remove_db_files(cx.db);
    }
    show(cx.out, cx.json, &bound?, render::bound_text)
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
fn progress_bar(file: &Path) -> Option<ProgressBar> {
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

pub fn dataset_list(cx: &mut Ctx) -> Result<(), Error> {
    let reg = Registry::open_read_only(cx.db)?;
    show(cx.out, cx.json, &reg.list_datasets()?, |l| {
        render::datasets_table(l)
    })
}

pub fn dataset_info(cx: &mut Ctx, reference: &str) -> Result<(), Error> {
    let reg = Registry::open_read_only(cx.db)?;
    show(cx.out, cx.json, &reg.info(reference)?, |i| {
        render::info_table(i)
    })
}

pub fn dataset_pull(
    cx: &mut Ctx,
    reference: &str,
    path: Option<PathBuf>,
    format: Option<FormatArg>,
    escape_formulas: bool,
) -> Result<(), Error> {
    let format = format
        .map(Format::from)
        .or(cx.json.then_some(Format::Json))
        .or_else(|| path.as_deref().and_then(Format::from_path))
        .unwrap_or(Format::Csv);
    if escape_formulas && format != Format::Csv {
        return Err(Error::InvalidArgument(
            "--escape-formulas is for CSV output (JSON keeps every value as it is); \
             drop it or pass --format csv"
                .into(),
        ));
    }
    let reg = Registry::open_read_only(cx.db)?;
    let (_, data) = reg.pull_dataset(reference)?;
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
            write_data(cx.out, &bytes)?
        }
        None => write(cx.out)?,
    }
    Ok(())
}

// ---- Models ------------------------------------------------------------------------------

pub fn model_train(cx: &mut Ctx, args: &TrainArgs) -> Result<(), Error> {
    let mut reg = Registry::open_existing(cx.db)?;
    let spec = match &args.spec {
        Some(path) => Some(SpecInput::Json {
            text: std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?,
            label: path.display().to_string(),
        }),
        None => None,
    };
    let request = TrainRequest {
        dataset: args.dataset.clone(),
        name: args.name.clone(),
        description: args.description.clone(),
        spec,
        target: args.target.clone(),
        estimator: args.estimator.clone(),
        test_size: args.test_size,
        seed: args.seed,
    };
    let (bound, pipeline) = reg.train_and_bind(&request)?;
    if cx.json {
        print_json(cx.out, &bound)
    } else {
        write_out(cx.out, &render::bound_model_text(&bound, &pipeline))
    }
}

pub fn model_list(cx: &mut Ctx) -> Result<(), Error> {
    let reg = Registry::open_read_only(cx.db)?;
    let list = reg.list_models()?;
    if cx.json {
        return print_json(cx.out, &list);
    }
    write_out(cx.out, &render::models_table(&list))?;
    let legacy = mlops_lite::legacy::list_legacy_models(&reg)?;
    if !legacy.is_empty() {
        write_out(cx.out, "\n")?;
        write_out(cx.out, &render::legacy_models_table(&legacy))?;
    }
    Ok(())
}

pub fn model_info(cx: &mut Ctx, reference: &str) -> Result<(), Error> {
    let mut reg = Registry::open_read_only(cx.db)?;
    show(
        cx.out,
        cx.json,
        &reg.model_info(reference)?,
        render::model_info_text,
    )
}

pub fn model_split(cx: &mut Ctx, reference: &str) -> Result<(), Error> {
    let mut reg = Registry::open_read_only(cx.db)?;
    show(
        cx.out,
        cx.json,
        &reg.model_split(reference)?,
        render::model_split_text,
    )
}

// ---- Predict: the records read from a file or standard input -----------------------------

pub fn predict(cx: &mut Ctx, args: &PredictArgs) -> Result<(), Error> {
    // Only a logged prediction writes: without --log the file is opened read-only.
    let mut reg = if args.log {
        Registry::open_existing(cx.db)?
    } else {
        Registry::open_read_only(cx.db)?
    };
    let (bytes, label, format) = read_records(args)?;
    let records = match format {
        Format::Json => Records::json(&bytes, &label),
        // CSV cells are typed by the model's signature, not guessed: a string feature or a
        // reference_id of digits stays text.
        Format::Csv => Records::csv(&bytes, &label),
    };
    let (_, pipeline, predictions) = reg.predict(&args.model, records, args.log)?;
    print_predictions(cx.out, &pipeline, &predictions, args.output.into())
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

/// Predictions written in `format` (JSON text is made terminal-safe by the writer; CSV shown
/// like other data).
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

// ---- The prediction log ------------------------------------------------------------------

pub fn log_list(cx: &mut Ctx, args: &LogArgs) -> Result<(), Error> {
    let reg = Registry::open_read_only(cx.db)?;
    show(cx.out, cx.json, &reg.log_for(&args.query())?, |r| {
        render::log_table(r)
    })
}

pub fn log_show(cx: &mut Ctx, args: &LogArgs) -> Result<(), Error> {
    let reg = Registry::open_read_only(cx.db)?;
    print_json(cx.out, &reg.log_for(&args.query())?)
}

pub fn log_export(
    cx: &mut Ctx,
    filter: &LogArgs,
    path: Option<PathBuf>,
    format: Option<FormatArg>,
) -> Result<(), Error> {
    let reg = Registry::open_read_only(cx.db)?;
    let records = reg.log_for(&filter.query())?;
    let format = format
        .map(Format::from)
        .or_else(|| path.as_deref().and_then(Format::from_path))
        .unwrap_or(Format::Csv);
    let text = match format {
        Format::Json => render::json_text(&records)?,
        Format::Csv => mlops_lite::log::to_csv(&records),
    };
    match path {
        Some(p) => std::fs::write(&p, text).map_err(|e| Error::io(p.display(), e)),
        None => write_data(cx.out, text.as_bytes()),
    }
}

// ---- The demo ----------------------------------------------------------------------------

/// The two records of the Python tool's README.
const DEMO_RECORDS: &str = r#"[
  {"sepal length (cm)": 2, "petal length (cm)": 1, "petal width (cm)": 1, "sepal width (cm)": 1},
  {"reference_id": "some_external_id", "sepal length (cm)": 1, "petal length (cm)": 2,
   "petal width (cm)": 1, "sepal width (cm)": 1}
]"#;

pub fn demo(cx: &mut Ctx) -> Result<(), Error> {
    let out = &mut *cx.out;
    let mut reg = Registry::open(cx.db)?;
    let (sample, iris) = samples::sample("iris")?;
    let bound = reg.bind_dataset(&iris, "iris", sample.description)?;
    write_out(out, &render::bound_text(&bound))?;
    let dataset = format!("iris@{}", bound.dataset.version);
    // The Python tool's README pipeline: median imputer and standard scaler in a column
    // transformer, then LogisticRegression; that is the default spec for iris.
    let pipeline = reg.train_model(&dataset, &TrainSpec::new("target"))?;
    let model = reg.bind_model(&pipeline, "testmodel", "iris LogisticRegression pipeline")?;
    write_out(out, &render::bound_model_text(&model, &pipeline))?;
    let (_, pipeline, predictions) = reg.predict("testmodel", DEMO_RECORDS.as_bytes(), true)?;
    let tables = render::demo_tables(
        &reg.list_datasets()?,
        &reg.info(&dataset)?,
        &reg.list_models()?,
    );
    write_out(out, &tables)?;
    print_predictions(out, &pipeline, &predictions, OutputFormat::Json)?;
    let last = reg.log_for(&LogQuery {
        limit: Some(2),
        offset: None,
        ..Default::default()
    })?;
    write_out(
        out,
        &render::demo_sql_text(cx.db, &bound.dataset.data_table, &last),
    )
}

// ---- Whole registries --------------------------------------------------------------------

pub fn migrate(cx: &mut Ctx) -> Result<(), Error> {
    let upgraded = match Registry::open_read_only(cx.db) {
        Ok(_) => None,
        Err(Error::OlderFormat {
            found, supported, ..
        }) => {
            Registry::open_existing(cx.db)?;
            Some((found, supported))
        }
        Err(e) => return Err(e),
    };
    write_out(cx.out, &render::migrate_text(cx.db, upgraded))
}

pub fn verify(cx: &mut Ctx, tolerance: f64) -> Result<(), Error> {
    let mut reg = Registry::open_read_only(cx.db)?;
    let report = reg.verify(tolerance)?;
    show(cx.out, cx.json, &report, render::verify_text)?;
    if !report.is_clean() {
        return Err(Error::InvalidArgument(format!(
            "{} check(s) failed; the registry does not reproduce",
            report.problems.len()
        )));
    }
    Ok(())
}

pub fn reproduce(cx: &mut Ctx, model: &str) -> Result<(), Error> {
    let mut reg = Registry::open_read_only(cx.db)?;
    let r = reg.reproduce(model)?;
    show(cx.out, cx.json, &r, render::reproduce_text)?;
    if !r.identical {
        return Err(Error::InvalidArgument(format!(
            "model {} was not reproduced: the retrained artifact differs in {}",
            r.model,
            r.differences.join(", ")
        )));
    }
    Ok(())
}

pub fn copy(
    cx: &mut Ctx,
    from: &Path,
    to: &Path,
    selection: &mlops_lite::copy::Selection,
) -> Result<(), Error> {
    if from == to {
        return Err(Error::InvalidArgument(format!(
            "--from and --to are the same registry ({}); name another target",
            from.display()
        )));
    }
    let mut source = Registry::open_source(from)?;
    let report = mlops_lite::copy::copy_to(&mut source, to, selection)?;
    show(cx.out, cx.json, &report, render::copy_report_text)
}

pub fn import_legacy(
    cx: &mut Ctx,
    old: &Path,
    options: &mlops_lite::legacy::LegacyOptions,
) -> Result<(), Error> {
    // The Python file and the names to rename or skip are checked before the target is
    // created or migrated.
    mlops_lite::legacy::inspect_legacy(old)?;
    if cx.db.to_str().is_some_and(mlops_lite::store::pg::is_url) {
        return Err(mlops_lite::legacy::not_on_postgres(
            &cx.db.display().to_string(),
            old,
        ));
    }
    mlops_lite::legacy::check_options(old, options)?;
    let report = if cx.db.exists() {
        // One transaction: on failure the file is unchanged.
        Registry::open(cx.db)
            .and_then(|mut reg| mlops_lite::legacy::import_legacy_with(old, &mut reg, options))?
    } else {
        import_into_new_file(old, cx.db, options)?
    };
    show(cx.out, cx.json, &report, render::legacy_report_text)
}
