//! `dump -o OUT` and the explorer's `x` export: written atomically, and never at the cost of
//! something the user had.
//!
//! - A symlink is written through: its target is replaced, the link stays.
//! - A directory, device node, FIFO or socket is refused (`-o /dev/null` included): only a
//!   regular file can be replaced atomically, and a device must never become a file.
//! - The dump being read is refused unless `--force` (same device and inode, so a hard link or
//!   another spelling of the path counts too).
//! - A new file gets the user's umask (created with mode 0666 minus umask, as `>` would); a
//!   replaced file keeps its mode.
//! - The bytes go to a temporary file in the target's directory, are flushed and fsynced, and
//!   the file is renamed over the target (then the directory is fsynced), so a failure leaves
//!   the old file whole.

use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why OUT cannot be written (the message names it as the user did; the cause, if any, is
/// the source).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: {step}", .path.display())]
    Io {
        path: PathBuf,
        step: Step,
        #[source]
        source: io::Error,
    },
    #[error("{}: is a directory; -o takes a file name", .0.display())]
    Directory(PathBuf),
    #[error(
        "{}: is not a regular file (a device, FIFO or socket); -o writes only regular files",
        .0.display()
    )]
    NotRegularFile(PathBuf),
    #[error("{}: is the dump being read; use --force to replace it", .0.display())]
    IsTheInput(PathBuf),
}

/// The step of writing OUT that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    FollowLink,
    Write,
    CreateTemporary,
    KeepMode,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::FollowLink => "cannot follow the link",
            Step::Write => "cannot write",
            Step::CreateTemporary => "cannot create a temporary file beside it",
            Step::KeepMode => "cannot keep its mode",
        })
    }
}

type Result<T> = std::result::Result<T, OutputError>;

/// `.at(step, OUT)` for io results: the step that failed on OUT, then the cause.
trait Context<T> {
    fn at(self, step: Step, path: &Path) -> Result<T>;
}

impl<T> Context<T> for io::Result<T> {
    fn at(self, step: Step, path: &Path) -> Result<T> {
        self.map_err(|source| OutputError::Io {
            path: path.to_owned(),
            step,
            source,
        })
    }
}

/// A checked `-o` destination.
#[derive(Debug)]
pub struct Target {
    /// What the user named (for messages).
    named: PathBuf,
    /// The file actually replaced (a symlink's final target).
    path: PathBuf,
    /// The mode to keep, when a file is replaced.
    existing: Option<Metadata>,
}

impl Target {
    /// Checks OUT before anything is loaded or written.
    pub fn check(out: &Path, input: Option<&Path>, force: bool) -> Result<Target> {
        let path = resolve_links(out).at(Step::FollowLink, out)?;
        let existing = match fs::metadata(&path) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).at(Step::Write, out),
        };
        if let Some(meta) = &existing {
            let kind = meta.file_type();
            if kind.is_dir() {
                return Err(OutputError::Directory(out.to_owned()));
            }
            if !kind.is_file() {
                return Err(OutputError::NotRegularFile(out.to_owned()));
            }
            if let Some(input) = input
                && let Ok(input_meta) = fs::metadata(input)
                && same_file(meta, &input_meta, &path, input)
                && !force
            {
                return Err(OutputError::IsTheInput(out.to_owned()));
            }
        }
        Ok(Target {
            named: out.to_owned(),
            path,
            existing,
        })
    }

    /// Writes through `write` into a temporary file beside the target and renames it over.
    pub fn write(self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
        let shown = self.named.as_path();
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = temp_builder()
            .prefix(".ioscope-")
            .tempfile_in(dir)
            .at(Step::CreateTemporary, shown)?;
        {
            let mut out = io::BufWriter::new(tmp.as_file_mut());
            write(&mut out).at(Step::Write, shown)?;
            out.flush().at(Step::Write, shown)?;
        }
        if let Some(meta) = &self.existing {
            tmp.as_file()
                .set_permissions(meta.permissions())
                .at(Step::KeepMode, shown)?;
        }
        tmp.as_file().sync_all().at(Step::Write, shown)?;
        tmp.persist(&self.path)
            .map_err(|e| e.error)
            .at(Step::Write, shown)?;
        sync_dir(dir);
        Ok(())
    }
}

/// A temporary file created with mode 0666, which the kernel narrows by the umask (tempfile's
/// default, 0600, would make every dump private).
fn temp_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder
}

/// The path with every symlink along the final component followed (a dangling link names the
/// file to create). At most 40 links, as the kernel allows.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_owned();
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata, _: &Path, _: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata, a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Makes the rename durable (best effort: not every system can open a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
