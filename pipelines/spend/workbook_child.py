"""Child process that reads one untrusted workbook (bytes on stdin) with calamine and writes its sheets to
stdout as Arrow IPC (see readers.read_workbook). It first limits its own address space (argv[1] bytes), so a
runaway allocation inside the native reader ends this process, never the caller. Exit 3 = the reader
refused the bytes (a damaged workbook)."""

from __future__ import annotations

import io
import resource
import struct
import sys


def main() -> int:
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = sys.stdin.buffer.read()
    from pipelines.spend.readers import read_workbook_here

    try:
        sheets = read_workbook_here(data)
    except MemoryError:
        raise
    except Exception as exc:  # calamine's own errors for damaged files
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    out = sys.stdout.buffer
    for name, frame in sheets:
        buf = io.BytesIO()
        frame.write_ipc_stream(buf)
        encoded = name.encode("utf-8")
        out.write(struct.pack("<I", len(encoded)) + encoded + struct.pack("<Q", buf.getbuffer().nbytes))
        out.write(buf.getbuffer())
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
