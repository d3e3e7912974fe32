//! The command line: one clap definition feeds parsing, `--help`, the man page and completions.

mod census;
mod classes;
mod clients;
mod diff;
mod dump;
mod explain;
mod man;
mod output;
mod planes;
mod ports;
mod record;
mod stats;

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, Parser, Subcommand};
use ioscope::formats;
use ioscope::registry::{Registry, escape};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A terminal explorer for the macOS I/O Registry.
///
/// With no FILE, ioscope opens the live registry on macOS, or a simulated Mac (the demo)
/// elsewhere. With FILE it opens a saved dump: `ioreg -l` text, an `ioreg -a` plist
/// archive (XML or binary), or an IORegistryExplorer `.ioreg` document. The format is
/// detected from the contents.
#[derive(Debug, Parser)]
#[command(name = "ioscope", version, about, long_about, after_help = EXAMPLES)]
pub struct Cli {
    /// A saved registry dump to open, e.g. `ioscope ioreg.txt` (also read by `stats` and
    /// `dump` when written before them: `ioscope ioreg.txt stats`).
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub file: Option<PathBuf>,

    /// Demo only: unplug and replug a USB device every few seconds.
    #[arg(long)]
    pub demo_hotplug: bool,

    /// Demo only: a simulated app opens user clients and forgets io_object_t handles every
    /// second (the leak-hunting walk-through: b, c, u, H, d, ]).
    #[arg(long, conflicts_with_all = ["file", "diff"])]
    pub demo_leak: bool,

    /// Open the explorer on B compared with A: added entries, removed ones as ghosts,
    /// changes highlighted (d: only the changes; ]/[: next/previous change).
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with = "file")]
    pub diff: Option<Vec<PathBuf>>,

    /// Re-probe held handles every N milliseconds (0: off; always off for dumps).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub reprobe_ms: u64,

    /// Set a limit on what an input may cost, e.g. `--limit entries=5000000` (repeatable;
    /// names and defaults: README, "Limits"). `IOSCOPE_LIMITS="entries=5000000,depth=1000"`
    /// does the same; `--limit` wins.
    #[arg(
        long = "limit",
        value_name = "NAME=N",
        global = true,
        long_help = ioscope::registry::limits::help_text()
    )]
    pub limits: Vec<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

const EXAMPLES: &str = "Examples:
  ioscope                       explore the live registry (the demo off macOS)
  ioscope dump.txt              explore a saved `ioreg -l` dump
  ioscope dump -p IODeviceTree -o dt.plist --format plist
  ioscope stats saved.ioreg
  ioscope explain 0x10000003

Environment:
  IOSCOPE_LIMITS=\"NAME=N,…\"     limits, as --limit gives them (--limit wins)
  IOSCOPE_THREADS=N             threads that read a large dump (default: every core; 1: one)";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a registry (FILE, or the live/demo one) as plist, JSON or ioreg text.
    ///
    /// Example: `ioscope dump ioreg.txt --format json -c IOUSBHostDevice | jq .`
    Dump(dump::DumpArgs),
    /// Print one JSON object describing a loaded registry.
    ///
    /// Example: `ioscope stats ioreg.txt | jq .entries`
    Stats {
        /// The dump to read (default: the live registry, or the demo off macOS).
        #[arg(value_hint = clap::ValueHint::FilePath)]
        file: Option<PathBuf>,
        /// With a recording: the moment to read (seconds from the start, `12.5`, or an RFC
        /// 3339 time); default its last.
        #[arg(long, value_name = "T")]
        at: Option<String>,
    },
    /// Decode a kern_return_t / IOReturn / mach_msg_return_t code.
    ///
    /// Example: `ioscope explain 0x10000003`, `ioscope explain -- -536870212`.
    Explain {
        /// The code: hex (0xe00002c2 or e00002c2), decimal (268435459), negative 32-bit
        /// (-536870212) or a name (kIOReturnBadArgument).
        #[arg(allow_hyphen_values = true)]
        code: String,
    },
    /// Print shell completions for SHELL to stdout.
    ///
    /// Example: `ioscope completions bash > /etc/bash_completion.d/ioscope`
    Completions { shell: clap_complete::Shell },
    /// Compare two registries: entries added and removed, retain counts, states and
    /// properties changed, classes whose instance count moved.
    ///
    /// With one source, A is compared with the live registry (the demo off macOS). Entries
    /// are matched by registry ID (by path when a dump has none). Volatile properties (idle
    /// times, counters, IOKitDiagnostics…) are left out unless `--all`. Exit status as
    /// diff's: 0 same, 1 different, 2 trouble.
    ///
    /// Example: `ioscope diff before.ioreg after.ioreg -c IOUserClient`
    Diff {
        /// The registry before.
        #[arg(value_hint = clap::ValueHint::FilePath)]
        a: PathBuf,
        /// The registry after (default: the live registry, or the demo off macOS).
        #[arg(value_hint = clap::ValueHint::FilePath)]
        b: Option<PathBuf>,
        /// Only say whether they differ.
        #[arg(short = 'q')]
        quiet: bool,
        /// With one recording: `--at T1 --at T2` compares two of its moments.
        #[arg(long, value_name = "T", num_args = 1)]
        at: Vec<String>,
        /// Include volatile properties and busy times.
        #[arg(long)]
        all: bool,
        /// Compare this plane (default IOService).
        #[arg(short = 'p', value_name = "PLANE")]
        plane: Option<String>,
        /// Only entries of this class or a subclass.
        #[arg(short = 'c', value_name = "CLASS")]
        class: Option<String>,
        /// Only entries with this name.
        #[arg(short = 'n', value_name = "NAME")]
        name: Option<String>,
        /// Only entries having this property.
        #[arg(short = 'k', value_name = "KEY")]
        key: Option<String>,
        #[command(flatten)]
        source: census::SourceArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = census::ReportFormat::Text)]
        format: census::ReportFormat,
    },
    /// Instances per class, beside the kernel's own count (`ioclasscount`'s `Name = N`).
    ///
    /// `instances` counts unique registry entries of the class; `kernel` is the root's
    /// IOKitDiagnostics → Classes, what ioclasscount prints. xnu counts objects outside the
    /// registry too, and adds 1 to a class per direct subclass with live instances, so the
    /// kernel's count is usually larger. Text shows the kernel's count when the source has it.
    ///
    /// Example: `ioscope classes saved.txt IOUSBHostDevice --baseline before.txt`
    Classes {
        /// `[SOURCE] [CLASS…]`: a first argument naming an existing file is the dump to read
        /// (default: the live registry, or the demo off macOS); the rest are classes to show
        /// (exact names), as `ioclasscount CLASS…`.
        #[arg(value_name = "SOURCE|CLASS")]
        args: Vec<String>,
        /// Set by `ioscope FILE classes`.
        #[arg(skip)]
        file: Option<PathBuf>,
        #[command(flatten)]
        census: census::CensusArgs,
    },
    /// User clients per process (`IOUserClientCreator`), by class and by the service opened.
    ///
    /// Example: `ioscope clients --baseline morning.txt` (growth per process: the leak signal)
    Clients {
        /// The dump to read (default: the live registry, or the demo off macOS).
        #[arg(value_hint = clap::ValueHint::FilePath)]
        file: Option<PathBuf>,
        #[command(flatten)]
        census: census::CensusArgs,
    },
    /// IOKit send rights another process holds, by kernel object type and class (the port
    /// census); its growth with --interval.
    ///
    /// Example: `ioscope ports Safari --entries`, `ioscope ports --demo-leak --interval 1s`
    Ports(ports::PortsArgs),
    /// Record the live registry (the demo off macOS) over time, until Ctrl-C or --duration.
    ///
    /// The recording replays anywhere: `ioscope session.ioscope` opens its last moment;
    /// `stats`, `dump`, `classes` and `clients` take `--at T`; `diff --at T1 --at T2` compares
    /// two moments (T: seconds from the start, `12.5`, or an RFC 3339 time).
    ///
    /// Example: `ioscope record -o session.ioscope --interval 1s --duration 10m`
    Record(record::RecordArgs),
    /// Print the man page (roff) to stdout: every subcommand and the explorer's keys.
    ///
    /// Example: `ioscope man | man -l -`
    Man,
}

/// The `clap` command, for help, completions and the man page.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Entry point of the binary: runs and turns errors into one stderr line and exit code 1.
/// A closed stdout (`ioscope dump | head`) ends quietly with status 0, as ripgrep does.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match run(cli) {
        // Properties left in a file that changed on disk behind the command read as none:
        // say so and fail rather than print or write a registry that is not the file's.
        Ok(_) if ioscope::registry::unavailable_reads() > 0 => {
            warn(&format!(
                "the dump changed on disk while ioscope was reading it: {} entries' properties \
                 could not be read again (left out); run the command again",
                ioscope::registry::unavailable_reads()
            ));
            ExitCode::FAILURE
        }
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            warn(&one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// clap's answer to the arguments: help and version on stdout (a closed pipe ignored), a usage
/// error on stderr with what the user typed escaped (it is quoted back), exit status 2.
fn usage_error(err: &clap::Error) -> ExitCode {
    if !err.use_stderr() {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let text = err.render().to_string();
    let mut shown = String::with_capacity(text.len());
    for line in text.lines() {
        shown.push_str(&escape::for_terminal(line));
        shown.push('\n');
    }
    let _ = io::stderr().lock().write_all(shown.as_bytes());
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}

/// Prints `ioscope: MESSAGE` on stderr, with control characters escaped (messages quote file
/// names, plane names and text from the dump).
pub fn warn(message: &str) {
    let line = format!("ioscope: {}\n", escape::for_terminal(message));
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// The error and its causes on one line, each cause once: a cause whose text its wrapper
/// already quotes (`FILE: Is a directory (os error 21)`) is not repeated.
fn one_line(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text.replace(['\n', '\r'], " ")
}

/// Whether the error comes from a closed stdout, however it was wrapped (an `io::Error`
/// hides the error it wraps from `source()`, so that one is looked at too).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = |e: &(dyn std::error::Error + 'static)| {
        if let Some(e) = e.downcast_ref::<serde_json::Error>() {
            return e.io_error_kind() == Some(io::ErrorKind::BrokenPipe);
        }
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    };
    err.chain().any(|e| {
        broken(e)
            || e.downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .is_some_and(|inner| broken(inner))
    })
}

/// Writes `bytes` to stdout (an error, a closed pipe included, is returned, never a panic).
fn print_bytes(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// `ioscope FILE stats` / `ioscope FILE dump …`: FILE before the subcommand is the
/// subcommand's file; given twice, or before a subcommand that reads no file, it is refused.
fn place_file(cli: &mut Cli) -> Result<()> {
    let Some(file) = cli.file.take() else {
        return Ok(());
    };
    let shown = file.display().to_string();
    let (slot, name) = match &mut cli.command {
        None => {
            cli.file = Some(file);
            return Ok(());
        }
        Some(Command::Stats { file, .. }) => (file, "stats"),
        Some(Command::Dump(args)) => (&mut args.file, "dump"),
        Some(Command::Classes { file, .. }) => (file, "classes"),
        Some(Command::Clients { file, .. }) => (file, "clients"),
        Some(Command::Diff { .. }) => {
            bail!("{shown}: name the files after `diff` (`ioscope diff A B`)")
        }
        Some(Command::Record(_)) => bail!("{shown}: `record` reads no file; it writes one with -o"),
        Some(Command::Ports(_)) => {
            bail!("{shown}: `ports` reads no dump (an lsmp file is `ioscope ports --lsmp FILE`)")
        }
        Some(Command::Explain { .. }) => bail!("{shown}: `explain` reads no file"),
        Some(Command::Completions { .. }) => bail!("{shown}: `completions` reads no file"),
        Some(Command::Man) => bail!("{shown}: `man` reads no file"),
    };
    if let Some(other) = slot {
        bail!(
            "two files given ({shown} and {}): name one, after the subcommand (`ioscope {name} FILE`)",
            other.display()
        );
    }
    *slot = Some(file);
    Ok(())
}

/// Sets the process's limits from `IOSCOPE_LIMITS`, then `--limit` (the later wins).
fn configure_limits(specs: &[String]) -> Result<()> {
    let mut limits = formats::Limits::default();
    if let Some(list) = std::env::var_os("IOSCOPE_LIMITS") {
        limits
            .apply_list(&list.to_string_lossy())
            .context("IOSCOPE_LIMITS")?;
    }
    for spec in specs {
        limits.apply(spec).context("--limit")?;
    }
    formats::Limits::configure(limits);
    Ok(())
}

fn run(mut cli: Cli) -> Result<ExitCode> {
    configure_limits(&cli.limits)?;
    place_file(&mut cli)?;
    match cli.command {
        None => Ok(match cli.diff.as_deref() {
            Some([a, b]) => ioscope::ui::run_diff(a, b)?,
            _ => ioscope::ui::run_explorer(ioscope::app::AppOptions {
                file: cli.file.clone(),
                reprobe_ms: cli.reprobe_ms,
                hotplug: cli.demo_hotplug,
                demo_leak: cli.demo_leak,
                ..Default::default()
            })?,
        }),
        Some(Command::Stats { file, at }) => stats::stats_command(file.as_deref(), at.as_deref()),
        Some(Command::Dump(args)) => dump::dump_command(&args),
        Some(Command::Classes {
            args,
            file,
            census: shared,
        }) => {
            let (file, wanted) = classes::source_and_classes(file, args);
            classes::classes_command(file.as_deref(), &wanted, &shared)
        }
        Some(Command::Clients {
            file,
            census: shared,
        }) => clients::clients_command(file.as_deref(), &shared),
        Some(Command::Diff {
            a,
            b,
            quiet,
            at,
            all,
            plane,
            class,
            name,
            key,
            source,
            format,
        }) => {
            let options = ioscope::census::diff::DiffOptions {
                plane,
                class,
                name,
                key,
                all,
            };
            // diff's exit status: 2 for trouble (a closed stdout is no trouble: 0, as elsewhere).
            diff::diff_command(&a, b.as_ref(), &at, &options, (quiet, format), &source).or_else(
                |e| {
                    if is_broken_pipe(&e) {
                        return Ok(ExitCode::SUCCESS);
                    }
                    warn(&one_line(&e));
                    Ok(ExitCode::from(2))
                },
            )
        }
        Some(Command::Record(args)) => record::record_command(&args),
        Some(Command::Ports(args)) => ports::ports_command(&args),
        Some(Command::Explain { code }) => explain::explain_command(&code),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "ioscope", &mut script);
            print_bytes(&script).context("stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            print_bytes(&man::render(command())?).context("stdout")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A flag raised by Ctrl-C (SIGINT), SIGTERM and SIGHUP: the commands that sample until stopped
/// (`record`, `ports --interval`) check it between samples and finish their output cleanly.
fn stop_flag() -> Result<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    #[cfg(unix)]
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, std::sync::Arc::clone(&stop))
            .context("cannot catch Ctrl-C")?;
    }
    Ok(stop)
}

/// Loads FILE at a moment: `at` applies to recordings only (their last moment otherwise).
pub fn load_at(file: Option<&Path>, at: Option<&str>) -> Result<Registry> {
    let Some(at) = at else {
        return load(file);
    };
    let Some(path) = file else {
        bail!("--at {at}: name a recording to read (`ioscope record -o FILE` makes one)");
    };
    let bytes = std::fs::read(path).map_err(|error| formats::LoadError::Io {
        path: path.to_owned(),
        error,
    })?;
    if !formats::recording::is_recording(&bytes) {
        bail!("{}: --at needs a recording; this is a dump", path.display());
    }
    let rec = formats::recording::Recording::read(&bytes, &formats::Limits::configured()).map_err(
        |error| formats::LoadError::Read {
            path: path.to_owned(),
            error,
        },
    )?;
    let t = rec
        .parse_at(at)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(rec.at(t).map_err(|error| formats::LoadError::Read {
        path: path.to_owned(),
        error,
    })?)
}

/// Loads FILE, or the live registry (macOS) / the demo (elsewhere) when no file is given.
pub fn load(file: Option<&Path>) -> Result<Registry> {
    match file {
        Some(path) => Ok(formats::load_file(path)?),
        None => Ok(ioscope::kernel::default_registry()?),
    }
}

/// Leaves a registry a one-shot command is done with to the end of the process: freeing a
/// big model entry by entry costs about a tenth of a `stats` run (issue 22), and the
/// process gives all of its memory back at exit anyway.
pub(super) fn keep_until_exit(registry: Registry) {
    std::mem::forget(registry);
}
