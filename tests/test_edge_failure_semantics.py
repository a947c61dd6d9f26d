"""Never lose, never hang: a body fetched but not loaded is loaded by the next night even on a 304; transient
quarantines are retried, lasting ones are not; one run per warehouse; pool slots of dead runs are freed;
parser version bumps re-parse from the raw store without downloading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal

import dagster as dg
import pytest

from pipelines.config import SourcesConfig
from pipelines.http import PoliteSession
from pipelines.runlock import (
    PROCESS_TAG, WarehouseBusy, free_dead_pool_slots, process_identity, warehouse_run_lock,
)
from pipelines.spend import ingest as ingest_module
from pipelines.spend.discover import DiscoveredLink
from pipelines.spend.fetch import fetch_file
from pipelines.spend.ingest import hint_problems, ingest_council
from tests.hostile import HostileServer, Reply
from tests.test_spend_load import GSS, CouncilSite, csv_body, stand_in_parse


@pytest.fixture()
def council_site():
    with HostileServer() as server:
        yield CouncilSite(server)


def _serve(site: CouncilSite) -> None:
    """Route the site's files now (the landing page routes them when it is read)."""
    for name in site.files:
        site.server.route(f"/files/{name}", lambda r, k, name=name: Reply.file(r, site.files[name]))


def _setup(council_site):
    council = {"gss": GSS, "name": "Demo Council", "website": council_site.base + "/",
               "landing_urls": council_site.base + "/spending", "discovery": "html"}
    config = SourcesConfig(ckan_url=council_site.base + "/api/action")
    session = PoliteSession(allowed_hosts=config.allowed_hosts([council_site.base]), retries=0, backoff=0,
                            min_interval_s=0)
    return council, config, session


def _totals(warehouse):
    with warehouse.connect() as con:
        return con.execute("select count(*), sum(amount) from staging.spend_lines where is_current").fetchone()


def test_a_body_fetched_but_never_loaded_is_loaded_next_night_despite_the_304(council_site, warehouse):
    council_site.files["April-2024.csv"] = csv_body("01/04/2024,Acme Ltd,600.00", "02/04/2024,Bolt plc,37.57")
    council, config, session = _setup(council_site)
    _serve(council_site)
    # the killed night: the file was fetched (its ETag recorded) and the process died before the load
    with warehouse.connect() as con:
        link = DiscoveredLink(f"{council_site.base}/files/April-2024.csv", "Spending over £500 April-2024",
                              f"{council_site.base}/spending", "2024-04", "csv")
        assert fetch_file(link, session, con, warehouse.raw_dir, GSS).ok
    report = ingest_council(council, session=session, warehouse=warehouse, config=config, parse=stand_in_parse,
                            progress=lambda _: None)
    assert (report["not_modified"], report["fetched"], report["parsed"], report["rows"]) == (1, 0, 1, 2)
    assert _totals(warehouse) == (2, Decimal("637.57"))
    with warehouse.connect() as con:
        # the publication dates from its download, not from the later 304 (supersession orders by it)
        assert con.execute("select p.fetched_at = m.fetched_at from staging.spend_publications p join "
                           "raw.fetch_manifest m on m.sha256 = p.publication_id").fetchall() == [(True,)]


def test_transient_load_error_is_retried_and_lasting_rejection_is_not(council_site, warehouse, monkeypatch):
    council_site.files["April-2024.csv"] = csv_body("01/04/2024,Acme Ltd,600.00")
    council_site.files["May-2024.csv"] = b"<html><body>Sorry</body></html>"
    council, config, session = _setup(council_site)
    real_load, calls = ingest_module.load_publication, {"load": 0, "parse": 0}

    def failing_load(*args, **kwargs):
        calls["load"] += 1
        raise RuntimeError("disk full")

    def counting_parse(data, **kwargs):
        calls["parse"] += 1
        return stand_in_parse(data, **kwargs)

    monkeypatch.setattr(ingest_module, "load_publication", failing_load)
    first = ingest_council(council, session=session, warehouse=warehouse, config=config, parse=counting_parse,
                           progress=lambda _: None)
    assert (first["parsed"], first["quarantined"], first["retryable"]) == (0, 2, 1)
    monkeypatch.setattr(ingest_module, "load_publication", real_load)
    calls["parse"] = 0
    second = ingest_council(council, session=session, warehouse=warehouse, config=config, parse=counting_parse,
                            progress=lambda _: None)
    # both answer 304; only the body that failed to load is parsed again, the HTML page stays set aside
    assert (second["not_modified"], second["parsed"], calls["parse"]) == (2, 1, 1)
    with warehouse.connect() as con:
        reasons = sorted(r[0] for r in con.execute("select reason_code from staging.quarantine").fetchall())
    assert reasons == ["html_page"]  # the load_error row is history once the body loaded
    assert _totals(warehouse) == (1, Decimal("600.00"))


def test_fetch_failures_carry_a_specific_reason_and_clear_when_the_url_answers(council_site, warehouse):
    council, config, session = _setup(council_site)
    link = DiscoveredLink(f"{council_site.base}/files/June-2024.csv", "June 2024", "", "2024-06", "csv")
    with warehouse.connect() as con:
        missing = fetch_file(link, session, con, warehouse.raw_dir, GSS)
        assert missing.reason_code == "http_4xx" and not missing.transient
        assert con.execute("select reason_code from staging.quarantine").fetchall() == [("fetch_error:http_4xx",)]
        council_site.files["June-2024.csv"] = csv_body("01/06/2024,Acme Ltd,1.00")
        _serve(council_site)
        assert fetch_file(link, session, con, warehouse.raw_dir, GSS).ok
        assert con.execute("select count(*) from staging.quarantine").fetchone()[0] == 0
        assert con.execute("select count(*) from raw.fetch_manifest").fetchone()[0] == 2


def test_malformed_threshold_hint_is_an_error_not_a_silent_default(warehouse):
    assert hint_problems({"threshold": "five hundred"}) == ["registry hint threshold='five hundred' is not an amount"]
    assert hint_problems({"threshold": "£500"}) == [] and hint_problems({"threshold": "none"}) == []
    report = ingest_council({"gss": GSS, "name": "X", "threshold": "abc"}, session=PoliteSession(None),
                            warehouse=warehouse, config=SourcesConfig(), parse=stand_in_parse,
                            progress=lambda _: None)
    assert "threshold='abc'" in report["error"] and report["discovered"] == 0


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pipelines.runlock import warehouse_run_lock
    with warehouse_run_lock(Path(sys.argv[1]), "test holder"):
        print("held", flush=True)
        time.sleep(60)
""")


def test_one_run_per_warehouse_and_the_lock_dies_with_its_process(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match=rf"test holder \(pid {holder.pid}"):
            with warehouse_run_lock(tmp_path, "second run"):
                pass
        assert time.monotonic() - started < 1  # at once, not after minutes of lock retries
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with warehouse_run_lock(tmp_path, "after the crash"):
            with warehouse_run_lock(tmp_path, "re-entered by the same process"):
                pass
    finally:
        if holder.poll() is None:
            holder.kill()


@dg.asset(pool="warehouse_writer")
def _pooled() -> None:
    return None


def test_a_pool_slot_held_by_a_dead_run_is_freed_and_said(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        instance.event_log_storage.set_concurrency_slots("warehouse_writer", 1)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        alive_tag, dead_tag = process_identity(), process_identity(dead.pid)
        runs = {}
        for name, tag in (("dead", dead_tag), ("alive", alive_tag)):
            run = instance.create_run_for_job(dg.Definitions(assets=[_pooled]).resolve_implicit_global_asset_job_def(),
                                              tags={PROCESS_TAG: tag})
            instance.handle_run_event(run.run_id, dg.DagsterEvent(
                event_type_value="PIPELINE_START", job_name=run.job_name))
            runs[name] = run.run_id
        storage = instance.event_log_storage
        storage.claim_concurrency_slot("warehouse_writer", runs["dead"], "_pooled")
        assert storage.get_concurrency_info("warehouse_writer").active_run_ids == {runs["dead"]}
        said: list[str] = []
        freed = free_dead_pool_slots(instance, progress=said.append)
        assert freed == [runs["dead"]] and "no longer alive" in said[0]
        assert storage.get_concurrency_info("warehouse_writer").active_run_ids == set()
        assert instance.get_run_by_id(runs["dead"]).status == dg.DagsterRunStatus.FAILURE
        # a live run's slot is never touched
        storage.claim_concurrency_slot("warehouse_writer", runs["alive"], "_pooled")
        assert free_dead_pool_slots(instance, progress=said.append) == []
        assert storage.get_concurrency_info("warehouse_writer").active_run_ids == {runs["alive"]}


def test_lock_file_names_the_holder(tmp_path):
    with warehouse_run_lock(tmp_path, "nightly run"):
        text = (tmp_path / "work" / "run.lock").read_text()
    assert f'"pid": {os.getpid()}' in text and "nightly run" in text


def test_register_files_are_picked_by_pattern_never_one_part_never_both():
    from pipelines.registers import pick_register_files

    base = "https://download.companieshouse.gov.uk/"
    parts = [f"{base}BasicCompanyData-2024-06-01-part{i}_7.zip" for i in (3, 1, 2, 7, 5, 4, 6)]
    single = f"{base}BasicCompanyDataAsOneFile-2024-06-01.zip"
    assert pick_register_files([single, *parts]) == [single]
    assert pick_register_files(parts) == sorted(parts, key=lambda u: int(u.split("part")[1].split("_")[0]))
    with pytest.raises(RuntimeError, match=r"parts \[7\] missing"):
        pick_register_files(parts[:3] + parts[4:])
    psc = [f"{base}psc-snapshot-2024-06-03_{i}of31.zip" for i in range(1, 32)]
    psc_single = f"{base}persons-with-significant-control-snapshot-2024-06-03.zip"
    assert pick_register_files([*psc, psc_single]) == [psc_single]
    older = f"{base}BasicCompanyDataAsOneFile-2024-05-01.zip"
    assert pick_register_files([older, single]) == [single]


def test_companies_house_parts_are_loaded_together(tmp_path, warehouse):
    import zipfile

    from pipelines.registers import _load_companies_house

    header = ('CompanyName, CompanyNumber,RegAddress.PostCode,CompanyCategory,CompanyStatus,'
              'Accounts.AccountCategory\n')
    paths = []
    for i, (name, number) in enumerate([("ACME LTD", "01234567"), ("BOLT LTD", "07654321")], start=1):
        path = tmp_path / f"BasicCompanyData-2024-06-01-part{i}_2.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"part{i}.csv", header + f'"{name}","{number}","EX1 1AA","Private","Active","SMALL"\n')
        paths.append(path)
    with warehouse.connect() as con:
        assert _load_companies_house(paths, con) == 2
        assert sorted(r[0] for r in con.execute("select name from reference.companies").fetchall()) == [
            "ACME LTD", "BOLT LTD"]


def test_partition_bounds_keep_their_time_zone():
    from datetime import datetime

    from assets.notices.assets import CF_DAYS, _utc

    window = CF_DAYS.time_window_for_partition_key("2024-06-01")  # British Summer Time
    assert (_utc(window.start), _utc(window.end)) == (datetime(2024, 5, 31, 23), datetime(2024, 6, 1, 23))
    winter = CF_DAYS.time_window_for_partition_key("2024-01-15")
    assert _utc(winter.start) == datetime(2024, 1, 15)


def test_bulk_json_lines_are_read_in_bounded_batches(tmp_path, monkeypatch):
    import gzip
    import json

    from pipelines.notices import read

    monkeypatch.setattr(read, "MAX_LINE_BYTES", 10_000)
    path = tmp_path / "2024.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for i in range(2500):
            out.write(json.dumps({"ocid": f"ocds-x-{i}", "id": str(i)}).encode() + b"\n")
            if i == 7:
                out.write(b'{"ocid": "' + b"y" * 50_000 + b'"}\n')  # an over-long line: skipped, counted
            if i == 9:
                out.write(b"{not json\n")
    stats: dict = {}
    sizes = [len(batch) for batch in read.iter_release_batches(path, batch_size=1000, stats=stats)]
    assert sizes == [1000, 1000, 500] and stats == {"unreadable_lines": 2}


def test_documented_apis_are_exempt_from_robots_rules(tmp_path):
    from tests.hostile import HostileServer, Reply

    with HostileServer() as server:
        server.route("/robots.txt", lambda req, n: Reply.file(req, b"User-agent: *\nDisallow: /\n", "text/plain"))
        server.route("/api/action/package_show", lambda req, n: Reply.file(req, b"{}", "application/json"))
        crawler = PoliteSession(allowed_hosts={server.base.removeprefix("http://")}, min_interval_s=0).with_limits(
            robots=True)
        with pytest.raises(Exception, match="robots.txt"):
            crawler.get(server.url("/api/action/package_show"))
        api = PoliteSession(allowed_hosts={server.base.removeprefix("http://")}, min_interval_s=0,
                            robots_exempt={server.base.removeprefix("http://")}).with_limits(robots=True)
        assert api.get(server.url("/api/action/package_show")).status_code == 200


def test_council_ingest_fails_after_recording_every_report_when_most_councils_fail(tmp_path):
    from assets.council_spend.assets import spend_lines
    from pipelines.resources import SourcesResource, WarehouseResource
    from pipelines.warehouse import Warehouse

    header = ("gss,name,type,region_gss,county_gss,website,start_date,end_date,landing_urls,discovery,"
              "ckan_package,link_include,link_exclude,threshold,amount_basis,cadence,parser_hints\n")
    rows = "".join(f"E0600099{i},Gone Council {i},unitary,E12000001,,http://127.0.0.1:9/,2000-01-01,,"
                   f"http://127.0.0.1:9/spending{i},html,,,,500,unknown,unknown,\n" for i in range(3))
    (tmp_path / "registry.csv").write_text(header + rows)
    dead = "http://127.0.0.1:9"
    config = SourcesConfig(registry_csv=str(tmp_path / "registry.csv"), contracts_finder_url=dead,
                           find_a_tender_url=dead, ckan_url=dead + "/api/action", ocdr_url=dead, registers={},
                           http_retries=0, http_connect_timeout_s=1, http_min_interval_s=0)
    config.dump(tmp_path / "sources.json")
    result = dg.materialize([spend_lines], raise_on_error=False, resources={
        "warehouse": WarehouseResource(root=str(tmp_path / "warehouse")),
        "sources": SourcesResource(config_path=str(tmp_path / "sources.json"))})
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "3 of 3 councils failed" in failure.event_specific_data.error.message
    with Warehouse(tmp_path / "warehouse").connect(read_only=True) as con:
        recorded = con.execute("select count(*), count(error) from meta.stage_report").fetchone()
    assert recorded == (3, 3)
