"""Child process that reads one untrusted workbook (bytes on stdin) with calamine and writes its sheets to
stdout as Arrow IPC (see readers.read_workbook). It first limits its own address space (argv[1] bytes), so a
runaway allocation inside the native reader ends this process, never the caller. Exit 3 = the reader
refused the bytes (a damaged workbook). It imports only Polars and fastexcel (not the parser's modules: each
workbook pays this process's start)."""

from __future__ import annotations

import io
import resource
import struct
import sys


def main() -> int:
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = sys.stdin.buffer.read()
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


def read_workbook_here(data: bytes) -> list[tuple[str, "pl.DataFrame"]]:
    """The calamine read itself: every sheet as String columns c0..cN plus row_number."""
    import fastexcel
    import polars as pl

    reader = fastexcel.read_excel(data)
    sheets = []
    for name in reader.sheet_names:
        # skip_rows=0 keeps leading empty rows so row_number is the sheet's own row number.
        frame = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
        frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
        frame = frame.with_columns(pl.all().cast(pl.String))
        frame = frame.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))
        sheets.append((name, frame))
    return sheets


if __name__ == "__main__":
    sys.exit(main())
