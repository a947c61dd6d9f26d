"""Operators' Dagster: freshness policies on the published assets, and a run-failure sensor whose alert reaches
the log always and a webhook when one is configured (a real HTTP server on 127.0.0.1 here)."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from pipelines.definitions import FRESHNESS, PUBLISHED_GROUPS, defs
from pipelines.sensors import WEBHOOK_ENV, AlertsResource, run_failure_alert


def test_published_assets_carry_the_freshness_policy_and_the_sensor_is_on():
    definitions = defs()
    specs = list(definitions.resolve_all_asset_specs())
    published = {s.key.to_user_string() for s in specs if s.group_name in PUBLISHED_GROUPS}
    assert {"published_warehouse", "research_extracts", "marts/keep_it_local_scorecard"} <= published
    for spec in specs:
        expected = FRESHNESS if spec.group_name in PUBLISHED_GROUPS else None
        assert spec.freshness_policy == expected, spec.key
    sensor = definitions.resolve_sensor_def("run_failure_alert")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert "alerts" in sensor.required_resource_keys
    # the blocking mart check survived the mapping
    assert any(c.name == "reconciles_with_staging" for c in definitions.resolve_asset_graph().asset_check_keys)


@dg.op
def fetch_notices():
    raise RuntimeError("Contracts Finder answered 503 five times")


@dg.job
def nightly():
    fetch_notices()


def _failed_run_context(instance: dg.DagsterInstance, alerts: AlertsResource):
    result = nightly.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(), resources={"alerts": alerts},
    ).for_run_failure()


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 204

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def webhook():
    _Hook.received, _Hook.status = [], 204
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts", _Hook
    finally:
        server.shutdown()
        server.server_close()


def test_a_failed_run_is_posted_to_the_webhook_and_logged(webhook, caplog, monkeypatch):
    url, hook = webhook
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with dg.instance_for_test() as instance, caplog.at_level(logging.ERROR, logger="keepitlocal.alerts"):
        context = _failed_run_context(instance, AlertsResource(webhook_url=url))
        run_failure_alert(context)
    [posted] = hook.received
    assert posted["type"] == "application/json"
    body = posted["body"]
    assert body["job"] == "nightly" and body["status"] == "FAILURE"
    assert body["run_id"] == context.dagster_run.run_id
    assert body["failed_steps"] == [{"step": "fetch_notices",
                                     "error": "RuntimeError: Contracts Finder answered 503 five times"}]
    assert "fetch_notices" in body["text"] and context.dagster_run.run_id in body["text"]
    assert "Contracts Finder answered 503" in caplog.text, "the log gets the alert too"


def test_without_a_webhook_the_alert_goes_to_the_log_and_env_configures_one(webhook, caplog, monkeypatch):
    url, hook = webhook
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with dg.instance_for_test() as instance, caplog.at_level(logging.ERROR, logger="keepitlocal.alerts"):
        run_failure_alert(_failed_run_context(instance, AlertsResource()))
        assert "ALERT keepitlocal: run of nightly failed (fetch_notices)" in caplog.text
        assert hook.received == []
        monkeypatch.setenv(WEBHOOK_ENV, url)  # read when the alert is sent, never at import
        run_failure_alert(_failed_run_context(instance, AlertsResource()))
    assert len(hook.received) == 1


def test_a_webhook_that_refuses_fails_the_tick_after_logging(webhook, caplog, monkeypatch):
    url, hook = webhook
    hook.status = 500
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with dg.instance_for_test() as instance, caplog.at_level(logging.ERROR, logger="keepitlocal.alerts"):
        with pytest.raises(RuntimeError, match="HTTP 500"):
            run_failure_alert(_failed_run_context(instance, AlertsResource(webhook_url=url)))
    assert "ALERT" in caplog.text
