"""An offline launch fails in seconds, with a message saying what to do, instead of retrying for minutes."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from assets.registers.assets import registers
from pipelines.config import SourcesConfig
from pipelines.preflight import SourcesUnreachable, check_sources_reachable
from pipelines.resources import SourcesResource, WarehouseResource

# RFC 6761: names under .invalid never resolve, on any network
OFFLINE = dict(contracts_finder_url="https://cf.invalid", find_a_tender_url="https://fts.invalid",
               ckan_url="https://ckan.invalid/api/action", ocdr_url="https://ocdr.invalid")


def test_no_resolvable_source_host_is_refused_with_advice():
    with pytest.raises(SourcesUnreachable, match="keepitlocal demo") as refused:
        check_sources_reachable(SourcesConfig(**OFFLINE))
    assert "cf.invalid" in str(refused.value) and "ocdr.invalid" in str(refused.value)
    # one reachable host (a loopback sample service) means the network is there: outages are retried as before
    check_sources_reachable(SourcesConfig(**{**OFFLINE, "ckan_url": "http://127.0.0.1:9/api/action"}))


def test_an_offline_asset_fails_at_once_without_retries(tmp_path):
    config = tmp_path / "sources.json"
    SourcesConfig(**OFFLINE).dump(config)
    started = time.monotonic()
    result = dg.materialize([registers], raise_on_error=False, resources={
        "warehouse": WarehouseResource(root=str(tmp_path / "wh")),
        "sources": SourcesResource(config_path=str(config))})
    elapsed = time.monotonic() - started
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1, "failed once: no RetryPolicy retry (which would wait 30 s first)"
    assert "none of the sources can be reached" in failures[0].step_failure_data.user_failure_data.description
    assert elapsed < 25, f"took {elapsed:.0f} s"
