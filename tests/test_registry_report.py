"""`keepitlocal registry report`: coverage per type and region, stale rows, deep-discovery candidates."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import polars as pl

from pipelines.cli import main
from pipelines.registry import ALL_COLUMNS, load_registry
from pipelines.registry.candidates import best_candidates, record_candidates
from pipelines.registry.report import metadata_summary, registry_report, stale_rows
from pipelines.warehouse import apply_ddl


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{c: r.get(c) for c in ALL_COLUMNS} for r in rows], schema={c: pl.String for c in ALL_COLUMNS})


TINY = _frame([
    {"gss": "E06000001", "name": "A", "type": "unitary", "region_gss": "E12000001", "landing_status": "verified",
     "last_period": "2026-09", "ckan_package": "a-spend"},
    {"gss": "E06000002", "name": "B", "type": "unitary", "region_gss": "E12000001", "landing_status": "fallback",
     "last_period": "2025-12"},
    {"gss": "E07000004", "name": "C", "type": "district", "region_gss": "E12000008", "landing_status": "none",
     "end_date": "2020-03-31", "successor_gss": "E06000060"},
    {"gss": "E23000001", "name": "D", "type": "police", "region_gss": "E12000007", "landing_status": "transparency"},
])


def test_report_counts_by_type_region_and_targets():
    report = registry_report(TINY, date(2026, 12, 6))
    assert report["current"] == 3 and report["abolished_since_2010"] == 1 and report["abolished_with_successor"] == 1
    unitary = next(r for r in report["by_type"] if r["type"] == "unitary")
    assert unitary["verified"] == 1 and unitary["fallback"] == 1 and unitary["ckan_package"] == 1
    assert report["targets"]["principal_verified"] == {"with_page": 1, "bodies": 2, "pct": 50.0}
    assert report["targets"]["fire_police_combined_any_page"]["with_page"] == 1
    north_east = next(r for r in report["by_region"] if r["region_gss"] == "E12000001")
    assert north_east["region"] == "North East" and north_east["bodies"] == 2
    # the current bodies without an evidenced page are listed by name (the abolished C is not current)
    assert [(r["gss"], r["landing_status"]) for r in report["without_page"]] == [("E06000002", "fallback")]
    assert report["targets_met"]["principal_verified"] == {"target": 300, "met": False}
    assert report["targets_met"]["fire_police_combined_verified"]["met"] is False  # D has a transparency page only


def test_stale_is_relative_to_as_of():
    assert [r["gss"] for r in stale_rows(TINY, date(2026, 12, 6))] == ["E06000002"]  # Dec 2025 > 6 months back
    assert stale_rows(TINY, date(2026, 6, 1)) == []
    assert [r["gss"] for r in stale_rows(TINY, date(2027, 6, 1))] == ["E06000002", "E06000001"]


def test_committed_registry_report_and_asset_metadata():
    report = registry_report(load_registry(), date(2026, 12, 6))
    assert report["targets"]["principal_verified"]["bodies"] == 317
    assert report["abolished_since_2010"] == report["abolished_with_successor"] == 52
    counts = {s: sum(r[s] for r in report["by_type"]) for s in ("cited", "fallback", "none")}
    listed = [r["landing_status"] for r in report["without_page"]]
    assert {s: listed.count(s) for s in counts} == counts  # every body short of a page is listed, none twice
    meta = metadata_summary(report)
    assert meta["registry/principal_councils"] == 317
    assert json.dumps(meta)  # JSON-safe for Dagster


def test_cli_text_and_json(capsys):
    assert main(["registry", "report", "--as-of", "2026-12-06"]) == 0
    text = capsys.readouterr().out
    assert "Principal councils with a verified page" in text and "By type" in text and "Stale" in text
    assert "Current bodies without an evidenced page" in text and "Targets:" in text
    assert main(["registry", "report", "--json", "--as-of", "2026-12-06"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-12-06" and data["by_type"]
    assert main(["registry"]) == 2


def test_candidates_round_trip_and_appear_in_the_report(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        apply_ddl(con)
        record_candidates(con, "E06000002", [
            {"council_gss": "E06000002", "page_url": "https://b.gov.uk/spend", "depth": 3, "trail": "x|y",
             "files": 2, "sample_link": "https://b.gov.uk/f.csv", "score": 4.5},
            {"council_gss": "E06000002", "page_url": "https://b.gov.uk/other", "depth": 2, "trail": "x",
             "files": 1, "sample_link": "https://b.gov.uk/g.csv", "score": 1.0}])
        record_candidates(con, "E06000003", [])
        best = best_candidates(con)
        assert [c["page_url"] for c in best] == ["https://b.gov.uk/spend"]
        record_candidates(con, "E06000002", [])  # a later discovery that finds nothing clears them
        assert best_candidates(con) == []
        record_candidates(con, "E06000002", [
            {"council_gss": "E06000002", "page_url": "https://b.gov.uk/spend", "depth": 3, "trail": "x|y",
             "files": 2, "sample_link": "https://b.gov.uk/f.csv", "score": 4.5}])
    assert main(["registry", "report", "--as-of", "2026-12-06", "--warehouse", str(path)]) == 0
    assert "https://b.gov.uk/spend (2 files, 3 clicks)" in capsys.readouterr().out
    with duckdb.connect() as con:  # a warehouse without the table: no candidates, no error
        assert best_candidates(con) == []
