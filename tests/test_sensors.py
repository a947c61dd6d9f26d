"""Operators' Dagster: freshness policies on the published assets, a run-failure sensor and a missed-night sensor
whose alerts reach the log always and a webhook when one is configured (a real HTTP server on 127.0.0.1 here)."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from pipelines.definitions import FRESHNESS, PUBLISHED_GROUPS, defs
from pipelines import sensors
from pipelines.sensors import (MISSED_NIGHT_AFTER, REALERT_EVERY, WEBHOOK_ENV, AlertsResource, missed_night_alert,
                               missed_night_due, run_failure_alert)


def test_published_assets_carry_the_freshness_policy_and_the_sensor_is_on():
    definitions = defs()
    specs = list(definitions.resolve_all_asset_specs())
    published = {s.key.to_user_string() for s in specs if s.group_name in PUBLISHED_GROUPS}
    assert {"published_warehouse", "research_extracts", "marts/keep_it_local_scorecard"} <= published
    for spec in specs:
        expected = FRESHNESS if spec.group_name in PUBLISHED_GROUPS else None
        assert spec.freshness_policy == expected, spec.key
    for name in ("run_failure_alert", "missed_night_alert"):
        sensor = definitions.resolve_sensor_def(name)
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


def test_missed_night_is_due_after_the_freshness_window_once_then_daily():
    night = datetime(2026, 3, 1, 3, 0, tzinfo=timezone.utc)
    assert not missed_night_due(None, None, night + timedelta(days=30)), "never succeeded: nothing expected yet"
    assert not missed_night_due(night, None, night + MISSED_NIGHT_AFTER)
    late = night + MISSED_NIGHT_AFTER + timedelta(minutes=1)
    assert missed_night_due(night, None, late)
    assert not missed_night_due(night, late, late + timedelta(hours=1)), "one alert, not one an hour"
    assert missed_night_due(night, late, late + REALERT_EVERY)
    # a night succeeded after the last alert, then nights were missed again: a new episode alerts at once
    again = late + timedelta(days=1)
    assert missed_night_due(again, late, again + MISSED_NIGHT_AFTER + timedelta(minutes=1))


@dg.op
def publish_ok():
    return 1


@dg.job(name="nightly")
def nightly_ok():
    publish_ok()


def test_missed_night_sensor_alerts_once_through_the_webhook_and_keeps_its_cursor(webhook, monkeypatch):
    url, hook = webhook
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with dg.instance_for_test() as instance:
        def tick(now, cursor=None):
            monkeypatch.setattr(sensors, "_now", lambda: now)
            context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                              resources={"alerts": AlertsResource(webhook_url=url)})
            missed_night_alert(context)
            return context.cursor

        assert tick(datetime.now(timezone.utc)) is None and hook.received == [], "no nightly run ever: no alert"
        assert nightly_ok.execute_in_process(instance=instance).success
        now = datetime.now(timezone.utc)
        assert tick(now + timedelta(hours=2)) is None and hook.received == [], "fresh: no alert"
        late = now + MISSED_NIGHT_AFTER + timedelta(hours=1)
        cursor = tick(late)
        [posted] = hook.received
        assert posted["body"]["status"] == "MISSED" and posted["body"]["job"] == "nightly"
        assert "a night was missed" in posted["body"]["text"]
        assert tick(late + timedelta(hours=1), cursor) == cursor and len(hook.received) == 1
