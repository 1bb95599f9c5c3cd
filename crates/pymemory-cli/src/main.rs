//! `pymemory`: Python's memory model on the command line.
//!
//! - `pymemory demo` runs the seed program (array, memoryview, slicing, write-through) and
//!   then shows a reference cycle freed by the collector.
//! - `pymemory struct calcsize|pack|unpack` is Python's `struct` module.
//! - `pymemory view FILE ...` memory-maps a file and prints what CPython's memoryview would.
//!
//! Every failure prints `<Exception>: <message>` on stderr and exits with status 1; bad
//! usage exits with status 2 and clap's message.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use pymemory_cli::{Cli, Failure, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
                // A closed pipe (`| head`) ends the output quietly, as it should.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("{}", Failure::from_io_write(&e));
                    ExitCode::FAILURE
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}
