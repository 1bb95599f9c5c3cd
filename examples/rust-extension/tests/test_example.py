"""Tests of the example extension: Rust buffers in Python, Python buffers in Rust."""

import array
import struct
import sys

import numpy as np
import pytest

import pymemory
import pymemory_example as ex


def test_squares_zero_copy_to_numpy():
    buf = ex.squares(5)
    a = np.asarray(buf)
    assert a.dtype == np.uint64
    assert a.tolist() == [0, 1, 4, 9, 16]
    b = np.asarray(buf)
    assert np.shares_memory(a, b)
    a[0] = 42  # writes the Rust Vec
    assert memoryview(buf)[0] == 42
    assert pymemory.memoryview(buf)[0] == 42


def test_builtin_memoryview_of_rust_buffer():
    m = memoryview(ex.squares(3))
    assert (m.format, m.itemsize, m.shape, m.readonly) == ("Q", 8, (3,), False)
    assert m.tolist() == [0, 1, 4]
    assert bytes(ex.squares(2)) == struct.pack("QQ", 0, 1)


def test_rust_side_cannot_resize_while_python_views():
    log = ex.Log()
    log.append(b"abc")
    m = memoryview(log.buffer())
    with pytest.raises(BufferError):
        log.append(b"d")
    assert bytes(m) == b"abc"
    m.release()
    log.append(b"d")
    assert bytes(log.buffer()) == b"abcd"


def test_rust_buffer_view_released_on_another_thread():
    """A Python view of a Rust ByteArray released on another threading.Thread: the release
    is honoured on the log's thread, so the Rust side can grow it again."""
    import threading

    log = ex.Log()
    log.append(b"abc")
    buf = log.buffer()
    m = memoryview(buf)
    a = np.asarray(buf)
    with pytest.raises(BufferError):
        log.append(b"d")

    def release():
        m.release()

    t = threading.Thread(target=release)
    t.start()
    t.join()
    with pytest.raises(BufferError):
        log.append(b"d")  # numpy still holds its export
    holder = [a]
    del a
    t = threading.Thread(target=holder.clear)
    t.start()
    t.join()
    log.append(b"d")
    assert bytes(log.buffer()) == b"abcd"
    # The RustBuffer object itself is bound to its thread (the exporter is not Send).
    errors = []
    t = threading.Thread(target=lambda: errors.append(
        pytest.raises(RuntimeError, memoryview, buf)))
    t.start()
    t.join()
    assert errors
    # Dropped on another thread: its exporter handle is dropped on this thread later.
    holder = [buf]
    del buf
    t = threading.Thread(target=holder.clear)
    t.start()
    t.join()
    log.append(b"e")
    assert len(log) == 5


def test_storage_outlives_rust_owner():
    log = ex.Log()
    log.append(b"xyz")
    m = memoryview(log.buffer())
    del log
    assert bytes(m) == b"xyz"


def test_sum_as_honours_explicit_byte_order():
    data = struct.pack(">3i", 1, 2, -3)
    assert ex.sum_as(data, ">i") == 0.0
    assert ex.sum_as(array.array("d", [0.5, 1.5]), "d") == 2.0
    little = struct.pack("<2i", 1, 256)
    assert ex.sum_as(little, "<i") == 257.0
    assert ex.sum_as(little, ">i") == float(0x01000000 + 0x00010000)


def test_sum_as_errors():
    with pytest.raises(TypeError):
        ex.sum_as(123, "B")
    with pytest.raises(Exception):
        ex.sum_as(b"abc", "i")


def test_borrow_releases_python_buffer():
    ba = bytearray(b"12345678")
    ex.sum_as(ba, "B")
    ba.append(1)  # no export left behind
    assert len(ba) == 9


def test_big_handoff_is_zero_copy():
    buf = ex.zeros(1 << 26)
    a = np.asarray(buf)
    b = np.asarray(buf)
    assert a.nbytes == 1 << 26 and np.shares_memory(a, b)
    assert sys.getrefcount(buf) >= 2
