//! The `clearline` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    clearline_cli::main()
}
