//! `ioscope dump`: a registry written as plist, JSON or ioreg text, selected as ioreg selects.

use super::{keep_until_exit, load_at, output, planes, warn};
use anyhow::{Context, Result, bail};
use ioscope::formats::{self, DumpFormat, Selection, Style};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// `--format`: clap's names for [`DumpFormat`] (the library knows nothing of clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// `ioreg -a` compatible XML property list (lossless).
    Plist,
    /// JSON for jq (schema in README).
    Json,
    /// `ioreg -l` style text.
    Text,
}

impl From<FormatArg> for DumpFormat {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Plist => DumpFormat::Plist,
            FormatArg::Json => DumpFormat::Json,
            FormatArg::Text => DumpFormat::Text,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = DUMP_NOTES)]
pub struct DumpArgs {
    /// The dump to read (default: the live registry, or the demo off macOS).
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Plist)]
    pub format: FormatArg,
    /// `ioreg -a`: the same as `--format plist`.
    #[arg(short = 'a', conflicts_with = "format")]
    pub archive: bool,
    /// Only this plane, e.g. `-p IODeviceTree` (default IOService; any plane the source has).
    #[arg(
        short = 'p',
        value_name = "PLANE",
        value_parser = planes::PlaneParser,
        hide_possible_values = true,
        conflicts_with = "all_planes"
    )]
    pub plane: Option<String>,
    /// Every plane of the source, one after the other (JSON and text; a plist holds one plane).
    #[arg(long)]
    pub all_planes: bool,
    /// Properties only for entries of this class or a subclass, e.g. `-c IOUSBHostDevice`.
    #[arg(short = 'c', value_name = "CLASS")]
    pub class: Option<String>,
    /// Properties only for entries with this name (or name@location), e.g. `-n XHC1`.
    #[arg(short = 'n', value_name = "NAME")]
    pub name: Option<String>,
    /// Properties only for entries having this property key, e.g. `-k IOPCIExpressLinkStatus`.
    #[arg(short = 'k', value_name = "KEY")]
    pub key: Option<String>,
    /// Properties of every entry, also with `-c`/`-n`/`-k` (the default without them).
    #[arg(short = 'l')]
    pub list: bool,
    /// Root the output at each match (print matching subtrees), like `ioreg -r`.
    #[arg(short = 'r')]
    pub root_subtrees: bool,
    /// With `-r`: show the path (the ancestors) down to each match, like `ioreg -r -t`.
    #[arg(short = 't')]
    pub tree: bool,
    /// Plist: add ioscope's own `ioscope:` keys (plane, load report, exact bytes, value
    /// types) so that reading the archive back loses nothing. Without it the archive holds
    /// exactly the keys `ioreg -a` writes.
    #[arg(long)]
    pub annotate: bool,
    /// Descend at most DEPTH levels, e.g. `-d 2`.
    #[arg(short = 'd', value_name = "DEPTH")]
    pub depth: Option<usize>,
    /// Text: clip lines to WIDTH columns as `ioreg -w` does (0: unlimited, the default).
    #[arg(short = 'w', value_name = "WIDTH")]
    pub width: Option<usize>,
    /// Text: numbers and data in hexadecimal, like `ioreg -x`.
    #[arg(short = 'x')]
    pub hex: bool,
    /// Text: the class chain in each entry line (`IOService:IOUSBHostDevice`), like `ioreg -i`.
    #[arg(short = 'i')]
    pub inheritance: bool,
    /// Text: write names, keys and values byte for byte, control characters included (by
    /// default they are shown escaped, `\x1b`, so that a dump cannot drive your terminal).
    #[arg(long)]
    pub raw: bool,
    /// JSON: beside each data value, its typed views (`"$views": {"le32": "0x59160000"}`).
    #[arg(long)]
    pub decode: bool,
    /// Replace identifying values (serial numbers, UUIDs, MAC addresses, user, host and
    /// process names) with placeholders, the same value the same placeholder; stderr says
    /// what was replaced.
    #[arg(long)]
    pub redact: bool,
    /// Text: clean `ioreg -l` text from any source (no HTML escaping, LF line ends, decimal
    /// numbers), so that dumps from old tools compare with today's.
    #[arg(long)]
    pub normalize: bool,
    /// Write to OUT atomically (temp file + rename) instead of stdout, e.g. `-o dump.plist`.
    #[arg(short = 'o', value_name = "OUT", value_hint = clap::ValueHint::FilePath)]
    pub out: Option<PathBuf>,
    /// With a recording: the moment to read (seconds from the start, `12.5`, or an RFC 3339
    /// time); default its last.
    #[arg(long, value_name = "T")]
    pub at: Option<String>,
    /// With `-o`: replace OUT even when it is the dump being read.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// `ioreg -s`/`-S` (state shown or not): accepted and ignored, as `ioreg` has since
    /// IOKitTools-86; the state is always written.
    #[arg(short = 's', short_alias = 'S', hide = true)]
    pub state: bool,
    /// `ioreg -b`, `-f` or `-y`: refused with the reason (`ioreg` habits ioscope does not have).
    #[arg(short = 'b', hide = true)]
    pub bold: bool,
    #[arg(short = 'f', hide = true)]
    pub smart_format: bool,
    #[arg(short = 'y', hide = true)]
    pub no_user_classes: bool,
}

const DUMP_NOTES: &str = "Selection follows ioreg: with -c/-n/-k every entry is still written (-r: \
only the subtrees at the matches), with properties for the matching entries only (-l: for all). \
Without -p only one plane is written (IOService); stderr names the planes left out.";

impl DumpArgs {
    fn format(&self) -> DumpFormat {
        if self.archive {
            DumpFormat::Plist
        } else {
            self.format.into()
        }
    }

    fn selection(&self) -> Selection {
        Selection {
            plane: self.plane.clone(),
            class: self.class.clone(),
            name: self.name.clone(),
            key: self.key.clone(),
            root_subtrees: self.root_subtrees,
            depth: self.depth,
            max_appearances: None,
            all_planes: self.all_planes,
            list: self.list,
            tree: self.tree,
            class_ignore_case: false,
            annotate: self.annotate,
            entry: None,
        }
    }

    fn style(&self) -> Style {
        Style {
            escape: !self.raw,
            width: self.width,
            hex: self.hex,
            inheritance: self.inheritance,
            decode: self.decode,
        }
    }
}

pub(super) fn dump_command(args: &DumpArgs) -> Result<ExitCode> {
    if args.bold {
        bail!("-b (ioreg's bold names) is not supported: a dump is plain text");
    }
    if args.smart_format {
        bail!(
            "-f (ioreg's smart formatting of reg, ranges, interrupts…) is not supported: values are written as ioreg writes them without -f"
        );
    }
    if args.no_user_classes {
        bail!(
            "-y (ioreg's -c without IOUserClasses) is not supported: -c also matches IOUserClasses, as ioreg does without -y"
        );
    }
    let format = args.format();
    if format != DumpFormat::Text {
        let text_only: Vec<&str> = [
            (args.width.is_some_and(|w| w > 0), "-w"),
            (args.hex, "-x"),
            (args.inheritance, "-i"),
            (args.raw, "--raw"),
            (args.normalize, "--normalize"),
        ]
        .iter()
        .filter(|(given, _)| *given)
        .map(|(_, flag)| *flag)
        .collect();
        if !text_only.is_empty() {
            warn(&format!(
                "{} apply to --format text only; ignored",
                text_only.join(", ")
            ));
        }
    }
    if args.decode && format != DumpFormat::Json {
        warn("--decode applies to --format json only; ignored");
    }
    if args.tree && !args.root_subtrees {
        warn("-t keeps the path to each match of -r; without -r the whole tree is written anyway");
    }
    if args.all_planes && format == DumpFormat::Plist {
        bail!("{}", formats::StyleError::PlistAllPlanes);
    }
    // Refuse a bad `-o` before the (maybe long) load.
    let target = match &args.out {
        Some(out) => Some(output::Target::check(
            out,
            args.file.as_deref(),
            args.force,
        )?),
        None => None,
    };
    let mut registry = load_at(args.file.as_deref(), args.at.as_deref())?;
    if args.redact {
        warn(&formats::redact::redact(&mut registry).line());
    }
    if args.normalize && format == DumpFormat::Text {
        formats::normalize(&mut registry);
    }
    let mut selection = args.selection();
    if !planes::settle_class(&registry, &mut selection)? {
        return Ok(ExitCode::FAILURE);
    }
    let selection = &selection;
    planes::report_no_match(&registry, selection)?;
    planes::report_left_out(&registry, selection)?;
    let style = args.style();
    match target {
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            formats::write_styled(&registry, selection, format, &style, &mut out)
                .and_then(|()| out.flush())
                .context("stdout")?;
        }
        Some(target) => {
            target.write(|out| formats::write_styled(&registry, selection, format, &style, out))?
        }
    }
    keep_until_exit(registry);
    Ok(ExitCode::SUCCESS)
}
