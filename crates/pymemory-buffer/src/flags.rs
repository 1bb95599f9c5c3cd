//! Buffer request flags: CPython's `PyBUF_*` set.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};

/// What a consumer asks of an exporter, as the `flags` argument of `PyObject_GetBuffer`.
///
/// The values are CPython's, so flags can cross an FFI boundary unchanged. Compound flags
/// include their prerequisites (`STRIDES` includes `ND`, `C_CONTIGUOUS` includes `STRIDES`),
/// and [`BufferFlags::requests`] tests for a whole compound flag the way CPython's `REQ_*`
/// macros do.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BufferFlags(u32);

impl BufferFlags {
    /// `PyBUF_SIMPLE`: a contiguous run of unsigned bytes, read-only is fine.
    pub const SIMPLE: BufferFlags = BufferFlags(0);
    /// `PyBUF_WRITABLE`: the consumer will write; read-only exporters must refuse.
    pub const WRITABLE: BufferFlags = BufferFlags(0x0001);
    /// `PyBUF_FORMAT`: the consumer wants the struct format string.
    pub const FORMAT: BufferFlags = BufferFlags(0x0004);
    /// `PyBUF_ND`: the consumer understands `shape` (C-contiguous data).
    pub const ND: BufferFlags = BufferFlags(0x0008);
    /// `PyBUF_STRIDES`: the consumer understands `strides`.
    pub const STRIDES: BufferFlags = BufferFlags(0x0010 | 0x0008);
    /// `PyBUF_C_CONTIGUOUS`: strides must describe C (row-major) contiguous data.
    pub const C_CONTIGUOUS: BufferFlags = BufferFlags(0x0020 | 0x0018);
    /// `PyBUF_F_CONTIGUOUS`: strides must describe Fortran (column-major) contiguous data.
    pub const F_CONTIGUOUS: BufferFlags = BufferFlags(0x0040 | 0x0018);
    /// `PyBUF_ANY_CONTIGUOUS`: C or Fortran contiguous.
    pub const ANY_CONTIGUOUS: BufferFlags = BufferFlags(0x0080 | 0x0018);
    /// `PyBUF_INDIRECT`: the consumer understands `suboffsets` (PIL-style arrays).
    pub const INDIRECT: BufferFlags = BufferFlags(0x0100 | 0x0018);
    /// `PyBUF_CONTIG`: `ND | WRITABLE`.
    pub const CONTIG: BufferFlags = BufferFlags(0x0008 | 0x0001);
    /// `PyBUF_CONTIG_RO`: `ND`.
    pub const CONTIG_RO: BufferFlags = BufferFlags(0x0008);
    /// `PyBUF_STRIDED`: `STRIDES | WRITABLE`.
    pub const STRIDED: BufferFlags = BufferFlags(0x0018 | 0x0001);
    /// `PyBUF_STRIDED_RO`: `STRIDES`.
    pub const STRIDED_RO: BufferFlags = BufferFlags(0x0018);
    /// `PyBUF_RECORDS`: `STRIDES | WRITABLE | FORMAT`.
    pub const RECORDS: BufferFlags = BufferFlags(0x0018 | 0x0001 | 0x0004);
    /// `PyBUF_RECORDS_RO`: `STRIDES | FORMAT`.
    pub const RECORDS_RO: BufferFlags = BufferFlags(0x0018 | 0x0004);
    /// `PyBUF_FULL`: `INDIRECT | WRITABLE | FORMAT`.
    pub const FULL: BufferFlags = BufferFlags(0x0118 | 0x0001 | 0x0004);
    /// `PyBUF_FULL_RO`: `INDIRECT | FORMAT`, what `memoryview(obj)` requests.
    pub const FULL_RO: BufferFlags = BufferFlags(0x0118 | 0x0004);

    /// Flags from CPython's integer value. Unknown bits are kept (CPython ignores them).
    #[must_use]
    pub const fn from_bits(bits: u32) -> BufferFlags {
        BufferFlags(bits)
    }

    /// CPython's integer value.
    #[must_use]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// True if every bit of `flag` is set: CPython's `REQ_*` test
    /// (`(flags & PyBUF_STRIDES) == PyBUF_STRIDES`).
    #[must_use]
    pub const fn requests(self, flag: BufferFlags) -> bool {
        self.0 & flag.0 == flag.0
    }

    /// True if the consumer asked for write access.
    #[must_use]
    pub const fn writable(self) -> bool {
        self.0 & Self::WRITABLE.0 != 0
    }

    /// True if the consumer asked for the format string.
    #[must_use]
    pub const fn format(self) -> bool {
        self.0 & Self::FORMAT.0 != 0
    }
}

impl BitOr for BufferFlags {
    type Output = BufferFlags;
    fn bitor(self, rhs: BufferFlags) -> BufferFlags {
        BufferFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for BufferFlags {
    fn bitor_assign(&mut self, rhs: BufferFlags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for BufferFlags {
    type Output = BufferFlags;
    fn bitand(self, rhs: BufferFlags) -> BufferFlags {
        BufferFlags(self.0 & rhs.0)
    }
}

impl fmt::Debug for BufferFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BufferFlags({:#06x})", self.0)
    }
}
