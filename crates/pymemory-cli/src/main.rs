//! `pymemory`: Python's memory model on the command line.
//!
//! - `pymemory demo` runs the seed program (array, memoryview, slicing, write-through) and
//!   then shows a reference cycle freed by the collector.
//! - `pymemory struct calcsize|pack|unpack` is Python's `struct` module.
//! - `pymemory view FILE ...` memory-maps a file and prints what CPython's memoryview would.
//!
//! Every failure prints `<Exception>: <message>` on stderr and exits with status 1; bad
//! usage exits with status 2 and clap's message.

mod demo;
mod demo_gc;
mod failure;
mod hex;
mod struct_cmd;
mod view;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::failure::Failure;

/// Python's memory model in Rust: struct formats, memoryview, reference counting.
#[derive(Debug, Parser)]
#[command(name = "pymemory", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the seed program through the library, then free a reference cycle.
    Demo,
    /// Memory-map FILE and print what CPython's memoryview would:
    /// `memoryview(data)[N:N+LEN].cast(FMT, SHAPE)[EXPR]...` then `.tolist()`, `.hex()` or
    /// its attributes.
    View(view::ViewArgs),
    /// Python's `struct` module: calcsize, pack, unpack.
    Struct {
        #[command(subcommand)]
        command: StructCommand,
    },
}

#[derive(Debug, Subcommand)]
enum StructCommand {
    /// Print `struct.calcsize(FMT)`.
    Calcsize {
        /// A struct format string, e.g. `<iHd`.
        format: String,
    },
    /// Print `struct.pack(FMT, *VALUES)` as lowercase hex.
    Pack {
        /// A struct format string.
        format: String,
        /// Python literals: `-5`, `0x10`, `1.5`, `-inf`, `True`, `b'\x00a'`.
        #[arg(allow_hyphen_values = true, num_args = 0..)]
        values: Vec<String>,
    },
    /// Print `repr(struct.unpack(FMT, bytes.fromhex(HEX)))`.
    Unpack {
        /// A struct format string.
        format: String,
        /// The bytes as hex digits, whitespace allowed between bytes.
        hex: String,
    },
}

fn run(cli: Cli) -> Result<String, Failure> {
    match cli.command {
        Command::Demo => demo::run(),
        Command::View(args) => view::run(&args),
        Command::Struct { command } => match command {
            StructCommand::Calcsize { format } => struct_cmd::calcsize(&format),
            StructCommand::Pack { format, values } => struct_cmd::pack(&format, &values),
            StructCommand::Unpack { format, hex } => struct_cmd::unpack(&format, &hex),
        },
    }
}

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
