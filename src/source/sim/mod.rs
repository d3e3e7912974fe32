//! The simulated Mac kernel: a deterministic registry and a Mach port name space
//! that follow xnu's rules, behind the same [`IoKit`](crate::source::kernel::IoKit) seam as the real one.
