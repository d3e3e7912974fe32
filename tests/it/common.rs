//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// `../shared/corpus` beside the repository, when present (tests using it skip cleanly otherwise).
#[allow(dead_code)]
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// The built `ioscope` binary.
#[allow(dead_code)]
pub fn ioscope_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ioscope"))
}
