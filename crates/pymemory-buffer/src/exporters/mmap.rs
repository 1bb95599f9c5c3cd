//! Memory-mapped files (memmap2), read-only and read-write, and named shared memory.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::error::Result;
use crate::exporter::{BufferExporter, ExportCount, RawBuffer};
use crate::flags::BufferFlags;

enum Map {
    #[expect(dead_code, reason = "owns the mapping, which is unmapped on drop")]
    ReadOnly(Mmap),
    ReadWrite(MmapMut),
    #[expect(dead_code, reason = "owns the mapping, which is unmapped on drop")]
    Private(MmapMut),
    Empty,
}

struct Inner {
    // Kept only so the mapping lives as long as the handle; never borrowed as a slice
    // while exported (views write through `ptr`).
    _map: Map,
    ptr: *mut u8,
    len: usize,
    writable: bool,
    exports: ExportCount,
}

/// A memory-mapped file region (Python's `mmap.mmap`): mapping costs no read, so a view of
/// a slice of a huge file touches only the pages it reads. A cheap handle: clones share
/// the mapping, which is unmapped when the last clone and the last view are gone.
///
/// The usual caveat of file mappings applies: another process truncating the file while
/// it is mapped makes accesses fault (`SIGBUS`); this crate cannot prevent that.
///
/// ```no_run
/// use pymemory_buffer::{MmapBuffer, MemoryView};
/// let map = MmapBuffer::open_range("big.bin", 4096, 64).unwrap();
/// let m = MemoryView::new(&map).unwrap();
/// println!("{}", m.hex().unwrap());
/// ```
#[derive(Clone)]
pub struct MmapBuffer(Rc<Inner>);

impl MmapBuffer {
    /// Maps the whole file read-only.
    pub fn open(path: impl AsRef<Path>) -> io::Result<MmapBuffer> {
        let file = File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).map_err(io::Error::other)?;
        Self::map_ro(&file, 0, len)
    }

    /// Maps `len` bytes from `offset` read-only (any offset; alignment is handled).
    pub fn open_range(path: impl AsRef<Path>, offset: u64, len: usize) -> io::Result<MmapBuffer> {
        let file = File::open(path)?;
        Self::check_range(&file, offset, len)?;
        Self::map_ro(&file, offset, len)
    }

    /// Maps the whole file read-write (`MAP_SHARED`: writes reach the file).
    pub fn open_rw(path: impl AsRef<Path>) -> io::Result<MmapBuffer> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = usize::try_from(file.metadata()?.len()).map_err(io::Error::other)?;
        Self::map_rw(&file, 0, len)
    }

    /// Maps `len` bytes from `offset` read-write.
    pub fn open_rw_range(
        path: impl AsRef<Path>,
        offset: u64,
        len: usize,
    ) -> io::Result<MmapBuffer> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Self::check_range(&file, offset, len)?;
        Self::map_rw(&file, offset, len)
    }

    /// Maps `len` bytes from `offset` copy-on-write (`MAP_PRIVATE`): writable, but writes
    /// stay in this process and never reach the file; only the pages written are copied.
    /// Useful to rehearse changes before making them for real.
    pub fn open_private_range(
        path: impl AsRef<Path>,
        offset: u64,
        len: usize,
    ) -> io::Result<MmapBuffer> {
        let file = File::open(path)?;
        Self::check_range(&file, offset, len)?;
        if len == 0 {
            return Ok(Self::empty(true));
        }
        // SAFETY: as in `map_ro`; a private mapping additionally never writes the file.
        let mut map = unsafe { MmapOptions::new().offset(offset).len(len).map_copy(&file)? };
        let ptr = map.as_mut_ptr();
        Ok(MmapBuffer(Rc::new(Inner {
            _map: Map::Private(map),
            ptr,
            len,
            writable: true,
            exports: ExportCount::new(),
        })))
    }

    fn check_range(file: &File, offset: u64, len: usize) -> io::Result<()> {
        let size = file.metadata()?.len();
        let end = offset.checked_add(len as u64);
        if end.is_none_or(|e| e > size) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "range beyond the end of the file",
            ));
        }
        Ok(())
    }

    fn empty(writable: bool) -> MmapBuffer {
        MmapBuffer(Rc::new(Inner {
            _map: Map::Empty,
            ptr: std::ptr::NonNull::<u8>::dangling().as_ptr(),
            len: 0,
            writable,
            exports: ExportCount::new(),
        }))
    }

    fn map_ro(file: &File, offset: u64, len: usize) -> io::Result<MmapBuffer> {
        if len == 0 {
            return Ok(Self::empty(false));
        }
        // SAFETY: memmap2's contract: the file must not be truncated while mapped. That is
        // outside this process's control; documented on the type as with every mapping.
        let map = unsafe { MmapOptions::new().offset(offset).len(len).map(file)? };
        let ptr = map.as_ptr().cast_mut();
        Ok(MmapBuffer(Rc::new(Inner {
            _map: Map::ReadOnly(map),
            ptr,
            len,
            writable: false,
            exports: ExportCount::new(),
        })))
    }

    fn map_rw(file: &File, offset: u64, len: usize) -> io::Result<MmapBuffer> {
        if len == 0 {
            return Ok(Self::empty(true));
        }
        // SAFETY: as in `map_ro`.
        let mut map = unsafe { MmapOptions::new().offset(offset).len(len).map_mut(file)? };
        let ptr = map.as_mut_ptr();
        Ok(MmapBuffer(Rc::new(Inner {
            _map: Map::ReadWrite(map),
            ptr,
            len,
            writable: true,
            exports: ExportCount::new(),
        })))
    }

    /// Length of the mapped region.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len
    }
    /// True if the region is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }
    /// True if mapped read-write.
    #[must_use]
    pub fn is_writable(&self) -> bool {
        self.0.writable
    }
    /// Live exports.
    #[must_use]
    pub fn exports(&self) -> usize {
        self.0.exports.get()
    }
    /// Writes dirty pages of a read-write mapping back to the file (`msync`).
    pub fn flush(&self) -> io::Result<()> {
        match &self.0._map {
            Map::ReadWrite(m) => m.flush(),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for MmapBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MmapBuffer")
            .field("len", &self.0.len)
            .field("writable", &self.0.writable)
            .field("exports", &self.0.exports.get())
            .finish()
    }
}

// SAFETY: (1)-(2) `ptr..ptr+len` is the live mapping owned by `Inner`, which the
// descriptor keeps alive through the handle clone in its `keep_alive`; it is never remapped; writable only for
// `MAP_SHARED` read-write mappings. (3) The handle never forms slices over the mapping.
// (4)-(5) a 1-D byte descriptor from `fill_info`; `ptr` is non-null (mapping or dangling).
unsafe impl BufferExporter for MmapBuffer {
    fn get_buffer(&self, flags: BufferFlags) -> Result<RawBuffer> {
        let raw = RawBuffer::fill_info(self.0.ptr, self.0.len, !self.0.writable, flags)?;
        // The export (and the mapping) lasts as long as the descriptor.
        Ok(raw.hold((self.0.exports.acquire(), self.clone())))
    }
    fn type_name(&self) -> &'static str {
        "mmap.mmap"
    }
    fn hashable(&self) -> bool {
        false
    }
}

/// Named shared memory (Python's `multiprocessing.shared_memory.SharedMemory` on Linux):
/// a `MAP_SHARED` mapping of `/dev/shm/<name>`, visible to every process that opens the
/// same name. Export it through [`SharedMemory::buffer`].
#[derive(Clone, Debug)]
pub struct SharedMemory {
    name: String,
    path: PathBuf,
    map: MmapBuffer,
}

impl SharedMemory {
    fn path_of(name: &str) -> io::Result<PathBuf> {
        if name.is_empty() || name.contains('/') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid shared memory name",
            ));
        }
        Ok(Path::new("/dev/shm").join(name))
    }

    /// Creates a new block of `size` zero bytes (fails if the name exists).
    pub fn create(name: &str, size: usize) -> io::Result<SharedMemory> {
        let path = Self::path_of(name)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        file.set_len(size as u64)?;
        let map = MmapBuffer::map_rw(&file, 0, size)?;
        Ok(SharedMemory {
            name: name.to_owned(),
            path,
            map,
        })
    }

    /// Attaches to an existing block.
    pub fn open(name: &str) -> io::Result<SharedMemory> {
        let path = Self::path_of(name)?;
        let map = MmapBuffer::open_rw(&path)?;
        Ok(SharedMemory {
            name: name.to_owned(),
            path,
            map,
        })
    }

    /// Removes the name; existing mappings stay valid until dropped.
    pub fn unlink(&self) -> io::Result<()> {
        std::fs::remove_file(&self.path)
    }

    /// The block's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Size in bytes.
    #[must_use]
    pub fn size(&self) -> usize {
        self.map.len()
    }

    /// The exporter of the block's memory (Python's `SharedMemory.buf` source).
    #[must_use]
    pub fn buffer(&self) -> &MmapBuffer {
        &self.map
    }
}
