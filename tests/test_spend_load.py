"""Staging load: idempotent re-load, supersession with history, quarantine; and one council end to end through
ingest_council with a stand-in parser (dependency injection)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from pipelines.config import SourcesConfig
from pipelines.http import PoliteSession
from pipelines.spend.ingest import ingest_council
from pipelines.spend.load import apply_supersession, load_publication, quarantine, supersede
from tests.hostile import HostileServer, Reply

GSS = "E06999999"


@dataclass
class StandInResult:
    kind: str
    rows: pl.DataFrame | None = None
    reason_code: str | None = None
    reason: str | None = None
    encoding: str = "utf-8"
    sheets: list = field(default_factory=lambda: ["csv"])
    warnings: list = field(default_factory=list)
    grain: str = "line"
    dropped_rows: int = 0


def stand_in_parse(data: bytes, *, filename=None, council_gss=None, hints=None, source_url=None) -> StandInResult:
    """A tiny parser: `date,supplier,amount` CSV; a body starting with `<html` is rejected; `BOOM` crashes."""
    if data.startswith(b"BOOM"):
        raise RuntimeError("parser crashed")
    if data.lstrip().lower().startswith(b"<html"):
        return StandInResult(kind="rejected", reason_code="html_page", reason="an HTML page, not a data file")
    raw = pl.read_csv(io.BytesIO(data), infer_schema=False)
    rows = raw.select(
        pl.col("date").str.to_date("%d/%m/%Y").alias("payment_date"),
        pl.col("supplier").alias("supplier_name"),
        pl.col("amount").cast(pl.Decimal(18, 2)).alias("amount"),
        (pl.int_range(pl.len()) + 2).cast(pl.Int32).alias("row_number"),
    ).with_columns(pl.lit("csv").alias("sheet"), pl.lit("day").alias("date_precision"))
    return StandInResult(kind="spend", rows=rows)


def csv_body(*lines: str) -> bytes:
    return ("date,supplier,amount\n" + "\n".join(lines) + "\n").encode()


def meta(sha: str, fetched_at: datetime, url: str = "http://x/a.csv") -> dict:
    return {"sha256": sha, "source_url": url, "link_text": "April 2024", "landing_page": "http://x/",
            "fetched_at": fetched_at, "dataset_kind": "spend"}


def current_lines(con) -> list[tuple]:
    return con.execute("select publication_id, supplier_name, amount from staging.spend_lines "
                       "where council_gss = $g and is_current order by publication_id, row_number", {"g": GSS}).fetchall()


def test_reload_is_idempotent_and_republication_supersedes_with_history(warehouse):
    april_v1 = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00", "02/04/2024,Bolt plc,700.50"))
    april_v2 = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00", "02/04/2024,Bolt plc,750.50",
                                       "03/04/2024,Crane CIC,800.00"))
    may = stand_in_parse(csv_body("01/05/2024,Acme Ltd,900.00"))
    with warehouse.connect() as con:
        for _ in range(2):  # loading the same publication twice replaces, never duplicates
            load_publication(con, GSS, "2024-04", april_v1, meta("a" * 64, datetime(2024, 5, 1)))
        load_publication(con, GSS, "2024-05", may, meta("m" * 64, datetime(2024, 6, 1)))
        apply_supersession(con, GSS)
        assert con.execute("select count(*) from staging.spend_lines").fetchone()[0] == 3
        assert con.execute("select count(*) from staging.spend_publications").fetchone()[0] == 2
        total = con.execute("select net_total, rows, min_date from staging.spend_publications "
                            "where publication_id = $p", {"p": "a" * 64}).fetchall()
        assert total == [(Decimal("1300.50"), 2, date(2024, 4, 1))]

        # nothing changed since: supersession has nothing to re-apply (no scan of the council's lines)
        assert supersede(con, [GSS]) == []
        # April republished later: the new file is current, the old one kept as history
        load_publication(con, GSS, "2024-04", april_v2, meta("b" * 64, datetime(2024, 7, 1), "http://x/a2.csv"))
        assert supersede(con, [GSS]) == [GSS]
        pubs = dict(con.execute("select publication_id, superseded_by from staging.spend_publications").fetchall())
        assert pubs == {"a" * 64: "b" * 64, "b" * 64: None, "m" * 64: None}
        assert con.execute("select count(*) from staging.spend_lines where publication_id = $p and not is_current",
                           {"p": "a" * 64}).fetchone()[0] == 2
        current = current_lines(con)
        assert len(current) == 4 and len({(c[1], c[2]) for c in current}) == 4
        assert sum(c[2] for c in current) == Decimal("3050.50")


def test_covering_quarter_supersedes_months_and_period_comes_from_dates(warehouse):
    april = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00"))
    quarter = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00", "15/06/2024,Bolt plc,100.00"))
    with warehouse.connect() as con:
        load_publication(con, GSS, "2024-04", april, meta("a" * 64, datetime(2024, 5, 1)))
        loaded = load_publication(con, GSS, None, quarter, meta("q" * 64, datetime(2024, 8, 1)))
        assert loaded["period_key"] == "FY2024-25-Q1"  # April-June 2024 from the payment dates
        apply_supersession(con, GSS)
        rows = con.execute("select publication_id, is_current, superseded_by, period_source, period_start, period_end "
                           "from staging.spend_publications order by publication_id").fetchall()
    assert rows == [("a" * 64, False, "q" * 64, "link", date(2024, 4, 1), date(2024, 4, 30)),
                    ("q" * 64, True, None, "payment_dates", date(2024, 4, 1), date(2024, 6, 30))]


def test_quarantine_replaces_same_file_same_reason(warehouse):
    with warehouse.connect() as con:
        for _ in range(2):
            quarantine(con, council_gss=GSS, source_url="http://x/p.pdf", source_sha256="p" * 64, reason_code="pdf",
                       reason="a PDF")
        quarantine(con, council_gss=GSS, source_url="http://x/p.pdf", source_sha256=None, reason_code="fetch_error",
                   reason="HTTP 500")
        rows = con.execute("select reason_code from staging.quarantine order by reason_code").fetchall()
    assert rows == [("fetch_error",), ("pdf",)]


class _ServedFiles(dict):
    """File name -> body; setting a name (item or update) serves /files/<name> from this dict from then on."""

    def __init__(self, serve):
        super().__init__()
        self._serve = serve

    def __setitem__(self, name: str, body: bytes) -> None:
        super().__setitem__(name, body)
        self._serve(name)

    def update(self, *args, **kwargs) -> None:
        for name, body in dict(*args, **kwargs).items():
            self[name] = body


class CouncilSite:
    """A council landing page listing files whose bodies the test can change between runs, on the shared loopback
    server (tests/hostile.py): files answer with a strong ETag and 304 to a matching If-None-Match."""

    def __init__(self, server: HostileServer | None = None):
        self._owned = server is None  # a site started on its own server stops it in close()
        self.server = server or HostileServer().__enter__()
        self.base = self.server.base
        self.files: dict[str, bytes] = _ServedFiles(self._serve)
        self.server.route("/spending", self._landing)

    def _serve(self, name: str) -> None:
        self.server.route(f"/files/{name}", lambda req, n: Reply.file(req, self.files[name]))

    def _landing(self, req, n) -> None:
        links = "".join(f'<a href="/files/{n}">Spending over £500 {n.rsplit(".", 1)[0]}</a>' for n in self.files)
        Reply.send(req, 200, f"<html><body>{links}</body></html>".encode(), {"Content-Type": "text/html"})

    def close(self) -> None:
        if self._owned:
            self.server.__exit__(None, None, None)


@pytest.fixture()
def council_site():
    with HostileServer() as server:
        yield CouncilSite(server)


def test_ingest_council_end_to_end_with_stand_in_parser(council_site, warehouse):
    council_site.files.update({
        "April-2024.csv": csv_body("01/04/2024,Acme Ltd,600.00", "02/04/2024,Bolt plc,700.00"),
        "May-2024.csv": csv_body("01/05/2024,Acme Ltd,900.00"),
        "June-2024.csv": b"<html><body>Sorry, an error</body></html>",
        "July-2024.csv": b"BOOM",
    })
    council = {"gss": GSS, "name": "Demo Council", "website": council_site.base + "/",
               "landing_urls": council_site.base + "/spending", "discovery": "html"}
    config = SourcesConfig(ckan_url=council_site.base + "/api/action")
    session = PoliteSession(allowed_hosts=config.allowed_hosts([council_site.base]), retries=0, backoff=0, min_interval_s=0)
    lines: list[str] = []
    first = ingest_council(council, session=session, warehouse=warehouse, config=config, parse=stand_in_parse,
                           progress=lines.append)
    assert {k: first[k] for k in ("discovered", "fetched", "not_modified", "parsed", "quarantined", "rows")} == {
        "discovered": 4, "fetched": 4, "not_modified": 0, "parsed": 2, "quarantined": 2, "rows": 3}
    assert first["error"] is None and len(lines) == 1 and "Demo Council" in lines[0]

    # nothing changed: every file answers 304 and nothing is parsed again
    second = ingest_council(council, session=session, warehouse=warehouse, config=config, parse=stand_in_parse,
                            progress=lines.append)
    assert (second["not_modified"], second["fetched"], second["parsed"]) == (4, 0, 0)

    # April republished: parsed once more, the earlier April publication is superseded
    council_site.files["April-2024.csv"] = csv_body("01/04/2024,Acme Ltd,600.00", "02/04/2024,Bolt plc,750.00")
    third = ingest_council(council, session=session, warehouse=warehouse, config=config, parse=stand_in_parse,
                           progress=lines.append)
    assert (third["fetched"], third["parsed"], third["rows"]) == (1, 1, 2)
    with warehouse.connect() as con:
        reasons = sorted(r[0] for r in con.execute("select reason_code from staging.quarantine").fetchall())
        current = con.execute("select period_key, sum(amount) from staging.spend_lines where is_current "
                              "group by period_key order by period_key").fetchall()
        history = con.execute("select count(*) from staging.spend_publications where not is_current").fetchone()[0]
    assert reasons == ["html_page", "parse_error"]
    assert current == [("2024-04", Decimal("1350.00")), ("2024-05", Decimal("900.00"))]
    assert history == 1


def test_ingest_council_never_raises_for_an_unreachable_council(warehouse):
    council = {"gss": GSS, "name": "Gone Council", "website": "http://127.0.0.1:9/",
               "landing_urls": "http://127.0.0.1:9/spending", "discovery": "html"}
    config = SourcesConfig(ckan_url="http://127.0.0.1:9/api/action")
    session = PoliteSession(allowed_hosts=config.allowed_hosts([council["website"]]), retries=0, backoff=0, min_interval_s=0)
    report = ingest_council(council, session=session, warehouse=warehouse, config=config, parse=stand_in_parse,
                            progress=lambda _: None)
    assert report["discovered"] == 0 and report["error"]


# --- from staging to facts: nothing merged, replacement by publication ------------------------------------------

COUNCILS = pl.DataFrame({"gss": [GSS], "name": ["Demo Council"], "type": ["unitary"], "region_gss": ["E12000001"],
                         "county_gss": [None], "start_date": ["1996-04-01"], "end_date": [None]})


@dataclass
class AccountedResult(StandInResult):
    """A parser result that also accounts for every record it read (the parser interface)."""
    rows_in: int | None = None
    dropped_by_reason: dict | None = None
    mapping: dict | None = None
    amount_basis: str | None = None


def month_only(period: str, *lines: tuple[str, str]) -> StandInResult:
    """Lines dated only to a month and without transaction ids, as some councils publish them."""
    year, month = map(int, period.split("-"))
    rows = pl.DataFrame({"supplier_name": [s for s, _ in lines], "amount": [a for _, a in lines]}).select(
        pl.lit(date(year, month, 1)).alias("payment_date"), pl.lit("month").alias("date_precision"),
        "supplier_name", pl.col("amount").cast(pl.Decimal(18, 2)),
        (pl.int_range(pl.len()) + 2).cast(pl.Int32).alias("row_number"), pl.lit("csv").alias("sheet"))
    return StandInResult(kind="spend", rows=rows)


def facts(con) -> list[tuple]:
    return con.execute("""select period_key, supplier_name, amount from core.fact_payment
                          order by period_key, row_number""").fetchall()


def test_identical_lines_are_distinct_payments_within_and_across_months(warehouse):
    from pipelines.marts.build import build_core

    april = month_only("2024-04", ("Acme Ltd", "600.00"), ("Acme Ltd", "600.00"))
    may = month_only("2024-05", ("Acme Ltd", "600.00"))
    with warehouse.connect() as con:
        load_publication(con, GSS, "2024-04", april, meta("a" * 64, datetime(2024, 5, 1)))
        load_publication(con, GSS, "2024-05", may, meta("m" * 64, datetime(2024, 6, 1), "http://x/m.csv"))
        apply_supersession(con, GSS)
        stats = build_core(con, COUNCILS)
        assert facts(con) == [("2024-04", "Acme Ltd", Decimal("600.00"))] * 2 + [("2024-05", "Acme Ltd", Decimal("600.00"))]
    assert stats["fact_payment"] == 3 and stats["publications_held_back"] == 0


def test_a_month_republished_after_the_year_file_replaces_that_month_only(warehouse):
    from pipelines.marts.build import build_core

    april = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00"))
    year = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00", "15/05/2024,Bolt plc,100.00",
                                   "20/06/2024,Crane CIC,50.00"))
    may_again = stand_in_parse(csv_body("15/05/2024,Bolt plc,120.00", "16/05/2024,Dray Ltd,30.00"))
    with warehouse.connect() as con:
        load_publication(con, GSS, "2024-04", april, meta("a" * 64, datetime(2024, 5, 1)))
        load_publication(con, GSS, "2024-25", year, meta("y" * 64, datetime(2025, 5, 1), "http://x/y.csv"))
        load_publication(con, GSS, "2024-05", may_again, meta("m" * 64, datetime(2025, 6, 1), "http://x/m.csv"))
        apply_supersession(con, GSS)
        build_core(con, COUNCILS)
        pubs = dict(con.execute("select publication_id, is_current from staging.spend_publications").fetchall())
        rows = con.execute("""select publication_id, supplier_name, amount from core.fact_payment
                              order by payment_date, supplier_name""").fetchall()
    assert pubs == {"a" * 64: False, "y" * 64: True, "m" * 64: True}
    # April and June from the year file, May only from the later May file: counted once, nothing merged by content
    assert rows == [("y" * 64, "Acme Ltd", Decimal("600.00")), ("m" * 64, "Bolt plc", Decimal("120.00")),
                    ("m" * 64, "Dray Ltd", Decimal("30.00")), ("y" * 64, "Crane CIC", Decimal("50.00"))]


def test_a_held_back_republication_leaves_the_previous_file_in_the_release(warehouse):
    from pipelines.marts.build import build_core

    april = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00"))
    broken = stand_in_parse(csv_body(*[f"0{d}/04/2024,Acme Ltd,600.00" for d in range(1, 7)]))
    broken.rows = broken.rows.with_columns(pl.lit(None, dtype=pl.Decimal(18, 2)).alias("amount"))
    with warehouse.connect() as con:
        load_publication(con, GSS, "2024-04", april, meta("a" * 64, datetime(2024, 5, 1)))
        load_publication(con, GSS, "2024-04", broken, meta("b" * 64, datetime(2024, 7, 1), "http://x/b.csv"))
        apply_supersession(con, GSS)
        stats = build_core(con, COUNCILS)
        pubs = con.execute("""select publication_id, is_current, held_back, superseded_by
                              from staging.spend_publications order by 1""").fetchall()
        holds = con.execute("select publication_id, check_name from meta.publication_holds").fetchall()
        assert facts(con) == [("2024-04", "Acme Ltd", Decimal("600.00"))]
    assert stats["publications_held_back"] == 1
    assert pubs == [("a" * 64, True, False, None), ("b" * 64, False, True, None)]
    assert holds == [("b" * 64, "cast_nulls_under_threshold")]


def test_the_parsers_account_of_each_file_is_kept(warehouse):
    result = AccountedResult(
        kind="spend", rows=stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00", "02/04/2024,Bolt plc,-50.25")).rows,
        rows_in=5, dropped_by_reason={"header": 1, "total": 1, "blank": 1},
        mapping={"amount": {"header": "Net Amount", "basis": "alias", "score": 1.0}}, amount_basis="net")
    with warehouse.connect() as con:
        load_publication(con, GSS, "2024-04", result, meta("a" * 64, datetime(2024, 5, 1)))
        row = con.execute("""select rows_in, rows, dropped_rows, dropped_by_reason, net_total, column_mapping,
                                    amount_basis from staging.spend_publications""").fetchone()
        basis = con.execute("select distinct amount_basis from staging.spend_lines").fetchall()
    assert row[:3] == (5, 2, 3) and json.loads(row[3]) == {"blank": 1, "header": 1, "total": 1}
    assert row[4] == Decimal("549.75") and json.loads(row[5])["amount"]["basis"] == "alias" and row[6] == "net"
    assert basis == [("net",)]


def test_the_same_file_linked_by_two_councils_is_a_publication_of_each(warehouse):
    from pipelines.marts.build import build_core
    from pipelines.marts.checks import publication_failures

    other = "E06999998"
    councils = pl.concat([COUNCILS, COUNCILS.with_columns(pl.lit(other).alias("gss"), pl.lit("Other").alias("name"))])
    shared = stand_in_parse(csv_body("01/04/2024,Acme Ltd,600.00", "02/04/2024,Bolt plc,700.00"))
    with warehouse.connect() as con:
        for gss in (GSS, other):
            load_publication(con, gss, "2024-04", shared, meta("s" * 64, datetime(2024, 5, 1)))
            apply_supersession(con, gss)
        stats = build_core(con, councils)
        per_council = dict(con.execute("select council_gss, count(distinct payment_key) from core.fact_payment "
                                       "group by 1").fetchall())
        failures, errors = publication_failures(con)
    assert stats["publications_held_back"] == 0 and failures == [] and errors == []
    assert per_council == {GSS: 2, other: 2}
