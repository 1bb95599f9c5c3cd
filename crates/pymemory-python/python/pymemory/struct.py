"""Functions to convert between Python values and C structs (pymemory's implementation).

The same interface as the standard ``struct`` module, backed by Rust: ``pack``,
``pack_into``, ``unpack``, ``unpack_from``, ``iter_unpack``, ``calcsize``, ``Struct`` and
``error`` (a subclass of ``struct.error``, so ``except struct.error`` catches it too).

The optional first format char indicates byte order, size and alignment:
  @: native order, size & alignment (default)
  =: native order, std. size & alignment
  <: little-endian, std. size & alignment
  >: big-endian, std. size & alignment
  !: same as >

The remaining chars indicate types of args and must match exactly;
these can be preceded by a decimal repeat count:
  x: pad byte (no data); c:char; b:signed byte; B:unsigned byte;
  ?: _Bool (requires C99; if not available, char is used instead)
  h:short; H:unsigned short; i:int; I:unsigned int;
  l:long; L:unsigned long; f:float; d:double; e:half-float.
Special cases (preceding decimal count indicates length):
  s:string (array of char); p: pascal string (with count byte).
Special cases (only available in native format):
  n:ssize_t; N:size_t;
  P:an integer type that is wide enough to hold a pointer.
Special case (not in native mode unless 'long long' in platform C):
  q:long long; Q:unsigned long long
Whitespace between formats is ignored.
"""

from ._pymemory import _struct as _native

pack = _native.pack
pack_into = _native.pack_into
unpack = _native.unpack
unpack_from = _native.unpack_from
iter_unpack = _native.iter_unpack
calcsize = _native.calcsize
Struct = _native.Struct
error = _native.error

__all__ = [
    "calcsize",
    "pack",
    "pack_into",
    "unpack",
    "unpack_from",
    "iter_unpack",
    "Struct",
    "error",
]
