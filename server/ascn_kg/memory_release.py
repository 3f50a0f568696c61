"""Large blocks go back to the system when freed (glibc), so a process's memory follows its load.

glibc serves an allocation above its mmap threshold with a mapping of its own, returned to
the system when freed; but it raises that threshold each time such a block is freed (up to
32 MB), after which blocks of that size come from the heap and stay with the process when
freed. A server that has once sent a few large answers would keep their memory for good.
Fixing the threshold (``mallopt(M_MMAP_THRESHOLD)``) turns that adjustment off. Elsewhere than
glibc nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value


def return_large_blocks() -> bool:
    """Make blocks over 128 KiB mappings of their own for good; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        return False
    return bool(mallopt is not None and mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
