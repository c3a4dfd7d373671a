//! The `ristretto` binary: parse the command line, run the command, exit with its code.
//! Nothing else lives here; everything is in the library so that tests can reach it.

fn main() -> std::process::ExitCode {
    ristretto::run_from_args(std::env::args_os())
}
