"""End to end: the real nightly job against the sample world served over loopback HTTP (no mocks).

One module-scoped world and server: the first nightly run ingests everything; a second run on the same
server finds every council file unchanged (304) and parses nothing; edition 2 republishes one month, whose
rows are replaced without duplicates while the superseded publication is kept as history.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.demo import demo_limits
from pipelines.nightly import run_nightly
from pipelines.sample import generate, sources_config
from pipelines.sample.server import SampleServer
from pipelines.sample.truth import check_truth
from pipelines.warehouse import Warehouse


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    truth = generate(root / "world")
    instance = dg.DagsterInstance.ephemeral()
    limits = demo_limits()
    with SampleServer(root / "world", limits) as server:
        sources_path = root / "sources.json"
        sources_config(root / "world", server.base_url, limits=limits).dump(sources_path)
        first = run_nightly(root / "warehouse", sources_path, instance=instance)
        first_log = server.request_log.snapshot()
        yield {"root": root, "truth": truth, "server": server, "instance": instance, "sources": sources_path,
               "first": first, "first_log": first_log, "warehouse": Warehouse(root / "warehouse")}


def _published(world) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(world["warehouse"].published_path), read_only=True)


def test_first_run_succeeds_and_publishes(world):
    assert world["first"].success
    assert world["warehouse"].published_path.exists()


def test_every_nightly_asset_materialised(world):
    job = defs().resolve_job_def("nightly")
    expected = set(job.asset_layer.executable_asset_keys)
    materialised = {event.asset_key for event in world["first"].get_asset_materialization_events()}
    assert expected <= materialised, expected - materialised


def test_every_table_asset_reports_through_the_metadata_helper(world):
    """Table name, row count = the table's size, column schema and preview on every table-writing asset."""
    not_tables = {dg.AssetKey("published_warehouse"), dg.AssetKey("research_extracts")}
    con = _published(world)
    try:
        for event in world["first"].get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            if materialization.asset_key in not_tables:
                continue
            metadata = materialization.metadata
            key = materialization.asset_key.to_user_string()
            assert {"dagster/table_name", "dagster/row_count", "dagster/column_schema", "preview"} <= set(metadata) or (
                key.startswith("raw/") and {"dagster/table_name", "dagster/row_count"} <= set(metadata)), key
            table = metadata["dagster/table_name"].value
            if table.split(".")[0] in ("core", "marts"):  # the published copy holds what the run left
                size = con.execute("select count(*) from query_table($t)", {"t": table}).fetchone()[0]
                assert metadata["dagster/row_count"].value == size, (key, table)
    finally:
        con.close()


def test_every_source_was_reached_over_http(world):
    log = world["first_log"]
    paths = [entry["path"] for entry in log]
    for council in world["truth"]["councils"]:
        prefix = "/api/action/" if council["discovery"] == "ckan" else council["landing_path"].split("?")[0]
        assert any(p.startswith(prefix) for p in paths), f"{council['name']} was never requested"
    for prefix in ("/Published/Notices/OCDS/Search", "/api/1.0/ocdsReleasePackages", "/registers/"):
        assert any(p.startswith(prefix) for p in paths), prefix
    assert all("keepitlocal/" in (entry["headers"].get("User-Agent") or "") for entry in log)


def test_every_sample_council_ingested_and_error_page_quarantined(world):
    with _published(world) as con:
        councils = {r[0] for r in con.execute(
            "select distinct council_gss from staging.spend_lines where is_current").fetchall()}
        quarantined = con.execute("select source_url, reason_code from staging.quarantine").fetchall()
    assert councils == {c["gss"] for c in world["truth"]["councils"]}
    error_path = world["truth"]["error_page"]["path"]
    assert any(url.endswith(error_path) and code == "html_page" for url, code in quarantined)


def test_planted_truths_recovered(world):
    with _published(world) as con:
        results = check_truth(con, world["truth"])
    missed = [(name, detail) for name, ok, detail in results if not ok]
    assert results and not missed, missed


def test_second_run_fetches_nothing_new_and_parses_nothing(world):
    server = world["server"]
    server.request_log.clear()
    second = run_nightly(world["root"] / "warehouse", world["sources"], instance=world["instance"])
    assert second.success
    with _published(world) as con:
        rows = con.execute("""select sum(fetched), sum(not_modified), sum(parsed), sum(rows)
                              from meta.stage_report where run_id = $run_id""", {"run_id": second.run_id}).fetchone()
    fetched, not_modified, parsed, new_rows = rows
    assert not_modified > 0 and fetched == 0 and parsed == 0 and new_rows == 0, rows
    council_files = [e for e in server.request_log.snapshot() if e["path"].startswith("/councils/")
                     and e["path"].endswith((".csv", ".xlsx", ".zip"))]
    assert council_files and all(e["status"] == 304 for e in council_files)


def test_republished_month_replaces_its_rows_without_duplicates(world):
    truth = world["truth"]["republication"]
    server = world["server"]
    server.edition = 2
    try:
        third = run_nightly(world["root"] / "warehouse", world["sources"], instance=world["instance"])
    finally:
        server.edition = 1
    assert third.success
    with _published(world) as con:
        current = con.execute(
            """select count(*), sum(amount) from staging.spend_lines
               where council_gss = $gss and period_key = $period and is_current""",
            {"gss": truth["council_gss"], "period": truth["period_key"]}).fetchone()
        publications = con.execute(
            """select count(*), count(*) filter (where is_current) from staging.spend_publications
               where council_gss = $gss and period_key = $period""",
            {"gss": truth["council_gss"], "period": truth["period_key"]}).fetchone()
        duplicates = con.execute(
            """select count(*) from (select row_fingerprint, sheet, row_number, source_sha256
               from core.fact_payment group by all having count(*) > 1)""").fetchone()[0]
    assert current == (truth["edition2"]["rows"], Decimal(truth["edition2"]["net_total"]))
    assert publications == (2, 1)  # the superseded publication is kept as history
    assert duplicates == 0


def test_demo_command_exits_zero_and_prints_summary(tmp_path):
    keepitlocal = Path(sys.executable).with_name("keepitlocal")
    result = subprocess.run([str(keepitlocal), "demo", "--warehouse", str(tmp_path / "demo")],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Planted truths recovered" in result.stdout
    assert "MISSED" not in result.stdout
    assert (tmp_path / "demo" / "keepitlocal.duckdb").exists()


def test_committed_warehouse_readme_is_the_generated_one(world):
    from pipelines.marts.docs import render_warehouse_readme
    from tests.conftest import PROJECT_ROOT

    with _published(world) as con:
        generated = render_warehouse_readme(con)
    assert (PROJECT_ROOT / "warehouse" / "README.md").read_text(encoding="utf-8") == generated


def test_planted_name_variants_resolve_to_their_organisation(world):
    """Every spelling the sample world published for a registered supplier lands on that one organisation."""
    with _published(world) as con:
        names = con.execute("""select upper(trim(n.raw_name)), s.org_id from core.supplier_names as n
                               join core.suppliers as s using (supplier_key) where n.source = 'spend'""").fetchall()
    org_by_name: dict[str, set] = {}
    for raw, org_id in names:
        org_by_name.setdefault(raw, set()).add(org_id)
    checked = 0
    for supplier in world["truth"]["suppliers"]:
        if not supplier.get("org_id") or supplier["org_type"] not in ("company", "cic", "charity"):
            continue
        for variant in supplier["variants"]:
            orgs = org_by_name.get(variant.strip().upper())
            if orgs is not None:
                checked += 1
                assert orgs == {supplier["org_id"]}, (variant, orgs, supplier["org_id"])
    assert checked > 50
