//! The real IOKit behind the seam (macOS only). Raw calls, no logic.
