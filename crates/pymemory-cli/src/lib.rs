//! The `pymemory` command's logic as a library: the binary (`src/main.rs`) and the
//! cargo-fuzz target (`fuzz/fuzz_targets/cli.rs`) parse and run exactly the same code.
//!
//! ```
//! use clap::Parser;
//! use pymemory_cli::{Cli, run};
//!
//! let cli = Cli::try_parse_from(["pymemory", "struct", "calcsize", "<iHd"]).unwrap();
//! assert_eq!(run(cli).unwrap(), "14");
//! let cli = Cli::try_parse_from(["pymemory", "struct", "pack", "h", "40000"]).unwrap();
//! assert_eq!(
//!     run(cli).unwrap_err().to_string(),
//!     "struct.error: 'h' format requires -32768 <= number <= 32767"
//! );
//! ```

mod demo;
mod demo_gc;
mod failure;
mod hex;
mod struct_cmd;
mod view;

use clap::{Parser, Subcommand};

pub use crate::failure::Failure;

/// Python's memory model in Rust: struct formats, memoryview, reference counting.
#[derive(Debug, Parser)]
#[command(name = "pymemory", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
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

/// `pymemory struct ...`.
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

/// Runs a parsed command line: the text to print on stdout, or the failure to print on
/// stderr (`<Exception>: <message>`, exit status 1).
pub fn run(cli: Cli) -> Result<String, Failure> {
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
