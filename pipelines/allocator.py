"""The memory allocator settings of the processes that run Polars: the `keepitlocal` command and the nightly's
parse workers.

Polars' allocator (jemalloc) otherwise keeps freed pages for a while (Polars' default: 0.5 s, then 1 s more), in
several arenas, so a process's footprint grows with every step of a parse rather than with its largest (a 200 MB
file: 2.9x its size at peak instead of 2.4x). One arena and a 50 ms decay cost no measurable time; at 200 ms the
pages a sheet's typing freed were still held while the lines' fingerprints were computed (Oxford's file at 200 MB:
492-521 MB at peak against 480-484), and returning pages at once (decay 0) cost about 20%. The allocator reads the
setting once, when Polars is first loaded (Polars puts its own defaults in front of it): it must be in the
environment before that.

Python's own large buffers (the 16 MiB pieces of text the read-ahead thread reads) come from the C library's
allocator, which gives every thread an arena of its own and kept the pieces that thread freed: 30 MB more at
peak (Oxford's file at 200 MB: 503-515 MB against 477-487 with one arena). The C library reads its variable
when a process starts, so this process is set by a call (glibc's mallopt) and the processes it starts by the
variable. An operator's own setting of either variable wins.
"""

from __future__ import annotations

import ctypes
import os

ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
LEAN_ALLOCATOR = "narenas:1,dirty_decay_ms:50,muzzy_decay_ms:0"
C_ARENAS_ENV, LEAN_C_ARENAS = "MALLOC_ARENA_MAX", "1"
_M_ARENA_MAX = -8  # glibc's mallopt parameter for MALLOC_ARENA_MAX


def use_lean_allocator() -> None:
    """Put the settings in this process's environment (reaching Polars if it is not loaded yet, and every
    process started from now on), unless the operator set them, and limit this process's C arenas likewise."""
    os.environ.setdefault(ALLOCATOR_ENV, LEAN_ALLOCATOR)
    if C_ARENAS_ENV not in os.environ:
        os.environ[C_ARENAS_ENV] = LEAN_C_ARENAS
        _limit_c_arenas(int(LEAN_C_ARENAS))


def _limit_c_arenas(count: int) -> bool:
    """Threads created from now on share `count` arenas of the C allocator. False where the C library has no
    such setting (not glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return mallopt(_M_ARENA_MAX, count) == 1
