//! The `mlops-lite` command line (native only): a thin door that parses arguments, calls
//! [`mlops_lite::Registry`], and prints aligned tables or, with `--json`, JSON.
//!
//! - `mod.rs`: [`main`] and the dispatch of each command to its handler.
//! - [`args`]: the arguments (clap), with their help text, and their conversions into the
//!   core's values.
//! - [`commands`]: one handler per command: open the registry, call the core, hand the
//!   result to `render`.
//! - [`render`]: every text for people (tables, reports, one-line results) and the writers
//!   that print text, JSON and data safely for a terminal; [`table`]: the aligned table and
//!   the escaping of control characters.
//! - [`files`]: registry files the CLI creates, removed or published as a whole.

use std::process::ExitCode;

use clap::Parser;
use mlops_lite::Error;

mod args;
mod commands;
mod files;
mod render;
mod table;

use args::{Cli, Command, DatasetCommand, LogCommand, ModelCommand};
use commands::Ctx;

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
    let cx = &mut Ctx {
        db: &cli.db,
        json: cli.json,
        out,
    };
    match cli.command {
        Command::Dataset(DatasetCommand::Add(args)) => commands::dataset_add(cx, &args),
        Command::Dataset(DatasetCommand::List) => commands::dataset_list(cx),
        Command::Dataset(DatasetCommand::Info { reference }) => {
            commands::dataset_info(cx, &reference)
        }
        Command::Dataset(DatasetCommand::Pull {
            reference,
            out,
            format,
            escape_formulas,
        }) => commands::dataset_pull(cx, &reference, out, format, escape_formulas),
        Command::Model(ModelCommand::Train(args)) => commands::model_train(cx, &args),
        Command::Model(ModelCommand::List) => commands::model_list(cx),
        Command::Model(ModelCommand::Info { reference }) => commands::model_info(cx, &reference),
        Command::Model(ModelCommand::Split { reference }) => commands::model_split(cx, &reference),
        Command::Predict(args) => commands::predict(cx, &args),
        Command::Log(LogCommand::List(args)) => commands::log_list(cx, &args),
        Command::Log(LogCommand::Show(args)) => commands::log_show(cx, &args),
        Command::Log(LogCommand::Export {
            filter,
            out,
            format,
        }) => commands::log_export(cx, &filter, out, format),
        Command::Demo => commands::demo(cx),
        Command::Migrate => commands::migrate(cx),
        Command::Serve(args) => crate::http::run(args.options(cx.db), cx.out),
        Command::Verify { tolerance } => commands::verify(cx, tolerance),
        Command::Reproduce { model } => commands::reproduce(cx, &model),
        Command::Copy {
            from,
            to,
            datasets,
            models,
            with_log,
        } => {
            let selection = mlops_lite::copy::Selection {
                datasets,
                models,
                with_log,
            };
            commands::copy(cx, &from, &to, &selection)
        }
        Command::ImportLegacy { old, rename, skip } => {
            let options = mlops_lite::legacy::LegacyOptions { rename, skip };
            commands::import_legacy(cx, &old, &options)
        }
    }
}
