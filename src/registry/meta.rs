//! Where a registry came from and what its reader noticed.

/// The kind of source a registry was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    /// Built in code (tests, generators).
    #[default]
    Built,
    /// `ioreg` text output.
    IoregText,
    /// `ioreg -a` plist archive (XML or binary).
    IoregArchive,
    /// IORegistryExplorer `.ioreg` document.
    Iorex,
    /// ioscope's own JSON export.
    IoscopeJson,
    /// An ioscope recording (`ioscope record`), at one moment.
    Recording,
    /// Walked through the IOKit seam on the live kernel.
    Live,
    /// Walked through the IOKit seam on the simulated kernel.
    Demo,
}

impl Origin {
    /// The reader name reported by `ioscope stats`.
    pub(crate) fn reader_name(self) -> &'static str {
        match self {
            Origin::Built => "built",
            Origin::IoregText => "ioreg-text",
            Origin::IoregArchive => "ioreg-archive",
            Origin::Iorex => "iorex",
            Origin::IoscopeJson => "ioscope-json",
            Origin::Recording => "recording",
            Origin::Live => "live",
            Origin::Demo => "demo",
        }
    }
}

/// The shape of `ioreg` tree lines, which changed over the years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderStyle {
    /// `<class C, id 0x…, registered, matched, active, busy 0 (1 ms), retain 5>` (IOKitTools-78 on).
    #[default]
    Modern,
    /// `<class C, registered, matched, active, busy 0, retain 5>` (IOKitTools-76, 10.5).
    NoId,
    /// `<class C, !registered, !matched, active, busy 0, retain count 5>` (up to IOKitTools-56, 10.4).
    RetainCount,
    /// `<class C>` only (10.3).
    ClassOnly,
    /// Post-processed `+-o NAME class: A:B:C` lines (not raw `ioreg` output).
    PostProcessed,
}

/// How a text dump was printed, so a writer can print it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextDialect {
    pub header: HeaderStyle,
    /// Printed with `-x` (numbers and data in hex).
    pub hex: bool,
    /// Printed with `-l` (property blocks present).
    pub properties: bool,
    /// The dump was HTML-escaped (`&lt;class …&gt;`).
    pub html_escaped: bool,
    /// Lines ended in CRLF.
    pub crlf: bool,
    /// Printed with `-i` (classes as `Base:…:Leaf`).
    pub inheritance: bool,
}

/// Where a truncated input stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// 1-based line (text) or byte offset (binary), as `position` says.
    pub position: String,
    pub message: String,
}

/// What a reader (or walker) noticed while building a registry. `ioscope stats` prints it.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub origin: Origin,
    /// Values kept as raw text because they could not be typed.
    pub raw_values: usize,
    /// Lines clipped at the terminal width (ending in `$`).
    pub clipped_lines: usize,
    /// Where they are: 1-based line numbers, the first [`LoadReport::CLIPPED_KEPT`] of them
    /// (the count above goes on counting).
    pub clipped_at: Vec<u64>,
    /// Set when the input ended early; what was complete is loaded.
    pub truncated: Option<Truncation>,
    /// Set for text dumps.
    pub dialect: Option<TextDialect>,
    /// Other things worth telling the user (one line each).
    pub warnings: Vec<String>,
    /// Host name, when the source records it (IORegistryExplorer documents).
    pub host: Option<String>,
    /// Appearances of an entry under a further parent that were merged into that entry
    /// (same registry entry ID): `ioreg` prints such an entry under every parent.
    pub merged_appearances: usize,
    /// (parent, child) links the source listed more than once (each kept once).
    pub duplicate_links: usize,
    /// The source has no registry entry IDs (dumps before 10.6), so an entry with several
    /// parents could not be recognised: each appearance stays its own entry.
    pub unmerged: bool,
    /// Entries whose parent the source lacks, gathered under one synthetic node per plane.
    pub unattached: usize,
    /// An `ioreg -a` archive whose top is an array of entry dicts (`ioreg -a -r`): written
    /// back as an array.
    pub array_root: bool,
}

impl LoadReport {
    /// How many clipped line numbers are kept (a dump clipped everywhere stays bounded).
    pub(crate) const CLIPPED_KEPT: usize = 1000;

    /// Counts a clipped line and keeps its number while there is room.
    pub(crate) fn note_clipped(&mut self, line: u64) {
        self.clipped_lines += 1;
        if self.clipped_at.len() < Self::CLIPPED_KEPT && self.clipped_at.last() != Some(&line) {
            self.clipped_at.push(line);
        }
    }

    /// How many things the reader or walker noticed that are worth a look (a truncation,
    /// clipped lines, each warning); the explorer's status bar points at the report then.
    pub(crate) fn problem_count(&self) -> usize {
        usize::from(self.truncated.is_some())
            + usize::from(self.clipped_lines > 0)
            + self.warnings.len()
    }
}
