//! `-o OUT`: the atomic writer lives below the ui layer ([`crate::dump::output`]), so that the
//! explorer's `x` export writes by the same rules.

pub use crate::dump::output::Target;
