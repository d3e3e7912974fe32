//! `ioscope explain CODE`: a kern_return_t / IOReturn / mach_msg_return_t code decoded
//! (the code table is [`ioscope::kernel::code_table`]).

use ioscope::kernel::KernReturn;

/// `ioscope explain CODE`.
pub(super) fn explain_command(code: &str) -> anyhow::Result<std::process::ExitCode> {
    use std::io::Write as _;
    let explanation = KernReturn::parse(code)?.explain();
    let mut out = std::io::stdout().lock();
    out.write_all(explanation.details().as_bytes())?;
    out.flush()?;
    Ok(std::process::ExitCode::SUCCESS)
}
