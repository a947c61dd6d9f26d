"""Progress lines for long work: printed for people at a terminal, logged for Dagster.

The CLI sets KEEPITLOCAL_PROGRESS=1 so `keepitlocal demo` / `run` show one line per council and source
while Dagster's own event log stays quiet; in the UI the same lines appear in the run's log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def reporter(log: Callable[[str], None] | None = None) -> Callable[[str], None]:
    show = os.environ.get("KEEPITLOCAL_PROGRESS") == "1"

    def report(message: str) -> None:
        if log is not None:
            log(message)
        if show:
            print(f"  {message}", file=sys.stdout, flush=True)

    return report
