"""pymemory: Python's memory model from Rust.

``pymemory.memoryview`` is a drop-in for the builtin ``memoryview`` that also handles
explicit byte orders (``'<i'``, ``'>d'``), record formats (``'T{<h:x:<d:y:}'``), strings
(``'5s'``) and multi-dimensional sub-views and slicing; ``pymemory.array`` is
``array.array``; ``pymemory.struct`` is the ``struct`` module. Every pymemory object
exports the buffer protocol with its real format, shape and strides, so ``bytes(x)``,
``numpy.asarray(x)`` and the builtin ``memoryview(x)`` share its memory.
"""

from . import struct
from ._pymemory import *  # noqa: F401,F403
from ._pymemory import __all__ as _native_all

__all__ = ["struct", *_native_all]
