fn main() -> std::process::ExitCode {
    ioscope::cli::main()
}
