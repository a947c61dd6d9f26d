"""End to end over a real monthly series: twelve months of three real councils (../shared/corpus/spend_series)
served on loopback with a landing page per council, the real nightly Dagster job, the warehouse published.

The expected rows and net total of every file are counted here WITHOUT the parser: the csv module over the
decoded bytes (utf-8, else cp1252), the header on line 1, every later record with a non-blank cell, and the net
column of each council (tests/spend_series.py, read from the files) summed with Decimal. Every file must reach
`core.fact_payment` exactly: as many lines, the same net total to the penny, nothing held back. A second night
with nothing changed fetches every file as 304, rebuilds no council's facts, and leaves every core and mart table
as it was; a full rebuild from the same staging gives the same tables again (determinism).

The other sources (notices, registers) are the sample world's, served by its own loopback server.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.demo import demo_limits
from pipelines.marts.build import build_core, build_marts, content_hashes
from pipelines.nightly import run_nightly
from pipelines.registry import REGISTRY_COLUMNS, load_registry
from pipelines.sample import sources_config
from pipelines.sample.server import SampleServer
from pipelines.warehouse import Warehouse
from tests.hostile import HostileServer, Reply
from tests.spend_series import NET_COLUMN, independent_count

COUNCILS = {  # folder -> GSS, as the corpus README lists them
    "darlington": "E06000005", "harrogate": "E07000165", "salford": "E08000006"}
HARROGATE = {  # abolished on 2023-03-31: written here if the committed registry does not carry it
    "gss": "E07000165", "name": "Harrogate Borough Council", "type": "district", "region_gss": "E12000003",
    "county_gss": "E10000023", "start_date": "1974-04-01", "end_date": "2023-03-31", "discovery": "html",
    "threshold": "500", "amount_basis": "unknown", "cadence": "monthly"}
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]
# tables rewritten with a timestamp on every suppliers run by design (the coverage history)
RUN_STAMPED = {"core.supplier_coverage"}


def short_notice_window(world: Path, base_url: str) -> dict:
    """The series needs no notices: a week of them keeps the night on the council files."""
    as_of = date.fromisoformat(sources_config(world, base_url).as_of)
    start = (as_of - timedelta(days=7)).isoformat()
    return {"contracts_finder_start": start, "find_a_tender_start": start}


def serve_series(server: HostileServer, series: Path) -> dict[str, str]:
    """A landing page per council linking its month files; returns {file url: corpus path}."""
    urls: dict[str, str] = {}
    for folder in COUNCILS:
        links = []
        for path in sorted((series / folder).glob("*.csv")):
            year, month = path.stem.split("-")
            body = path.read_bytes()
            url = server.route(f"/{folder}/files/spend-{path.stem}.csv",
                               lambda req, n, body=body: Reply.file(req, body))
            urls[url] = str(path)
            links.append(f'<li><a href="{url}">Spending over £500 {MONTH_NAMES[int(month) - 1]} {year} (CSV)</a></li>')
        page = f"<html><body><h1>Spending over £500</h1><ul>{''.join(links)}</ul></body></html>".encode()
        server.route(f"/{folder}/spending", lambda req, n, page=page: Reply.file(req, page, "text/html"))
    return urls


def series_registry(server: HostileServer, path: Path) -> Path:
    """The three councils' registry rows (the committed ones, with their parser hints), pointed at the server."""
    rows = load_registry().filter(pl.col("gss").is_in(list(COUNCILS.values()))).to_dicts()
    if HARROGATE["gss"] not in {row["gss"] for row in rows}:
        rows.append({c: HARROGATE.get(c) for c in REGISTRY_COLUMNS})
    slug = {gss: folder for folder, gss in COUNCILS.items()}
    for row in rows:
        row.update(website=server.base + "/", landing_urls=f"{server.base}/{slug[row['gss']]}/spending",
                   discovery="html", ckan_package=None, link_include=None, link_exclude=None)
    pl.DataFrame(rows, schema={c: pl.String for c in REGISTRY_COLUMNS}).write_csv(path)
    return path


@pytest.fixture(scope="module")
def series_run(tmp_path_factory, corpus, world):
    root = tmp_path_factory.mktemp("series")
    instance = dg.DagsterInstance.ephemeral()
    limits = demo_limits()  # the sample services' rate limits scaled down, as the demo runs them
    with SampleServer(world, limits) as sample, HostileServer() as series_server:
        file_urls = serve_series(series_server, corpus / "spend_series")
        registry = series_registry(series_server, root / "registry.csv")
        sources = root / "sources.json"
        sources_config(world, sample.base_url, limits=limits, registry_csv=str(registry),
                       **short_notice_window(world, sample.base_url)).dump(sources)
        first = run_nightly(root / "warehouse", sources, instance=instance)
        warehouse = Warehouse(root / "warehouse")
        with duckdb.connect(str(warehouse.published_path), read_only=True) as con:
            first_hashes = content_hashes(con, exclude=RUN_STAMPED)
        hits_before = dict(series_server.hits)
        second = run_nightly(root / "warehouse", sources, instance=instance)
        file_hits = {u: series_server.hits.get(u.split(series_server.base, 1)[1], 0)
                     - hits_before.get(u.split(series_server.base, 1)[1], 0) for u in file_urls}
        yield {"first": first, "second": second, "warehouse": warehouse, "files": file_urls,
               "first_hashes": first_hashes, "second_file_hits": file_hits,
               "log": list(series_server.log), "instance": instance, "sources": sources}


def _published(run) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(run["warehouse"].published_path), read_only=True)


def test_the_series_publishes(series_run):
    assert series_run["first"].success
    with _published(series_run) as con:
        run = con.execute("select started_at, finished_at, status from meta.runs where run_id = $r",
                          {"r": series_run["first"].run_id}).fetchone()
    assert run is not None and run[0] is not None and run[0] <= run[1] and run[2] == "published"


def test_every_file_reaches_the_facts_exactly(series_run):
    with _published(series_run) as con:
        facts = {url: (n, total) for url, n, total in con.execute(
            "select source_url, count(*), sum(amount) from core.fact_payment group by 1").fetchall()}
        held = con.execute("select council_gss, period_key, reason from meta.publication_holds").fetchall()
        quarantined = con.execute("select source_url, reason_code, reason from staging.quarantine").fetchall()
    assert held == [] and quarantined == []
    mismatches = []
    for url, path in sorted(series_run["files"].items()):
        folder = Path(path).parent.name
        expected = independent_count(Path(path).read_bytes(), NET_COLUMN[folder])[:2]
        if facts.get(url) != expected:
            mismatches.append((Path(path).relative_to(Path(path).parents[1]).as_posix(), expected, facts.get(url)))
    assert mismatches == [], mismatches
    assert len(facts) == 36


def test_every_publication_accounts_for_every_record(series_run):
    with _published(series_run) as con:
        rows = con.execute("""select source_url, rows_in, rows, dropped_rows, amount_basis
                              from staging.spend_publications where superseded_by is null""").fetchall()
    assert len(rows) == 36
    for url, rows_in, parsed, dropped, basis in rows:
        assert rows_in is not None and rows_in == parsed + dropped, url
        assert basis == "net", url


def test_a_night_with_no_change_fetches_304s_rebuilds_no_council_and_changes_nothing(series_run):
    second = series_run["second"]
    assert second.success
    assert set(series_run["second_file_hits"].values()) == {1}  # every file asked once more, conditionally
    core = [e for e in second.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["core", "star_schema"])]
    metadata = core[0].materialization.metadata
    assert metadata["councils_rebuilt"].value == 0 and metadata["councils_unchanged"].value == 3
    assert metadata["dimensions"].value == "unchanged"
    with _published(series_run) as con:
        stage = con.execute("""select sum(fetched), sum(not_modified), sum(parsed) from meta.stage_report
                               where run_id = $r""", {"r": second.run_id}).fetchone()
        assert content_hashes(con, exclude=RUN_STAMPED) == series_run["first_hashes"]
    assert stage == (0, 36, 0)


def test_a_full_rebuild_gives_the_same_tables(series_run, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(series_run["warehouse"].published_path.read_bytes())
    with duckdb.connect(str(copy)) as con:
        councils = con.sql("select * from reference.councils").pl()
        build_core(con, councils, full=True)
        build_marts(con)
        assert content_hashes(con, exclude=RUN_STAMPED) == series_run["first_hashes"]


def _status(run, *path: str) -> dict[str, str]:
    """{asset key: metadata 'status'} of a run's materialisations under `path` (a prefix of the key)."""
    return {"/".join(e.asset_key.path): e.materialization.metadata["status"].value
            for e in run.get_asset_materialization_events()
            if tuple(e.asset_key.path[:len(path)]) == path and "status" in e.materialization.metadata}


def test_a_night_with_no_change_skips_suppliers_marts_checks_and_extracts(series_run):
    """The second night rebuilds nothing derived (pipelines/stage_state.py): suppliers, every mart, the passed
    blocking checks and the extract release are left as the first night built them, and say so."""
    from pipelines.stage_state import run_statuses

    first, second = series_run["first"], series_run["second"]
    assert _status(first, "core", "suppliers") == {"core/suppliers": "built"}
    assert _status(second, "core", "suppliers") == {"core/suppliers": "unchanged"}
    assert set(_status(first, "marts").values()) == {"built"} and len(_status(first, "marts")) == 7
    # every mart is left as it was; transparency compliance reads the date (days overdue count to it), so it may
    # be rebuilt only when the nights fell on different days (the 304s the second night logged are not its input)
    with _published(series_run) as con:
        span = con.execute("select min(started_at), max(finished_at) from meta.runs where run_id in ($a, $b)",
                           {"a": first.run_id, "b": second.run_id}).fetchone()
    days = {t.replace(tzinfo=timezone.utc).astimezone().date() for t in span}  # as_of is the local date
    dated = {"marts/transparency_compliance"} if len(days) > 1 else set()
    second_marts = _status(second, "marts")
    assert len(second_marts) == 7
    assert {key for key, status in second_marts.items() if status == "built"} <= dated
    assert _status(first, "research_extracts") == {"research_extracts": "built"}
    assert _status(second, "research_extracts") == {"research_extracts": "unchanged"}
    gates = [e.materialization.metadata["gate"].value for run in (first, second)
             for e in run.get_asset_materialization_events() if e.asset_key.path == ["published_warehouse"]]
    assert gates == ["checked", "unchanged since passed"]  # the second publish did not re-run passed checks
    releases = {e.materialization.metadata["release"].value for run in (first, second)
                for e in run.get_asset_materialization_events() if e.asset_key.path == ["research_extracts"]}
    assert len(releases) == 1  # the second night kept the first night's release
    with _published(series_run) as con:
        statuses = run_statuses(con, second.run_id)
    # the warnings compare with the previous publish, which the first night did not have: checked again tonight
    assert {stage for stage, status in statuses.items() if status == "built"} <= {
        "warning_checks", *(f"mart:{key.split('/')[-1]}" for key in dated)}
    assert {"suppliers", "core_dimensions", "blocking_checks", "mart:sourcing_events"} <= set(statuses)


def test_a_forced_full_rebuild_rebuilds_everything_to_the_same_tables(series_run):
    """`keepitlocal run --full-rebuild` (the run tag): every derived stage runs whatever its inputs, and the
    published tables are the same. Runs last: it adds a night to the module's warehouse."""
    from pipelines.stage_state import FULL_REBUILD_TAG

    forced = run_nightly(series_run["warehouse"].root, series_run["sources"], instance=series_run["instance"],
                         tags={FULL_REBUILD_TAG: "true"})
    assert forced.success
    assert _status(forced, "core", "suppliers") == {"core/suppliers": "built"}
    assert set(_status(forced, "marts").values()) == {"built"}
    assert _status(forced, "research_extracts") == {"research_extracts": "built"}
    core = [e for e in forced.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["core", "star_schema"])]
    assert core[0].materialization.metadata["councils_rebuilt"].value == 3
    assert core[0].materialization.metadata["dimensions"].value == "built"
    with _published(series_run) as con:
        assert content_hashes(con, exclude=RUN_STAMPED) == series_run["first_hashes"]
