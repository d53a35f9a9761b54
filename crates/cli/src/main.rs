//! The `clearline` binary: parses the command line and hands over to the library.

/// mimalloc returns freed memory to the system far better than glibc malloc does after bursts
/// of large allocations (argon2id uses 19 MiB per hash), which keeps resident memory low.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    clearline_cli::main()
}
