//! The `netplug` binary: all of it is in the library (`lib.rs`).

fn main() -> std::process::ExitCode {
    netplug_cli::main()
}
