//! The `<iHd` workload shared by the criterion bench and `cargo run --release -p pymemory-bench -- compare`.

use pymemory_struct::Value;

/// Bytes in one `<iHd` record.
pub(crate) const RECORD: usize = 14;

/// `n` records of varied values, little-endian.
pub(crate) fn records(n: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(n * RECORD);
    for k in 0..n {
        let i = (k as i32).wrapping_mul(-1_640_531_527);
        data.extend_from_slice(&i.to_le_bytes());
        data.extend_from_slice(&(k as u16).to_le_bytes());
        data.extend_from_slice(&(k as f64 * 0.5).to_le_bytes());
    }
    data
}

/// The floor: `<iHd` decoded by hand at fixed offsets into the same `Value`s.
#[inline(always)]
pub(crate) fn hand_record(r: &[u8], out: &mut Vec<Value>) {
    let i = i32::from_le_bytes([r[0], r[1], r[2], r[3]]);
    let h = u16::from_le_bytes([r[4], r[5]]);
    let mut d = [0u8; 8];
    d.copy_from_slice(&r[6..14]);
    // Three pushes measured fastest among push / extend([..]) / vec![..].
    out.push(Value::Int(i.into()));
    out.push(Value::Int(h.into()));
    out.push(Value::Float(f64::from_le_bytes(d)));
}
