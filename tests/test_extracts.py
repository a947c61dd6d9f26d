"""Researchers' extracts: files, checksums, data package, CSV safety, immutable releases, charts.

Every test builds a small published warehouse by hand (tests/test_extracts_seed.py) under tmp_path and checks
the release against that seed and against the files themselves, read back with three independent readers
(Polars, DuckDB, pyarrow).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import frictionless
import polars as pl
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from bs4 import BeautifulSoup

from pipelines.extracts import cli as extract_cli
from pipelines.extracts.build import (
    NoPublishedWarehouse,
    ReleaseExists,
    build_extracts,
    resolve_latest,
)
from pipelines.warehouse import Warehouse
from tests.test_extracts_seed import COUNCILS, INJECTION_NAMES, seed_published_warehouse, uk_financial_year

SOURCES = [{"title": "Bristol, City of: spending over £500", "path": "https://www.bristol.gov.uk/council-spending"}]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def published(warehouse: Warehouse):
    seed = seed_published_warehouse(warehouse.published_path)
    return warehouse, seed


@pytest.fixture()
def release(published):
    warehouse, seed = published
    path = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="9.9.9-test",
                          sources=SOURCES)
    package = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    return warehouse, seed, path, package


def _resources(package: dict) -> dict[str, dict]:
    return {r["name"]: r for r in package["resources"]}


def _tables(package: dict) -> dict[str, list[dict]]:
    """Resources grouped by extract: a partitioned table is one resource per file."""
    grouped: dict[str, list[dict]] = {}
    for r in package["resources"]:
        grouped.setdefault(r["keepitlocal:table"], []).append(r)
    return grouped


def _files(resources: list[dict]) -> list[dict]:
    return [f for r in resources for f in r["keepitlocal:files"]]


def _paths(resource: dict) -> list[str]:
    assert isinstance(resource["path"], str), "one file per resource: a validator reads each whole"
    return [resource["path"]]


def _table_count(warehouse: Warehouse, table: str) -> int:
    con = duckdb.connect(str(warehouse.published_path), read_only=True)
    try:
        return con.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


def test_every_resource_matches_its_checksums_sizes_and_row_counts(release):
    warehouse, _seed, path, package = release
    resources = _resources(package)
    expected_tables = {"marts.keep_it_local_scorecard", "marts.group_exposure", "marts.sourcing_events",
                       "marts.monthly_spend", "core.fact_payment", "core.fact_award", "core.suppliers",
                       "core.supplier_names", "core.dim_council"}
    assert {r["keepitlocal:source_table"] for r in resources.values()} == expected_tables
    on_disk = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {"datapackage.json", "index.html"}
    listed = [p for r in resources.values() for p in _paths(r)]
    assert sorted(listed) == sorted(on_disk), "every data file is one resource, and nothing else is on disk"
    for name, resource in resources.items():
        [f] = resource["keepitlocal:files"]
        assert f["path"] == resource["path"]
        data = (path / f["path"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert f["bytes"] == len(data)
        assert resource["keepitlocal:rows"] == f["rows"]
        if resource["format"] == "csv":  # the validator counts and hashes CSV bytes; parquet it cannot
            assert (resource["bytes"], resource["hash"]) == (len(data), "sha256:" + f["sha256"])
        else:
            assert "bytes" not in resource and "hash" not in resource
    for table, group in _tables(package).items():
        source = group[0]["keepitlocal:source_table"]
        assert sum(r["keepitlocal:rows"] for r in group) == _table_count(warehouse, source), table


def test_parquet_reads_back_with_polars_duckdb_and_pyarrow(release):
    _warehouse, seed, path, package = release
    for name, group in _tables(package).items():
        if group[0]["format"] != "parquet":
            continue
        files = [str(path / f["path"]) for f in _files(group)]
        rows = sum(r["keepitlocal:rows"] for r in group)
        field_names = [f["name"] for f in group[0]["schema"]["fields"]]
        for hive in (True, False):  # partition values are in the files, so both readings agree
            assert pl.scan_parquet(files, hive_partitioning=hive).select(pl.len()).collect().item() == rows, name
            assert duckdb.sql("select count(*) from read_parquet($f, hive_partitioning = $h)",
                              params={"f": files, "h": hive}).fetchall()[0][0] == rows, name
        assert pq.read_table(files[0]).num_rows == group[0]["keepitlocal:rows"], name
        if group[0].get("keepitlocal:partition_columns"):  # the table's folder, with hive directories below it
            source = str(path.joinpath(*Path(group[0]["path"]).parts[:2]))
            table = pads.dataset(source, format="parquet", partitioning="hive").to_table()
        else:
            table = pads.dataset(files, format="parquet").to_table()
        assert table.num_rows == rows, name
        assert sorted(table.column_names) == sorted(field_names), name
        for f in files:  # every file alone has the whole schema, partition columns included
            assert pq.read_schema(f).names == field_names, f
    assert sum(r["keepitlocal:rows"] for r in _tables(package)["fact_payment"]) == len(seed.payments)


def test_payments_are_partitioned_by_uk_financial_year_and_council(release):
    _warehouse, seed, path, package = release
    group = _tables(package)["fact_payment"]
    assert {tuple(r["keepitlocal:partition_columns"]) for r in group} == {("financial_year", "council_gss")}
    expected = Counter((uk_financial_year(day), gss) for gss, day, *_ in seed.payments)
    written = Counter()
    for resource in group:
        [f] = resource["keepitlocal:files"]
        parts = dict(segment.split("=", 1) for segment in Path(f["path"]).parts if "=" in segment)
        written[(parts["financial_year"], parts["council_gss"])] += f["rows"]
        assert resource["keepitlocal:partition"] == parts
        # a downloaded file on its own says which council and year it holds
        alone = pl.read_parquet(path / f["path"], hive_partitioning=False)
        assert set(alone["financial_year"]) == {parts["financial_year"]}
        assert set(alone["council_gss"]) == {parts["council_gss"]}
    assert written == expected
    frame = pl.read_parquet(str(path / "core/fact_payment/"), hive_partitioning=True)
    boundary = frame.filter(pl.col("transaction_id").is_in(["FYB-1", "FYB-2"])).sort("transaction_id")
    assert boundary["financial_year"].to_list() == ["2022-23", "2023-24"]
    # money stays exact: decimal(18,2) in the file, and the total matches the seed to the penny
    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert frame["amount"].sum() == sum(amount for _g, _d, amount, *_ in seed.payments)


def test_payment_files_are_sorted_by_date(release):
    _warehouse, _seed, path, package = release
    for f in _files(_tables(package)["fact_payment"]):
        dates = pq.read_table(path / f["path"], columns=["payment_date"]).column(0).to_pylist()
        assert dates == sorted(dates), f["path"]


def test_stored_financial_year_column_decides_the_partition(tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    seed_published_warehouse(warehouse.published_path, financial_year_column=True)
    path = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="t", sources=[])
    years = {p.name for p in (path / "core" / "fact_payment").iterdir()}
    assert years and all(y.startswith("financial_year=stored-") for y in years)


def test_awards_are_partitioned_by_award_year(release):
    _warehouse, seed, path, package = release
    expected = Counter(str(r[6].year) if r[6] else "__HIVE_DEFAULT_PARTITION__" for r in seed.awards)
    written = Counter()
    for f in _files(_tables(package)["fact_award"]):
        year = next(s.split("=", 1)[1] for s in Path(f["path"]).parts if s.startswith("award_year="))
        written[year] += f["rows"]
    assert written == expected


def test_datapackage_is_valid_frictionless_with_licence_sources_and_dictionary(release):
    _warehouse, _seed, path, package = release
    report = frictionless.Package.validate_descriptor(str(path / "datapackage.json"))
    assert report.valid, [e.message for e in report.errors]
    # the command researchers run: descriptor, every file's data against its schema, sizes and hashes
    cli = Path(sys.executable).with_name("frictionless")
    result = subprocess.run([str(cli), "validate", "--json", "datapackage.json"], cwd=path, capture_output=True,
                            text=True, timeout=300, check=False)
    outcome = json.loads(result.stdout)
    errors = [(t["name"], e["message"]) for t in outcome["tasks"] for e in t["errors"]][:5]
    assert result.returncode == 0 and outcome["valid"], errors
    assert len(outcome["tasks"]) == len(package["resources"])
    validated_rows = {t["name"]: t["stats"]["rows"] for t in outcome["tasks"]}
    assert validated_rows == {r["name"]: r["keepitlocal:rows"] for r in package["resources"]}
    assert package["version"] == path.name
    assert package["keepitlocal:pipeline_version"] == "9.9.9-test"
    assert "Open Government Licence v3.0" in package["licenses"][0]["title"]
    assert "Contains public sector information licensed under the Open Government Licence v3.0" in package[
        "keepitlocal:attribution"]
    source_paths = [s.get("path", "") for s in package["sources"]]
    assert any("contractsfinder" in p for p in source_paths)
    assert any("find-tender" in p for p in source_paths)
    assert "https://www.bristol.gov.uk/council-spending" in source_paths
    scorecard = _resources(package)["keep_it_local_scorecard"]
    assert scorecard["description"] == "Definition of keep_it_local_scorecard."
    fields = {f["name"]: f for f in scorecard["schema"]["fields"]}
    assert fields["total_spend"]["type"] == "number"
    assert fields["total_spend"]["keepitlocal:duckdb_type"] == "decimal(18,2)"
    assert fields["peer_rank_local_authority"]["type"] == "integer"
    assert fields["council_gss"]["description"] == "About council_gss in keep_it_local_scorecard"
    events = {f["name"]: f["type"] for f in _resources(package)["sourcing_events"]["schema"]["fields"]}
    assert events["start_month"] == "date"
    assert events["confidence"] == "number"


def test_csv_escapes_formula_text_but_not_negative_numbers(release):
    _warehouse, seed, path, _package = release
    with open(path / "marts" / "group_exposure.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(seed.group_exposure)
    names = {r["group_name"] for r in rows}
    for dangerous in INJECTION_NAMES:
        assert "'" + dangerous in names, dangerous
        assert dangerous not in names
    assert "Biffa plc" in names, "ordinary text is untouched"
    minus = [r for r in rows if r["group_name"] == "'-Minus Services Ltd"]
    assert minus and all(r["spend"] == "-1250.50" for r in minus), "numbers keep their sign and no quote"
    assert {r["services"] for r in rows} == {"Waste,Care", "'-Highways", "Waste"}
    assert {r["share"] for r in rows} == {f"{r['share']:.2f}" for r in seed.group_exposure}


def test_same_warehouse_gives_identical_data_files(release):
    warehouse, _seed, first, first_package = release
    second = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="9.9.9-test",
                            sources=SOURCES)
    assert second != first
    second_package = json.loads((second / "datapackage.json").read_text(encoding="utf-8"))
    assert [_files([r]) for r in first_package["resources"]] == [_files([r]) for r in second_package["resources"]]
    for p in first.rglob("*"):
        if p.is_file() and p.name not in ("datapackage.json", "index.html"):
            assert _sha256(p) == _sha256(second / p.relative_to(first)), p


def test_releases_are_immutable_and_latest_moves(release):
    warehouse, _seed, first, _package = release
    assert first.name == dt.date.today().isoformat()
    before = {p: _sha256(p) for p in first.rglob("*") if p.is_file()}
    second = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="x", sources=[])
    third = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="x", sources=[])
    assert (second.name, third.name) == (f"{first.name}-2", f"{first.name}-3")
    with pytest.raises(ReleaseExists):
        build_extracts(warehouse.published_path, warehouse.extracts_dir, first.name, pipeline_version="x", sources=[])
    assert {p: _sha256(p) for p in first.rglob("*") if p.is_file()} == before
    latest = warehouse.extracts_dir / "latest"
    assert latest.is_symlink() and os.readlink(latest) == third.name
    assert (warehouse.extracts_dir / "LATEST").read_text(encoding="utf-8").strip() == third.name
    assert resolve_latest(warehouse.extracts_dir) == third.resolve()
    latest.unlink()  # a platform without symlinks still finds it through LATEST
    assert resolve_latest(warehouse.extracts_dir) == third
    leftovers = [p.name for p in warehouse.extracts_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "no temporary build directory or pointer is left behind"


def test_explicit_release_id_and_bad_ids(published):
    warehouse, _seed = published
    path = build_extracts(warehouse.published_path, warehouse.extracts_dir, "2024-07-02-manual",
                          pipeline_version="x", sources=[])
    assert path.name == "2024-07-02-manual"
    for bad in ("../escape", "latest", ".hidden", "a b"):
        with pytest.raises(ValueError):
            build_extracts(warehouse.published_path, warehouse.extracts_dir, bad, pipeline_version="x", sources=[])


def test_missing_published_warehouse(tmp_path):
    warehouse = Warehouse(tmp_path / "nowhere")
    with pytest.raises(NoPublishedWarehouse):
        build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="x", sources=[])


def _cli(root: Path, release: str | None = None) -> int:
    args = argparse.Namespace(warehouse=str(root), release=release)
    return extract_cli.run(args)


def test_cli_builds_refuses_existing_release_and_missing_warehouse(published, tmp_path, capsys):
    warehouse, _seed = published
    assert _cli(warehouse.root, "r1") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == str(warehouse.extracts_dir / "r1")
    assert out[1].startswith("release r1: 13 resources")
    package = json.loads((warehouse.extracts_dir / "r1" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["keepitlocal:pipeline_version"] == "0.1.0+seed", "the latest run's version"
    titles = [s["title"] for s in package["sources"]]
    assert any(t.startswith("Surrey: spending") for t in titles), "landing pages named from the stage report"
    assert _cli(warehouse.root, "r1") == 2
    assert "already exists" in capsys.readouterr().err
    assert _cli(tmp_path / "empty-root") == 2
    assert "no published warehouse" in capsys.readouterr().err


def _marks(soup: BeautifulSoup, chart_id: str) -> list:
    figure = soup.find(id=chart_id)
    assert figure is not None, chart_id
    return figure.select(".mark")


def test_charts_draw_one_mark_per_datum(release):
    _warehouse, seed, path, _package = release
    soup = BeautifulSoup((path / "index.html").read_text(encoding="utf-8"), "html.parser")
    years = {r["financial_year"] for r in seed.scorecard if r["period_grain"] == "year"}
    assert len(_marks(soup, "chart-national-shares")) == 4 * len(years)
    latest = max(years)
    ranked = [r for r in seed.scorecard if r["period_grain"] == "year" and r["financial_year"] == latest]
    bars = _marks(soup, "chart-local-ranking")
    assert len(bars) == len(ranked)
    best = max(ranked, key=lambda r: r["local_authority_share"])
    assert best["council_name"] in bars[0]["title"], "ranked highest first"
    latest_groups = {r["group_key"] for r in seed.group_exposure if r["financial_year"] == "2023-24"}
    group_bars = _marks(soup, "chart-group-exposure")
    assert len(group_bars) == min(12, len(latest_groups))
    strategic = {r["group_name"] for r in seed.group_exposure if r["is_strategic"]}
    flagged = [b for b in group_bars if b["data-series"] == "strategic"]
    assert {b["title"].split(" (strategic")[0] for b in flagged} == strategic
    events = _marks(soup, "chart-sourcing-events")
    assert Counter(m["data-series"] for m in events) == Counter(e["event_type"] for e in seed.sourcing_events)
    for figure in soup.select("figure.chart"):
        assert figure.figcaption.get_text(strip=True), figure["id"]
        assert soup.find(id=figure["aria-describedby"]).get_text(strip=True), figure["id"]
        for mark in figure.select(".mark"):  # every mark names what it shows, in full
            assert (mark.title and mark.title.string) or mark.get("title"), figure["id"]


def test_national_share_is_spend_weighted(release):
    _warehouse, seed, path, _package = release
    rows = [r for r in seed.scorecard if r["period_grain"] == "year" and r["financial_year"] == "2023-24"]
    weighted = sum(r["local_authority_share"] * r["total_spend"] for r in rows) / sum(r["total_spend"] for r in rows)
    simple_mean = sum(r["local_authority_share"] for r in rows) / len(rows)
    assert abs(weighted - simple_mean) > Decimal("0.5"), "the seed must tell a weighted from a plain mean"
    soup = BeautifulSoup((path / "index.html").read_text(encoding="utf-8"), "html.parser")
    point = next(m for m in _marks(soup, "chart-national-shares")
                 if m["data-series"] == "local_share" and "2023-24" in m.title.string)
    shown = Decimal(point.title.string.rsplit(": ", 1)[1].rstrip("%"))
    assert abs(shown - weighted) <= Decimal("0.05")


def test_page_lists_every_download_with_size_rows_and_hash(release):
    _warehouse, _seed, path, package = release
    soup = BeautifulSoup((path / "index.html").read_text(encoding="utf-8"), "html.parser")
    links = {a["href"] for a in soup.find_all("a", href=True)}
    text = soup.get_text(" ")
    for resource in package["resources"]:
        for f in resource["keepitlocal:files"]:
            assert f["path"] in links or f["path"].replace("=", "%3D") in links
            assert f["sha256"] in text
    assert "datapackage.json" in links
    for column in ("local_authority_share", "peer_rank_local_authority", "evidence_rows"):
        assert soup.find("code", string=column) is not None, column


def test_empty_marts_give_no_data_notes_not_a_crash(tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    seed_published_warehouse(warehouse.published_path, empty_marts=True)
    path = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="t", sources=[])
    soup = BeautifulSoup((path / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert len(soup.select("figure.chart.no-data")) == 4
    assert soup.select(".mark") == []
    package = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    scorecard_csv = _resources(package)["keep_it_local_scorecard-csv"]
    assert scorecard_csv["keepitlocal:rows"] == 0
    header = (path / scorecard_csv["path"]).read_text(encoding="utf-8").splitlines()
    assert header[0].startswith("council_gss,council_name,council_type")
    assert frictionless.Package.validate_descriptor(str(path / "datapackage.json")).valid


def test_empty_fact_still_gets_a_readable_file(tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    seed_published_warehouse(warehouse.published_path)
    con = duckdb.connect(str(warehouse.published_path))
    con.execute("delete from core.fact_award")
    con.close()
    path = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="t", sources=[])
    package = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    awards = _resources(package)["fact_award"]
    assert awards["keepitlocal:rows"] == 0
    assert pl.read_parquet(path / _paths(awards)[0]).columns[:3] == ["source", "ocid", "award_id"]



def _fake_release(extracts_dir: Path, name: str, created: str) -> None:
    (extracts_dir / name).mkdir(parents=True)
    (extracts_dir / name / "datapackage.json").write_text(json.dumps({"created": created}), encoding="utf-8")
    (extracts_dir / name / "data.parquet").write_bytes(b"x")


def test_retention_keeps_the_last_n_every_month_end_and_latest(tmp_path):
    from pipelines.extracts.build import RetentionPolicy, prune_releases, update_latest

    extracts = tmp_path / "extracts"
    days = ["2024-01-10", "2024-01-31", "2024-02-05", "2024-02-20", "2024-02-20-2", "2024-03-01", "2024-03-02",
            "2024-03-03", "2024-03-04"]
    for name in days:
        _fake_release(extracts, name, f"{name[:10]}T02:30:00Z")
    _fake_release(extracts, "manual-backup", "2023-12-15T09:00:00Z")  # an explicit id: its time decides
    (extracts / ".building-x-123").mkdir()  # a build in progress is not a release
    update_latest(extracts, "2024-03-04")
    deleted = prune_releases(extracts, RetentionPolicy(keep_last=2))
    assert deleted == ["2024-01-10", "2024-02-05", "2024-02-20", "2024-03-01", "2024-03-02"]
    kept = sorted(p.name for p in extracts.iterdir() if not p.name.startswith("."))
    assert kept == ["2024-01-31", "2024-02-20-2", "2024-03-03", "2024-03-04", "LATEST", "latest", "manual-backup"]
    assert resolve_latest(extracts) == (extracts / "2024-03-04").resolve()
    assert (extracts / ".building-x-123").is_dir(), "an unfinished build is left to its builder"
    assert not any(p.name.startswith(".deleting-") for p in extracts.iterdir())
    # latest is kept even when it is not among the newest (pointed back at an older release by hand)
    update_latest(extracts, "2024-01-31")
    assert prune_releases(extracts, RetentionPolicy(keep_last=1, keep_month_ends=False)) == [
        "manual-backup", "2024-02-20-2", "2024-03-03"]
    assert sorted(p.name for p in extracts.iterdir() if not p.name.startswith(".")) == [
        "2024-01-31", "2024-03-04", "LATEST", "latest"]
    assert prune_releases(extracts, RetentionPolicy(keep_last=None)) == []
    with pytest.raises(ValueError):
        RetentionPolicy(keep_last=0)


def test_a_build_prunes_by_its_policy(published):
    from pipelines.extracts.build import RetentionPolicy, build_release

    warehouse, _seed = published
    kept = dict(pipeline_version="x", sources=[], retention=RetentionPolicy(keep_last=1, keep_month_ends=False))
    first = build_release(warehouse.published_path, warehouse.extracts_dir, "r1", **kept)
    second = build_release(warehouse.published_path, warehouse.extracts_dir, "r2", **kept)
    assert first.pruned == [] and second.pruned == ["r1"]
    assert "1 older release(s) deleted" in second.summary
    assert not (warehouse.extracts_dir / "r1").exists() and resolve_latest(warehouse.extracts_dir).name == "r2"


def _visible_chart_text(figure) -> str:
    return " ".join(t for t in figure.find_all(string=True) if t.parent.name not in ("title", "style"))


def test_charts_read_as_people_expect(release):
    """Titled axes, round ticks, human labels, full names, and a legend that only lists what is drawn."""
    _warehouse, seed, path, _package = release
    soup = BeautifulSoup((path / "index.html").read_text(encoding="utf-8"), "html.parser")
    for figure in soup.select("figure.chart:not(.no-data)"):
        chart = figure["id"]
        assert figure.select(".axis-title"), f"{chart}: no axis title"
        series = {m["data-series"] for m in figure.select(".mark")}
        legend = [li["data-series"] for li in figure.select(".legend li")]
        assert legend and set(legend) <= series, f"{chart}: legend entries {set(legend) - series} match nothing"
        text = _visible_chart_text(figure)
        assert "_" not in text, f"{chart} shows a raw key: {[w for w in text.split() if '_' in w]}"
        assert "…" not in text, f"{chart} cuts a name"
    ticks = [s.get_text() for s in soup.select("#chart-local-ranking .bar-axis span")]
    ticks += [s.get_text() for s in soup.select("#chart-national-shares .y-ticks span")]
    for tick in ticks:  # 0, 10, 20 ... never 12.5
        value = float(tick.rstrip("%"))
        assert value == int(value) and int(value) % 5 == 0, ticks
    ranking = soup.find(id="chart-local-ranking")
    for _gss, name, council_type in COUNCILS:
        if any(r["council_name"] == name for r in seed.scorecard):
            assert name in ranking.get_text(), f"{name} is not shown in full"
    assert "london_borough" not in ranking.get_text() and "London borough" in ranking.get_text()


def test_every_published_table_has_a_dictionary_entry(release):
    _warehouse, _seed, path, package = release
    soup = BeautifulSoup((path / "index.html").read_text(encoding="utf-8"), "html.parser")
    dictionary = soup.find(id="dictionary").find_parent("section")
    headings = {h.get_text() for h in dictionary.find_all("h3")}
    assert headings == {r["keepitlocal:source_table"] for r in package["resources"]}
    payments = dictionary.find(id="dict-core-fact_payment").find_next("table")
    assert {c.get_text() for c in payments.select("td:first-child code")} >= {"council_gss", "amount", "financial_year"}
