//! The command line: one clap definition feeds parsing, `--help`, the man page and completions.

use crate::dump::{self, DumpFormat, Selection};
use crate::registry::Registry;
use crate::source::snapshot;
use crate::stats::Stats;
use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// A terminal explorer for the macOS I/O Registry.
///
/// With no FILE, ioscope opens the live registry on macOS, or a simulated Mac (the demo)
/// elsewhere. With FILE it opens a saved dump: `ioreg -l` text, an `ioreg -a` plist
/// archive (XML or binary), or an IORegistryExplorer `.ioreg` document. The format is
/// detected from the contents.
#[derive(Debug, Parser)]
#[command(name = "ioscope", version, about, long_about, after_help = EXAMPLES)]
pub struct Cli {
    /// A saved registry dump to open, e.g. `ioscope ioreg.txt`.
    pub file: Option<PathBuf>,

    /// Demo only: unplug and replug a USB device every few seconds.
    #[arg(long)]
    pub demo_hotplug: bool,

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
        long_help = crate::registry::limits::help_text()
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
  ioscope explain 0x10000003";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a registry (FILE, or the live/demo one) as plist, JSON or ioreg text.
    ///
    /// Example: `ioscope dump ioreg.txt --format json -c IOUSBHostDevice | jq .`
    Dump(DumpArgs),
    /// Print one JSON object describing a loaded registry.
    ///
    /// Example: `ioscope stats ioreg.txt | jq .entries`
    Stats {
        /// The dump to read (default: the live registry, or the demo off macOS).
        file: Option<PathBuf>,
    },
    /// Decode a kern_return_t / IOReturn / mach_msg_return_t code.
    ///
    /// Example: `ioscope explain 0x10000003`, `ioscope explain -- -536870212`.
    Explain {
        /// The code: hex (0xe00002c2), decimal (268435459) or negative 32-bit (-536870212).
        #[arg(allow_hyphen_values = true)]
        code: String,
    },
    /// Print shell completions for SHELL to stdout.
    ///
    /// Example: `ioscope completions bash > /etc/bash_completion.d/ioscope`
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to stdout.
    ///
    /// Example: `ioscope man | man -l -`
    Man,
}

#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    /// The dump to read (default: the live registry, or the demo off macOS).
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DumpFormat::Plist)]
    pub format: DumpFormat,
    /// Only this plane, e.g. `-p IODeviceTree` (default IOService).
    #[arg(short = 'p', value_name = "PLANE")]
    pub plane: Option<String>,
    /// Entries of this class or a subclass, e.g. `-c IOUSBHostDevice`.
    #[arg(short = 'c', value_name = "CLASS")]
    pub class: Option<String>,
    /// Entries with this name (or name@location), e.g. `-n XHC1`.
    #[arg(short = 'n', value_name = "NAME")]
    pub name: Option<String>,
    /// Entries having this property key, e.g. `-k IOPCIExpressLinkStatus`.
    #[arg(short = 'k', value_name = "KEY")]
    pub key: Option<String>,
    /// Root the output at each match (print matching subtrees), like `ioreg -r`.
    #[arg(short = 'r')]
    pub root_subtrees: bool,
    /// Descend at most DEPTH levels, e.g. `-d 2`.
    #[arg(short = 'd', value_name = "DEPTH")]
    pub depth: Option<usize>,
    /// Write to OUT atomically (temp file + rename) instead of stdout, e.g. `-o dump.plist`.
    #[arg(short = 'o', value_name = "OUT")]
    pub out: Option<PathBuf>,
}

impl DumpArgs {
    fn selection(&self) -> Selection {
        Selection {
            plane: self.plane.clone(),
            class: self.class.clone(),
            name: self.name.clone(),
            key: self.key.clone(),
            root_subtrees: self.root_subtrees,
            depth: self.depth,
        }
    }
}

/// The `clap` command, for help, completions and the man page.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Entry point of the binary: runs and turns errors into one stderr line and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("ioscope: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

fn one_line(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    text.replace('\n', " ")
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Sets the process's limits from `IOSCOPE_LIMITS`, then `--limit` (the later wins).
fn configure_limits(specs: &[String]) -> Result<()> {
    let mut limits = snapshot::Limits::default();
    if let Some(list) = std::env::var_os("IOSCOPE_LIMITS") {
        limits
            .apply_list(&list.to_string_lossy())
            .context("IOSCOPE_LIMITS")?;
    }
    for spec in specs {
        limits.apply(spec).context("--limit")?;
    }
    snapshot::Limits::configure(limits);
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    configure_limits(&cli.limits)?;
    match cli.command {
        None => crate::ui::run_explorer(&cli),
        Some(Command::Stats { file }) => {
            let start = Instant::now();
            let registry = load(file.as_deref())?;
            let stats = Stats::of(&registry, start.elapsed().as_secs_f64() * 1000.0);
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &stats)?;
            writeln!(out)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Dump(args)) => {
            let registry = load(args.file.as_deref())?;
            write_dump(&registry, &args)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Explain { code }) => crate::source::kernel::explain_command(&code),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut command(), "ioscope", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(command()).render(&mut io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Loads FILE, or the live registry (macOS) / the demo (elsewhere) when no file is given.
pub fn load(file: Option<&Path>) -> Result<Registry> {
    match file {
        Some(path) => Ok(snapshot::load_file(path)?),
        None => crate::source::default_registry(),
    }
}

fn write_dump(registry: &Registry, args: &DumpArgs) -> Result<()> {
    let selection = args.selection();
    match &args.out {
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            dump::write(registry, &selection, args.format, &mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
                format!(
                    "{}: cannot create a temporary file beside it",
                    path.display()
                )
            })?;
            {
                let mut out = io::BufWriter::new(tmp.as_file_mut());
                dump::write(registry, &selection, args.format, &mut out)?;
                out.flush()?;
            }
            tmp.as_file().sync_all()?;
            tmp.persist(path)
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    Ok(())
}
