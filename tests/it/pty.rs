//! pty placeholder
