"""The memory allocator setting of the processes that run Polars: the `keepitlocal` command and the nightly's parse
workers.

Polars' allocator (jemalloc) otherwise keeps freed pages for a while (Polars' default: 0.5 s, then 1 s more), in
several arenas, so a process's footprint grows with every step of a parse rather than with its largest (a 200 MB
file: 2.9x its size at peak instead of 2.4x). One arena and a 50 ms decay cost no measurable time; at 200 ms the
pages a sheet's typing freed were still held while the lines' fingerprints were computed (Oxford's file at 200 MB:
492-521 MB at peak against 480-484), and returning pages at once (decay 0) cost about 20%. The allocator reads the
setting once, when Polars is first loaded (Polars puts its own defaults in front of it): it must be in the
environment before that. An operator's own setting of the variable wins.
"""

from __future__ import annotations

import os

ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
LEAN_ALLOCATOR = "narenas:1,dirty_decay_ms:50,muzzy_decay_ms:0"


def use_lean_allocator() -> None:
    """Put the setting in this process's environment (reaching Polars if it is not loaded yet, and every
    process started from now on), unless the operator set the variable."""
    os.environ.setdefault(ALLOCATOR_ENV, LEAN_ALLOCATOR)
