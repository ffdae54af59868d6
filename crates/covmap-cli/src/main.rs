//! `covmap`: score how much of MITRE ATT&CK your defences cover.
//!
//! The binary is thin: it parses arguments (clap), calls the covmap libraries, prints results
//! to stdout and diagnostics to stderr, and maps outcomes to exit codes: 0 success, 1 a check
//! failed, 2 an error (bad input, missing file, internal error). A closed stdout pipe exits 0,
//! except for the commands whose exit code is a verdict (`check`, `validate`, `import
//! --strict`, `tests`): they exit with their verdict, and with 2 if the pipe closed before the
//! verdict was known, so that `covmap check ... | head -1` never turns a failure into success.

// No `println!`/`eprintln!` (the workspace lints deny them): every print goes through `term`
// (`note!`, `output::*`), which escapes control characters from inputs.

mod assess_cmd;
mod attack_cmd;
mod bundle;
mod cli;
mod compare_cmd;
mod diagnostics;
mod fetch;
mod guard;
mod import_cmd;
mod inventory;
mod manifest;
mod output;
mod plan_cmd;
mod report_cmd;
mod telemetry_cmd;
mod term;
mod tests_cmd;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, ExportCommand};

/// mimalloc: inventory parsing and scoring make hundreds of thousands of small allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    let outcome = std::panic::catch_unwind(|| run(cli));
    // Findings may still be printing on another thread: they come before the error, and the
    // process must not end before they are out.
    let _ = std::panic::catch_unwind(term::settle);
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => report(&err),
        // The hook has already printed the bug-report message.
        Err(_) => ExitCode::from(2),
    }
}

/// The exit code a closed stdout ends the run with: 0, or for a verdict command the verdict
/// once known (2 until then: a gate fails closed).
static ON_BROKEN_PIPE: AtomicU8 = AtomicU8::new(0);

/// Records a verdict command's exit code before it prints, so that a closed stdout keeps it.
pub(crate) fn verdict(code: u8) -> ExitCode {
    ON_BROKEN_PIPE.store(code, Ordering::SeqCst);
    ExitCode::from(code)
}

/// Whether this command's exit code carries a verdict.
fn has_verdict(command: &Command) -> bool {
    match command {
        Command::Validate { .. } | Command::Check { .. } | Command::Tests { .. } => true,
        Command::Import(args) => args.strict,
        _ => false,
    }
}

#[allow(clippy::too_many_lines)] // the dispatcher: one arm per command
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    covmap_assess::threads::set_jobs(cli.jobs.unwrap_or(0));
    if has_verdict(&cli.command) {
        ON_BROKEN_PIPE.store(2, Ordering::SeqCst);
    }
    let source = &cli.source;
    match cli.command {
        Command::Attack(command) => attack_cmd::run(command, source)?,
        Command::Validate {
            files,
            strict,
            format,
        } => return assess_cmd::validate(&files, strict, format, source),
        Command::Assess {
            inventory,
            output,
            report,
            format,
        } => assess_cmd::run_assess(&inventory, output.as_deref(), &report, format, source)?,
        Command::Report {
            assessment,
            output,
            report,
        } => report_cmd::run_report(&assessment, &output, &report, source)?,
        Command::Export(ExportCommand::Navigator {
            inventory,
            output,
            function,
            threats,
            palette,
        }) => report_cmd::run_export_navigator(
            &inventory,
            output.as_deref(),
            (function, palette),
            threats,
            source,
        )?,
        Command::Gaps {
            inventory,
            top,
            tactic,
            by,
            format,
        } => assess_cmd::run_gaps(&inventory, top, tactic, by, format, source)?,
        Command::Plan {
            inventory,
            budget,
            atomics,
            top,
            format,
        } => plan_cmd::run(&inventory, budget, atomics.as_deref(), top, format, source)?,
        Command::Telemetry {
            inventory,
            top,
            format,
        } => telemetry_cmd::run(&inventory, top, format, source)?,
        Command::Compare {
            inventory,
            candidates,
            without,
            replace,
            output,
            report,
            format,
        } => compare_cmd::run_compare(
            &inventory,
            &compare_cmd::Request {
                candidates: &candidates,
                without: &without,
                replace: &replace,
            },
            (output.as_deref(), &report),
            format,
            source,
        )?,
        Command::Threats {
            inventory,
            group,
            top,
            format,
        } => assess_cmd::run_threats(&inventory, group, top, format, source)?,
        Command::Check {
            inventory,
            min_overall,
            min_tactic,
            baseline,
            max_drop,
            format,
        } => {
            return assess_cmd::run_check(
                &inventory,
                min_overall,
                min_tactic,
                baseline.as_deref(),
                max_drop,
                format,
                source,
            );
        }
        Command::Import(args) => return import_cmd::run(&args, source),
        Command::Tests {
            inventory,
            atomics,
            format,
        } => tests_cmd::run(&inventory, &atomics, format, source)?,
        Command::Schema => assess_cmd::schema()?,
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics on a write error such as a closed pipe.
            let mut command = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "covmap", &mut script);
            let mut out = io::stdout().lock();
            out.write_all(&script)?;
            out.flush()?;
        }
        Command::Man => {
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints an error and its causes; returns the exit code (for a closed pipe, 0 or the
/// verdict: see [`ON_BROKEN_PIPE`]; else 2).
fn report(err: &anyhow::Error) -> ExitCode {
    let broken_pipe = err.chain().any(|cause| {
        let io_kind = cause
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            })
            .or_else(
                || match cause.downcast_ref::<csv::Error>().map(csv::Error::kind) {
                    Some(csv::ErrorKind::Io(e)) => Some(e.kind()),
                    _ => None,
                },
            );
        io_kind == Some(io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::from(ON_BROKEN_PIPE.load(Ordering::SeqCst));
    }
    let mut stderr = io::stderr().lock();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let label = if color {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    // Error messages quote inputs (names, lines of a file): escaped like every other print.
    let _ = writeln!(stderr, "{label}: {}", term::visible(&err.to_string()));
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {}", term::visible(&cause.to_string()));
    }
    ExitCode::from(2)
}

/// Replaces Rust's panic output with a short request for a bug report (a backtrace only when
/// RUST_BACKTRACE asks for one).
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default(info);
        }
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let _ = writeln!(
            io::stderr(),
            "error: covmap hit an internal error{location}: {}\n  \
             This is a bug in covmap. Please report it with the command you ran and, if you can, the input files.",
            term::visible(&message)
        );
    }));
}
