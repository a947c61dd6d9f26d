"""Delimited text read in bounded batches gives exactly what one whole read gives.

`ParserLimits.read_batch_bytes` cuts the text at line ends; `read_batch_bytes=0` reads it whole (the reference).
Every field of the result is compared: rows and dropped rows (values and schema), row accounting, mapping,
header, warnings, reasons, encoding. Small batches put batch edges everywhere: inside preambles, between
blank lines, before a wider record, next to quoted fields. The old-against-new comparison over the whole corpus
at real sizes is `benchmarks/parse_spend.py compare`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import tempfile
from pathlib import Path

import polars as pl
import pytest

from pipelines.spend import readers
from pipelines.spend.parse import parse_spend

WHOLE = readers.ParserLimits(read_batch_bytes=0)
CORPUS_BATCH = readers.ParserLimits(read_batch_bytes=20_000)
TINY = readers.ParserLimits(read_batch_bytes=200)

FIELDS = ("kind", "reason_code", "reason", "encoding", "sheets", "header", "warnings", "grain", "declared_total",
          "declared_total_reconciled", "format", "publication_id", "rows_in", "dropped_by_reason", "mapping",
          "amount_basis")


def assert_same(a, b) -> None:
    for name in FIELDS:
        assert getattr(a, name) == getattr(b, name), name
    for name in ("rows", "dropped_rows"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.schema == y.schema, name
        assert x.equals(y, null_equal=True), name


def both(data: bytes, limits: readers.ParserLimits = TINY, **kw):
    """The whole-text read, the batched read and the batched read of the same bytes from a file on disk all
    give the same result."""
    whole = parse_spend(data, filename="2024-05.csv", limits=WHOLE, **kw)
    batched = parse_spend(data, filename="2024-05.csv", limits=limits, **kw)
    assert_same(whole, batched)
    with tempfile.TemporaryDirectory() as folder:
        stored = Path(folder) / "blob"
        stored.write_bytes(data)
        assert_same(whole, parse_spend(stored, filename="2024-05.csv", limits=limits, **kw))
    return batched


def lines(n: int, start: int = 0) -> list[str]:
    return [f"{(start + i) % 28 + 1:02d}/05/2024,Supplier {i % 7} Ltd,{100 + i}.{i % 100:02d},Highways and Transport"
            for i in range(n)]


HEADER = "Payment Date,Supplier Name,Amount,Service Area"


def test_plain_file_in_many_batches():
    result = both(("\n".join([HEADER, *lines(300)]) + "\n").encode())
    assert result.kind == "spend" and result.rows.height == 300


def test_lines_longer_than_the_batch():
    """A line longer than a batch (the read grows until it holds a line end), and a last line without one."""
    long = [f"0{i + 1}/05/2024,{'Very Long Name ' * 40}Ltd {i},12{i}.00,Parks" for i in range(3)]
    result = both("\n".join([HEADER, *lines(40), long[0], *lines(30, 2), long[1], long[2]]).encode())
    assert result.rows.height == 73 and result.rows.get_column("supplier_name")[-1].endswith("Ltd 2")


def test_preamble_blank_lines_total_and_no_final_newline():
    body = ["Spend over 500, May 2024", "", "", HEADER, *lines(120), "", "", *lines(80, 3), ",Total,,"]
    result = both("\r\n".join(body).encode())
    assert result.dropped_by_reason["preamble"] == 3 and result.dropped_by_reason["blank"] == 2


def test_cp1252_nul_bytes_and_bom():
    text = "\n".join([HEADER, *lines(150), "03/05/2024,Café Nero £ Ltd,12.50,Libraries"]) + "\n"
    both(text.encode("cp1252").replace(b"Ltd", b"L\x00td"))
    result = both(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert result.encoding == "utf-8-sig"


def test_cr_only_line_ends():
    result = both(("\r".join([HEADER, *lines(200)]) + "\r").encode())
    assert result.rows.height == 200


def test_quoted_fields_on_one_line_are_batched():
    quoted = [f'{i % 28 + 1:02d}/05/2024,"Smith, Jones & ""Partners"" Ltd","1,{i:03d}.00",Adult Care' for i in range(200)]
    result = both(("\n".join([HEADER, *quoted]) + "\n").encode())
    assert result.rows.get_column("supplier_name")[0] == 'Smith, Jones & "Partners" Ltd'


def test_quoted_field_spanning_lines_is_read_whole():
    body = [HEADER, *lines(100), '04/05/2024,"Multi\nLine Ltd",250.00,Parks', *lines(100, 5)]
    result = both(("\n".join(body) + "\n").encode())
    assert "Multi Line Ltd" in result.rows.get_column("supplier_name").to_list()


def test_stray_quote_is_read_whole():
    body = [HEADER, *lines(100), '04/05/2024,O"Brien Ltd,250.00,Parks', *lines(100, 5)]
    both(("\n".join(body) + "\n").encode())


def test_wider_record_in_a_later_batch():
    body = [HEADER, *lines(250), "05/05/2024,Wide Ltd,99.00,Parks,extra,cells,here", *lines(50, 9)]
    result = both(("\n".join(body) + "\n").encode())
    assert result.rows.height == 301


def test_semicolon_decimal_comma():
    body = ["Payment Date;Supplier Name;Amount", *[f"{i % 28 + 1:02d}/05/2024;Firm {i % 5};1.{i:03d},50" for i in range(200)]]
    result = both(("\n".join(body) + "\n").encode())
    assert result.rows.get_column("amount").sum() > 0


def test_refusals_are_the_same_in_batches():
    long_cell = "x" * 5000
    data = ("\n".join([HEADER, *lines(100), f"05/05/2024,{long_cell},1.00,Parks", *lines(100)]) + "\n").encode()
    small_fields = dataclasses.replace(TINY, max_field_bytes=4000)
    whole = parse_spend(data, filename="a.csv", limits=dataclasses.replace(small_fields, read_batch_bytes=0))
    batched = parse_spend(data, filename="a.csv", limits=small_fields)
    assert whole.reason_code == "field_too_long"
    assert_same(whole, batched)
    wide = ("\n".join([HEADER, *lines(100), ",".join(["1"] * 40)]) + "\n").encode()
    few_columns = dataclasses.replace(TINY, max_columns=12)
    whole = parse_spend(wide, filename="a.csv", limits=dataclasses.replace(few_columns, read_batch_bytes=0))
    batched = parse_spend(wide, filename="a.csv", limits=few_columns)
    assert whole.reason_code == "too_many_columns"
    assert_same(whole, batched)


def test_compacted_grid_keeps_values(monkeypatch):
    column = pl.Series("c0", ["http://opendatacommunities.org/id/council/leeds"] * 3000 + [None, "short"] * 500)
    frame = pl.DataFrame({"c0": column, "c1": [str(i) for i in range(4000)]})
    assert readers.compact_strings(frame) is frame  # a small grid is left as it is
    monkeypatch.setattr(readers, "COMPACT_MIN_BYTES", 0)
    compact = readers.compact_strings(frame)
    assert compact is not frame and compact.equals(frame, null_equal=True)


CORPUS_SPEND = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_files(pattern: str = "*.csv") -> list[Path]:
    return sorted(p for folder in ("spend", "spend_series") for p in (CORPUS_SPEND / folder).rglob(pattern))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_in_batches(path):
    """Each real file read whole from bytes, and in batches straight from its file, gives the same result."""
    whole = parse_spend(path.read_bytes(), filename=path.name, limits=WHOLE)
    batched = parse_spend(path, filename=path.name, limits=CORPUS_BATCH)
    assert_same(whole, batched)


@pytest.mark.parametrize("path", [p for p in corpus_files("*.*") if p.suffix in (".xlsx", ".pdf")],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_container_from_a_path(path):
    """Workbooks and other containers are read whole either way: the same result from a path as from bytes."""
    assert_same(parse_spend(path.read_bytes(), filename=path.name), parse_spend(path, filename=path.name))


def test_hostile_bytes_from_a_path(tmp_path):
    """Refusals and rejections are the same from a file as from bytes (the publication id too)."""
    cases = {
        "empty": b" \r\n\x00" * 100,
        "html": b"<!DOCTYPE html><html><body>Access denied</body></html>",
        "pdf": b"%PDF-1.4 ...",
        "broken_zip": b"PK\x03\x04" + b"\x00" * 64,
        "long_line": b"Date,Supplier,Amount\n" + b"x" * 5000 + b"\n",
        "utf16": ("Payment Date\tSupplier Name\tAmount\n" + "\n".join(
            f"0{i % 9 + 1}/05/2024\tSupplier {i}\t{600 + i}.00" for i in range(40))).encode("utf-16"),
    }
    limits = readers.ParserLimits(max_line_bytes=4096, read_batch_bytes=300)
    for name, data in cases.items():
        stored = tmp_path / name
        stored.write_bytes(data)
        from_bytes = parse_spend(data, filename=f"{name}.csv", limits=limits)
        assert_same(from_bytes, parse_spend(stored, filename=f"{name}.csv", limits=limits))
        assert from_bytes.publication_id == hashlib.sha256(data).hexdigest()
    assert parse_spend(tmp_path / "long_line", limits=limits).reason_code == "line_too_long"
    assert parse_spend(tmp_path / "utf16", limits=limits).rows.height == 40


def test_which_text_is_batched(monkeypatch):
    """Batches are really used (the whole-text reader is never called) unless a quoted field could span a cut."""
    calls = []
    whole_grid = readers._polars_grid
    monkeypatch.setattr(readers, "_polars_grid", lambda *a, **k: calls.append(1) or whole_grid(*a, **k))
    quoted = [f'{i % 28 + 1:02d}/05/2024,"Smith, Jones & ""Partners"" Ltd",100.00,Adult Care' for i in range(200)]
    sheet = readers.read_text(("\n".join([HEADER, *quoted]) + "\n").encode("cp1252"), "a.csv", TINY,
                              prepare=lambda f: f)
    assert not calls and sheet.frame.height == 201 and sheet.prepared
    spanning = [HEADER, *lines(100), '04/05/2024,"Multi\nLine Ltd",250.00,Parks', *lines(100, 5)]
    sheet = readers.read_text(("\n".join(spanning) + "\n").encode(), "a.csv", TINY, prepare=lambda f: f)
    assert calls and sheet.frame.height == 202


def test_wide_record_first_in_its_batch():
    body = [HEADER, *lines(100)]
    text = "\n".join(body) + "\n"
    wide = "05/05/2024,Wide Ltd,99.00,Parks,extra,cells,here"
    limits = dataclasses.replace(TINY, read_batch_bytes=len(text.encode()))
    result = both((text + wide).encode(), limits)  # the last batch is the wide record alone
    assert result.rows.height == 101
    result = both((text + wide + "\n" + "\n".join(lines(20))).encode(), limits)
    assert result.rows.height == 121


def test_row_fingerprint_definition():
    """sha256 hex of council|transaction id|line|date|supplier|amount, a missing part empty (the definition the
    staging and fact tables carry), whatever computes it."""
    import datetime as dt
    import hashlib
    from decimal import Decimal

    from pipelines.spend.parse import _fingerprints

    rows = pl.DataFrame({
        "council_gss": ["E08000035", None, "E08000035"],
        "transaction_id": ["2006-00001", None, "T1"],
        "line_no": [None, None, "2"],
        "payment_date": [dt.date(2020, 6, 24), None, dt.date(2017, 1, 1)],
        "supplier_name": ["A & V Transitional Homes", None, "Café Nero"],
        "amount": pl.Series([Decimal("5400.00"), None, Decimal("-12.50")], dtype=pl.Decimal(18, 2)),
    })
    expected = [hashlib.sha256(k.encode()).hexdigest() for k in (
        "E08000035|2006-00001||2020-06-24|A & V Transitional Homes|5400.00", "|||||",
        "E08000035|T1|2|2017-01-01|Café Nero|-12.50")]
    assert _fingerprints(rows).to_list() == expected


def _reference_line_facts(data: bytes, block: int) -> readers.LineFacts:
    """The line facts computed the obvious way: every line end listed, every line measured."""
    ends = {"lf": (b"\n",), "cr": (b"\r",), "either": (b"\n", b"\r")}
    longest = {}
    for kind, chars in ends.items():
        at = [-1] + [i for i in range(len(data)) if data[i:i + 1] in chars] + [len(data)]
        longest[kind] = max((n for n in (b - a - 1 for a, b in zip(at, at[1:])) if n >= block), default=0)
    odd_quotes = any(line.count(b'"') % 2 for line in data.split(b"\n"))
    return readers.LineFacts(data.count(b"\n"), data.count(b"\r"), data.count(b"\r\n"), longest, odd_quotes)


def test_line_facts_do_not_depend_on_how_the_text_is_fed(monkeypatch):
    """The text is measured piece by piece as it is read or spooled: the line-end counts, every line at least a
    block long and whether a line holds an odd number of quotes must be those of the whole text, wherever the
    pieces, windows and blocks are cut."""
    import random

    monkeypatch.setattr(readers, "_CHUNK", 7)
    rng = random.Random(7)
    for _ in range(1500):
        alphabet = rng.choice([b"ab\r\n", b"aaaaaab\r\n", b'ab"\n', b'aaaa"b\r\n'])
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        if rng.random() < 0.3:  # quotes in pairs on every line: even lines must not be reported odd
            data = b"\n".join(line.replace(b'"', b"") + b'""' * (i % 3) for i, line in enumerate(data.split(b"\n")))
        block = rng.randint(1, 12)
        counter = readers._LineCounter(block)
        cuts = sorted(rng.choices(range(len(data) + 1), k=rng.randint(0, 6)))
        for start, end in zip([0, *cuts], [*cuts, len(data)]):
            counter.feed(data[start:end])
        expected = _reference_line_facts(data, block)
        assert counter.facts() == expected, (data, block)
        assert readers._line_facts(data, block) == expected, (data, block)


def test_a_long_line_is_refused_whatever_the_block(tmp_path):
    """The line limit holds for lines shorter than the counter's block too (the block follows the limit)."""
    path = tmp_path / "long.csv"
    path.write_bytes(b"Date,Supplier,Amount\n01/04/2024,Acme Ltd,600.00\n01/04/2024," + b"x" * 5000 + b",700.00\n")
    with pytest.raises(readers.RefusedFile, match="a line of 5,0"):
        readers.read_text(path, "long.csv", readers.ParserLimits(max_line_bytes=4096))
    assert readers.read_text(path, "long.csv", readers.ParserLimits(max_line_bytes=8192)).frame.height == 3


@pytest.mark.parametrize("share", [0.0, 0.01, 0.5, 1.0])
def test_line_flags_equal_the_direct_computation(share):
    """Flag names per line, by code lookup, equal naming every line's conditions directly (none, few, half
    and all lines flagged; a null condition is not met)."""
    from pipelines.spend.parse import _flags

    rng = random.Random(7)
    n, names = 4000, ["amount_unparsed", "date_lost", "date_missing", "supplier_numeric"]
    kept = pl.DataFrame({name: [None if rng.random() < 0.05 else rng.random() < share for _ in range(n)]
                         for name in names}, schema={name: pl.Boolean for name in names})
    conditions = {name: pl.col(name) for name in names}
    direct = kept.select(pl.concat_str([pl.when(pl.col(name)).then(pl.lit(name)) for name in names],
                                       separator=",", ignore_nulls=True).alias("_flags")).to_series()
    direct = direct.replace("", None)
    assert _flags(kept, conditions).equals(direct, null_equal=True)


def test_shared_texts_equal_the_direct_computation():
    """Payee spaces collapsed only where needed, other-attributes JSON encoded once per distinct combination:
    the same values as computing every line."""
    from pipelines.spend.parse import _cells_matching, _collapse_spaces, _other_attributes

    n = 9000
    names = pl.Series("supplier_name", [["A  B Ltd", "Tab\tLtd", "Plain Ltd", None, " Lead", "Line\nLtd"][i % 6]
                                        for i in range(n)])
    collapsed, distinct = _collapse_spaces(names)
    assert collapsed.equals(names.str.replace_all(r"\s+", " "), null_equal=True)
    assert set(collapsed.drop_nulls()) <= set(distinct)
    assert _cells_matching(collapsed, distinct, r"^\S+ Ltd$").equals(
        collapsed.str.contains(r"^\S+ Ltd$").fill_null(False))
    kept = pl.DataFrame({"_x0": [["Yes", "No", None][i % 3] for i in range(n)],
                         "_x1": [[None, "Fleet", "Fleet", "Café"][i % 4] for i in range(n)]})
    extras = [("Procurement Card", "c3"), ("Category", "c5")]
    direct = kept.select(
        pl.when(pl.col("_x0").is_not_null() | pl.col("_x1").is_not_null())
        .then(pl.struct(pl.col("_x0").alias("Procurement Card"), pl.col("_x1").alias("Category")).struct.json_encode())
    ).to_series()
    assert _other_attributes(kept, extras).equals(direct, null_equal=True)
    unique = kept.with_columns(pl.Series("_x1", [str(i) for i in range(n)]))
    direct_unique = unique.select(pl.struct(pl.col("_x0").alias("Procurement Card"),
                                            pl.col("_x1").alias("Category")).struct.json_encode()).to_series()
    assert _other_attributes(unique, extras).equals(direct_unique, null_equal=True)


def test_one_unmapped_column_shared_json():
    from pipelines.spend.parse import _other_attributes

    kept = pl.DataFrame({"_x0": [["Yes", "No", None, 'Say "hi"'][i % 4] for i in range(9000)]})
    direct = kept.select(pl.when(pl.col("_x0").is_not_null())
                         .then(pl.struct(pl.col("_x0").alias("Procurement Card")).struct.json_encode())).to_series()
    assert _other_attributes(kept, [("Procurement Card", "c3")]).equals(direct, null_equal=True)


def test_utf8_check_in_slices_agrees_with_a_whole_decode(monkeypatch):
    """UTF-8 is checked in small slices of each piece: a character cut by a slice or piece edge is still
    valid, a bad byte anywhere or a character cut off at the end is not."""
    import codecs
    import random

    monkeypatch.setattr(readers, "_DECODE_SLICE", 3)
    rng = random.Random(11)
    alphabet = ["a", "£", "é", "€", "😀", "\n"]
    for _ in range(800):
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))).encode("utf-8")
        if data and rng.random() < 0.4:  # damage it: a stray byte, or a cut-off last character
            data = data[:-1] if rng.random() < 0.5 else data[:(at := rng.randrange(len(data)))] + b"\x9d" + data[at:]
        try:
            data.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        decoder = codecs.getincrementaldecoder("utf-8")()
        cuts = sorted(rng.choices(range(len(data) + 1), k=rng.randint(0, 4)))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
        try:
            for i, piece in enumerate(pieces):
                readers._check_utf8(decoder, piece, i == len(pieces) - 1)
            checked = True
        except UnicodeDecodeError:
            checked = False
        assert checked == valid, data


@pytest.mark.parametrize(("late", "encoding"), [
    ("Café Nero Ltd".encode("utf-8"), "utf-8"), ("Café Nero Ltd".encode("cp1252"), "cp1252"),
    (b"Caf\xc3", "cp1252"), (b"L\x00td", "utf-8")], ids=["utf8", "cp1252", "cut_at_the_end", "nul"])
def test_encoding_decided_by_a_late_piece(tmp_path, monkeypatch, late, encoding):
    """A file read in pieces whose first pieces are plain ASCII: a later piece decides the encoding (UTF-8 kept,
    cp1252 transcoded, a character cut off at the very end makes it cp1252, a NUL byte sends it to the path
    that removes NULs), and the result is the one from the same bytes in memory, which are judged whole."""
    monkeypatch.setattr(readers, "_CHUNK", 64)
    data = ("\n".join([HEADER, *lines(60)]) + "\n").encode() + b"03/05/2024,Acme Ltd,12.50,Libraries\n"
    data += b"03/05/2024," + late + (b"" if late == b"Caf\xc3" else b",12.50,Libraries\n")
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    from_path = parse_spend(path, filename="2024-05.csv", limits=TINY)
    assert_same(parse_spend(data, filename="2024-05.csv", limits=TINY), from_path)
    assert from_path.encoding == encoding


@pytest.mark.parametrize("space", ["\x0b", "\x0c", "\u00a0", "\u2003", "\u3000"])
def test_edge_space_stripped_whatever_the_batch_holds(space):
    """A cell with a space-like character at its edge is stripped alike whether or not another cell of its
    batch needs stripping: the whole read (one batch with a ` Parks ` cell far away) and tiny batches (most
    without one) agree, and the payee has no edge space left."""
    body = lines(150)
    body[5] = body[5].replace("Supplier 5 Ltd", f"{space}Edge Payee Ltd{space}")
    body[140] = body[140].replace("Highways and Transport", " Parks ")
    result = both(("\n".join([HEADER, *body]) + "\n").encode())
    assert result.rows.get_column("supplier_name")[5] == "Edge Payee Ltd"


@pytest.mark.parametrize("rest", ["plain", "cr_only", "quoted_newline", "cp1252", "nul", "long_line", "wider"])
def test_a_file_read_on_a_guess_gives_the_measured_result(tmp_path, monkeypatch, rest):
    """A file on disk is read in batches while a thread measures it, its line ends guessed from its first lines.
    When the rest of the file contradicts the guess (CR line ends, a quoted field spanning lines, bytes that are
    not UTF-8, a NUL, a line over the limit) the guessed read is thrown away: the result is always the one from
    the same bytes in memory, which are measured first."""
    monkeypatch.setattr(readers, "PREFIX_BYTES", 400)
    first = ("\n".join([HEADER, *lines(40)]) + "\n").encode()
    later = {
        "plain": "\n".join(lines(40, 3)) + "\n",
        "cr_only": "\r".join(lines(300, 3)) + "\r",
        "quoted_newline": "\n".join([*lines(10, 3), '04/05/2024,"Multi\nLine Ltd",250.00,Parks', *lines(10)]) + "\n",
        "cp1252": "03/05/2024,Caf\xe9 Nero Ltd,12.50,Libraries\n",
        "nul": "03/05/2024,Acme\x00 Ltd,12.50,Libraries\n",
        "long_line": "03/05/2024," + "x" * 20_000 + ",12.50,Libraries\n",
        "wider": "05/05/2024,Wide Ltd,99.00,Parks,extra,cells\n",
    }[rest]
    data = first + later.encode("cp1252")
    limits = readers.ParserLimits(max_line_bytes=8192, read_batch_bytes=500)
    outcomes = []
    guessed = readers._read_on_a_guess

    def spy(*args):
        try:
            sheet = guessed(*args)
        except readers.RefusedFile:
            outcomes.append("refused")
            raise
        outcomes.append("kept" if sheet is not None else "thrown away")
        return sheet

    monkeypatch.setattr(readers, "_read_on_a_guess", spy)
    path = tmp_path / "guess.csv"
    path.write_bytes(data)
    from_path = parse_spend(path, filename="2024-05.csv", limits=limits)
    assert_same(parse_spend(data, filename="2024-05.csv", limits=limits), from_path)
    if rest == "long_line":
        assert outcomes == ["refused"] and from_path.reason_code == "line_too_long"
    else:
        assert outcomes == ["kept" if rest in ("plain", "wider") else "thrown away"]
        assert from_path.kind == "spend", from_path.reason


def test_wider_record_past_the_records_the_width_is_learnt_from():
    """The width is learnt from the first 32 KB of text (readers.WIDTH_PREFIX_CHARS); a wider record further
    on widens the read, whole or in batches, and keeps its extra cells."""
    rows = lines(1000)
    assert len("\n".join(rows[:800])) > readers.WIDTH_PREFIX_CHARS
    rows[800] = "05/05/2024,Wide Ltd,99.00,Parks,extra,cells,here"
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    for limits in (WHOLE, readers.DEFAULT_LIMITS, TINY):
        result = parse_spend(data, filename="2024-05.csv", limits=limits)
        assert result.kind == "spend" and result.rows.height == 1000
        wide = result.rows.filter(pl.col("supplier_name") == "Wide Ltd").row(0, named=True)
        assert all(cell in wide["other_attributes"] for cell in ("extra", "cells", "here"))
    both(data)
