"""The notice assets run through Dagster with the recorded-pages resource in place of the live service."""

from __future__ import annotations

import json

import dagster as dg

from assets.notices.assets import awards, contracts_finder_releases
from pipelines.config import SourcesConfig
from pipelines.resources import RecordedNoticesResource, SourcesResource, WarehouseResource


def test_recorded_contracts_finder_pages_flatten_into_staging_awards(corpus, tmp_path):
    pages = corpus / "contracts_finder"
    expected = set()
    for path in sorted(pages.glob("*.json")):  # counted independently with the json module
        for release in json.loads(path.read_text(encoding="utf-8"))["releases"]:
            if any("award" in tag for tag in release.get("tag", [])):
                expected |= {(release["ocid"], award["id"]) for award in release.get("awards", [])}
    config_path = tmp_path / "sources.json"
    SourcesConfig(as_of="2022-10-23", contracts_finder_start="2022-10-01").dump(config_path)
    warehouse = WarehouseResource(root=str(tmp_path / "wh"))
    result = dg.materialize(
        [contracts_finder_releases, awards],
        resources={"warehouse": warehouse, "sources": SourcesResource(config_path=str(config_path)),
                   "contracts_finder": RecordedNoticesResource(pages_dir=str(pages), source="contracts_finder"),
                   "find_a_tender": RecordedNoticesResource(pages_dir=str(tmp_path / "none"), source="find_a_tender")},
        selection=[contracts_finder_releases, awards],
    )
    assert result.success
    with warehouse.get().connect() as con:
        staged = set(con.execute("select ocid, award_id from staging.awards").fetchall())
        watermark = con.execute("select last_window_end from raw.notice_watermarks").fetchone()[0]
    assert staged == expected and len(expected) > 50
    assert watermark.date().isoformat() == "2022-10-23"
