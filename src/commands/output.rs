//! `-o OUT`: the atomic writer lives below the ui layer ([`ioscope::formats::output`]), so that the
//! explorer's `x` export writes by the same rules.

pub use ioscope::formats::output::Target;
