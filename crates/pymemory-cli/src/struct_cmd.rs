//! `pymemory struct calcsize|pack|unpack`: Python's `struct` module on the command line.

use pymemory::structs::{self, Value};

use crate::failure::Failure;
use crate::hex;

/// `pymemory struct calcsize FMT`: prints `struct.calcsize(FMT)`.
pub(crate) fn calcsize(format: &str) -> Result<String, Failure> {
    Ok(structs::calcsize(format)?.to_string())
}

/// `pymemory struct pack FMT VALUE...`: prints `struct.pack(FMT, *VALUES).hex()`.
pub(crate) fn pack(format: &str, literals: &[String]) -> Result<String, Failure> {
    let values = literals
        .iter()
        .map(|literal| Value::parse_literal(literal))
        .collect::<Result<Vec<Value>, _>>()?;
    Ok(hex::to_hex(&structs::pack(format, &values)?))
}

/// `pymemory struct unpack FMT HEX`: prints `repr(struct.unpack(FMT, bytes.fromhex(HEX)))`.
pub(crate) fn unpack(format: &str, hex_text: &str) -> Result<String, Failure> {
    let bytes = hex::from_hex(hex_text)?;
    let values = structs::unpack(format, &bytes)?;
    Ok(Value::Tuple(values).to_string())
}
