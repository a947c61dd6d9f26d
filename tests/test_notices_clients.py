"""The notice clients against the sample world's Contracts Finder and Find a Tender, which rate-limit like the
real services: every release arrives exactly once, no window is wider than the service allows, 403 / 429 are
waited out, and a full page without `links.next` makes the client split its window instead of stopping."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from pipelines.http import PoliteSession
from pipelines.notices.clients import ContractsFinderClient, FindATenderClient, RateLimited
from pipelines.notices.ingest import ingest_notices, nightly_window
from pipelines.sample import generate, sources_config
from pipelines.sample.server import SampleServer, ServerLimits
from pipelines.warehouse import Warehouse


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("notices")
    truth = generate(root / "world")
    return root, truth


def _release_ids(pages) -> list[str]:
    return [r["id"] for page in pages for r in page.releases]


def _window_widths(log, from_param, to_param) -> list[timedelta]:
    widths = []
    for entry in log:
        query = parse_qs(entry["query"])
        if from_param in query:
            widths.append(datetime.fromisoformat(query[to_param][0]) - datetime.fromisoformat(query[from_param][0]))
    return widths


def test_contracts_finder_backfill_waits_out_403_and_gets_every_release_once(world):
    root, truth = world
    limits = ServerLimits(cf_max_requests=5, cf_window_s=1.0, cf_block_s=0.3)
    with SampleServer(root / "world", limits) as server:
        config = sources_config(root / "world", server.base_url, limits=limits)
        session = PoliteSession(config.allowed_hosts(), retries=0, status_forcelist=(), min_interval_s=0)
        client = ContractsFinderClient(config.contracts_finder_url, session, wait_s=0.35)
        start = datetime.fromisoformat(config.contracts_finder_start)
        pages = list(client.iter_pages(start, datetime.fromisoformat(config.as_of)))
        log = server.request_log.snapshot()
    ids = _release_ids(pages)
    assert len(ids) == len(set(ids)) == truth["notices"]["contracts_finder_releases"]
    assert client.waits > 0 and any(e["status"] == 403 for e in log)  # the limiter was hit and waited out
    assert max(_window_widths(log, "publishedFrom", "publishedTo")) <= timedelta(days=15)


def test_contracts_finder_gives_up_with_rate_limited_after_bounded_waits(world):
    root, _ = world
    limits = ServerLimits(cf_max_requests=1, cf_window_s=10.0, cf_block_s=10.0)
    with SampleServer(root / "world", limits) as server:
        session = PoliteSession(None, retries=0, status_forcelist=(), min_interval_s=0)
        client = ContractsFinderClient(server.base_url, session, wait_s=0.01, max_waits=2)
        with pytest.raises(RateLimited):
            list(client.iter_pages(datetime(2024, 1, 1), datetime(2024, 3, 1)))
        assert client.waits == 2  # waited between the three refusals, not after the last


def test_find_a_tender_paces_handles_429_and_keeps_windows_within_six_hours(world):
    root, truth = world
    limits = ServerLimits(fts_min_interval_s=0.01)
    busy = datetime.fromisoformat(truth["notices"]["fts_busy_day"][:10])
    with SampleServer(root / "world", limits) as server:
        session = PoliteSession(None, retries=0, status_forcelist=(), min_interval_s=0)  # no pacing: provoke the limiter
        client = FindATenderClient(server.base_url, session, wait_s=0.02)
        pages = list(client.iter_pages(busy, busy + timedelta(days=1)))
        log = server.request_log.snapshot()
    assert all(width <= timedelta(hours=6) for width in _window_widths(log, "updatedFrom", "updatedTo"))
    assert any(e["status"] == 429 for e in log) and client.waits > 0  # too fast, refused, waited out
    ids = _release_ids(pages)
    assert ids and len(ids) == len(set(ids))


def test_full_page_without_next_splits_the_window(world):
    root, truth = world
    busy = datetime.fromisoformat(truth["notices"]["fts_busy_day"][:10])

    class WideFindATender(FindATenderClient):
        max_window = timedelta(days=1)  # wider than the service serves: it drops links.next

    with SampleServer(root / "world", ServerLimits(fts_min_interval_s=0.0)) as server:
        session = PoliteSession(None, retries=0, status_forcelist=(), min_interval_s=0)
        narrow = list(FindATenderClient(server.base_url, session, wait_s=0.01, page_limit=2)
                      .iter_pages(busy, busy + timedelta(days=1)))
        wide_client = WideFindATender(server.base_url, session, wait_s=0.01, page_limit=2)
        wide = list(wide_client.iter_pages(busy, busy + timedelta(days=1)))
    expected = set(_release_ids(narrow))
    assert len(expected) > 2  # more than one page's worth on that day, so truncation really happens
    assert set(_release_ids(wide)) == expected  # nothing lost despite the missing links.next


def test_backfill_then_trailing_rerun_adds_nothing_twice(world, tmp_path):
    root, truth = world
    limits = ServerLimits(fts_min_interval_s=0.002, cf_max_requests=100)
    with SampleServer(root / "world", limits) as server:
        config = sources_config(root / "world", server.base_url, limits=limits,
                                find_a_tender_start="2025-01-01")
        warehouse = Warehouse(tmp_path / "wh")
        session = PoliteSession(config.allowed_hosts(), min_interval_s=0)
        for source, client_class in (("contracts_finder", ContractsFinderClient), ("find_a_tender", FindATenderClient)):
            start, end = nightly_window(source, warehouse, config)
            ingest_notices(source, client_class.from_config(config, session), warehouse, start, end,
                           progress=lambda _: None)
        with warehouse.connect() as con:
            first = con.execute("select count(*) from staging.notice_releases").fetchone()[0]
            awards = con.execute("select count(*) from staging.awards").fetchone()[0]
        start, end = nightly_window("contracts_finder", warehouse, config)
        assert end - start == timedelta(days=config.trailing_days)  # from the watermark, not from the start
        stats = ingest_notices("contracts_finder", ContractsFinderClient.from_config(config, session), warehouse,
                               start, end, progress=lambda _: None)
        with warehouse.connect() as con:
            again = con.execute("select count(*) from staging.notice_releases").fetchone()[0]
            duplicates = con.execute("""select count(*) from (select source, release_id from staging.notice_releases
                                        group by all having count(*) > 1)""").fetchone()[0]
    assert stats["releases"] > 0 and again == first and duplicates == 0
    assert awards > 0


def test_bulk_year_from_the_registry_lands_once_and_dedupes_with_the_api(world, tmp_path):
    from pipelines.notices.bulk import load_bulk_year

    root, truth = world
    year = int(truth["notices"]["first_release_date"][:4])
    with SampleServer(root / "world", ServerLimits(cf_max_requests=100)) as server:
        config = sources_config(root / "world", server.base_url)
        warehouse = Warehouse(tmp_path / "wh")
        session = PoliteSession(config.allowed_hosts(), min_interval_s=0)
        first = load_bulk_year("contracts_finder", year, session=session, warehouse=warehouse, config=config,
                               progress=lambda _: None)
        again = load_bulk_year("contracts_finder", year, session=session, warehouse=warehouse, config=config,
                               progress=lambda _: None)
        # the same year through the API afterwards: every release is already there, none is added twice
        client = ContractsFinderClient(config.contracts_finder_url, session, wait_s=0.5)
        api_ids = set(_release_ids(client.iter_pages(datetime(year, 1, 1), datetime(year + 1, 1, 1))))
        ingest_notices("contracts_finder", ContractsFinderClient(config.contracts_finder_url, session, wait_s=0.5),
                       warehouse, datetime(year, 1, 1), datetime(year + 1, 1, 1), progress=lambda _: None)
        with warehouse.connect() as con:
            staged = {r[0] for r in con.execute("select release_id from staging.notice_releases").fetchall()}
    assert first["not_modified"] is False and first["distinct_releases"] == len(api_ids) > 0
    assert again["not_modified"] is True and again["new_pages_flattened"] == 0
    assert staged == api_ids
