"""Handing freed memory back to the system. Arrow's allocator and the C library's malloc keep what is freed
for their own next use, which DuckDB and the next page cannot take: after a million rows are read 100-200 MB
of scratch, after a page run at 1M pilots as much again, under the next step's peak."""

from __future__ import annotations

import ctypes
import functools

import pyarrow as pa


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


def release_memory(keep: int = 0) -> None:
    """Return freed memory to the system, unless malloc holds at most `keep` bytes of it (memory handed back
    is faulted in again when next used: 5-10 ms a page run at 100k pilots, so a frequent caller keeps some)."""
    libc = _libc()
    if keep and libc is not None and hasattr(libc, "mallinfo2") and libc.mallinfo2().fordblks <= keep:
        return
    pa.default_memory_pool().release_unused()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, with malloc_trim (and mallinfo2 from glibc 2.33); None elsewhere (macOS, musl): nothing to trim.
    Looked up by name on first use (ctypes.util.find_library runs ldconfig: 18 ms)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "malloc_trim"):
        return None
    if hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _MallInfo2
    return libc
