"""Alerts for operators: a failed run never goes unnoticed.

`run_failure_alert` is a run-failure sensor (on by default, so the daemon beside the UI watches every job of
the code location): when a run fails it builds an `Alert` (job, run id, the failed steps and their errors) and
hands it to the configured notifier:

* `LogNotifier` (always): the alert goes to the daemon's log at ERROR level (and so to whatever collects it);
* `WebhookNotifier` (when a webhook URL is configured): a JSON POST `{"text", "title", "job", "run_id",
  "status", "failed_steps"}`; `text` is what Slack, Teams (incoming webhooks) and Mattermost display.

The webhook URL comes from the `alerts` resource config or, when that is empty, from the
`KEEPITLOCAL_ALERT_WEBHOOK` environment variable read when the alert is sent (never at import). A webhook that
fails is reported in the sensor tick's error (the UI shows it) after the alert was logged, so the alert is never
lost.

`missed_night_alert` covers the night that never ran (the daemon was down, the schedule was switched off, a run
was stuck in the queue): once an hour it looks for the newest successful `nightly` run and, when none finished
within `MISSED_NIGHT_AFTER` (the freshness policy's fail window), sends one alert, then one a day while it lasts.
A deployment where `nightly` has never succeeded is not alerted on (nothing was expected of it yet).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

import dagster as dg
import requests

from pipelines.jobs import NIGHTLY_JOB_NAME

log = logging.getLogger("keepitlocal.alerts")

WEBHOOK_ENV = "KEEPITLOCAL_ALERT_WEBHOOK"
WEBHOOK_TIMEOUT_S = (5.0, 15.0)  # connect, read
MAX_ERROR_CHARS = 500  # per failed step: enough to see the cause, short enough for a chat message
# Same window as the published assets' freshness policy: a nightly job missing for this long is a missed night.
MISSED_NIGHT_AFTER = timedelta(hours=36)
REALERT_EVERY = timedelta(hours=24)  # while no night succeeds, remind once a day, not every hour


@dataclass(frozen=True)
class Alert:
    title: str
    job: str
    run_id: str
    status: str
    failed_steps: list[dict] = field(default_factory=list)  # {"step", "error"}

    @property
    def text(self) -> str:
        lines = [self.title]
        lines += [f"- {s['step']}: {s['error']}" for s in self.failed_steps]
        return "\n".join(lines)

    def payload(self) -> dict:
        return {"text": self.text, **asdict(self)}


class Notifier(Protocol):
    def notify(self, alert: Alert) -> None: ...


class LogNotifier:
    """Writes the alert to a logger at ERROR level."""

    def __init__(self, logger: logging.Logger | None = None):
        self.logger = logger or log

    def notify(self, alert: Alert) -> None:
        self.logger.error("ALERT %s", alert.text)


class WebhookNotifier:
    """POSTs the alert as JSON to a webhook; raises on a network error or a non-2xx answer."""

    def __init__(self, url: str, session: requests.Session | None = None):
        self.url = url
        self.session = session or requests.Session()

    def notify(self, alert: Alert) -> None:
        response = self.session.post(self.url, data=json.dumps(alert.payload()),
                                     headers={"Content-Type": "application/json"}, timeout=WEBHOOK_TIMEOUT_S,
                                     allow_redirects=False)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"alert webhook answered HTTP {response.status_code}")


class FanOutNotifier:
    """Every notifier in turn; all are tried, and the first failure is raised after the others ran."""

    def __init__(self, notifiers: list[Notifier]):
        self.notifiers = notifiers

    def notify(self, alert: Alert) -> None:
        errors = []
        for notifier in self.notifiers:
            try:
                notifier.notify(alert)
            except Exception as exc:  # the others still get the alert
                errors.append(exc)
        if errors:
            raise errors[0]


class AlertsResource(dg.ConfigurableResource):
    """Where alerts go: always the log, plus a webhook when one is configured."""

    webhook_url: str = ""

    def notifier(self, logger: logging.Logger | None = None) -> Notifier:
        notifiers: list[Notifier] = [LogNotifier(logger)]
        url = self.webhook_url or os.environ.get(WEBHOOK_ENV, "")
        if url:
            notifiers.append(WebhookNotifier(url))
        return FanOutNotifier(notifiers)


def failure_alert(job: str, run_id: str, step_failures: list[tuple[str, str]]) -> Alert:
    steps = [{"step": step, "error": (error or "")[:MAX_ERROR_CHARS]} for step, error in step_failures]
    names = ", ".join(s["step"] for s in steps) or "the run itself"
    return Alert(title=f"keepitlocal: run of {job} failed ({names}); run {run_id}", job=job, run_id=run_id,
                 status="FAILURE", failed_steps=steps)


def _step_error(event: dg.DagsterEvent) -> str:
    data = event.step_failure_data
    if data is not None and data.error is not None:
        error = data.error
        while error.cause is not None:  # Dagster wraps the asset's own exception: report that one
            error = error.cause
        message = error.message.strip()  # already "ClassName: text" for Python exceptions
        return message if message.startswith(f"{error.cls_name}:") else f"{error.cls_name}: {message}"
    return event.message or ""


@dg.run_failure_sensor(name="run_failure_alert", default_status=dg.DefaultSensorStatus.RUNNING,
                       minimum_interval_seconds=60,
                       description="Alerts (log, and the webhook if configured) when any run of this code location fails.")
def run_failure_alert(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
    run = context.dagster_run
    failures = [(e.step_key or "run", _step_error(e)) for e in context.get_step_failure_events()]
    if not failures and context.failure_event.message:
        failures = [("run", context.failure_event.message)]
    alerts.notifier().notify(failure_alert(run.job_name, run.run_id, failures))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def missed_night_due(last_success: datetime | None, last_alerted: datetime | None, now: datetime) -> bool:
    """True when the newest successful nightly run finished more than MISSED_NIGHT_AFTER ago and this episode was
    not alerted within REALERT_EVERY. `None` for `last_success`: never succeeded, nothing expected yet."""
    if last_success is None or now - last_success <= MISSED_NIGHT_AFTER:
        return False
    return last_alerted is None or last_alerted < last_success or now - last_alerted >= REALERT_EVERY


def missed_night_alert_for(job: str, last_success: datetime, now: datetime) -> Alert:
    hours = int((now - last_success).total_seconds() // 3600)
    return Alert(title=f"keepitlocal: no successful run of {job} for {hours} hours (last finished "
                       f"{last_success:%Y-%m-%d %H:%M} UTC): a night was missed",
                 job=job, run_id="", status="MISSED")


@dg.sensor(name="missed_night_alert", default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=3600,
           description="Alerts (log, and the webhook if configured) when no nightly run has succeeded for 36 hours.")
def missed_night_alert(context: dg.SensorEvaluationContext, alerts: AlertsResource) -> dg.SkipReason:
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=NIGHTLY_JOB_NAME, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1)
    ended = records[0].end_time if records else None
    last_success = datetime.fromtimestamp(ended, timezone.utc) if ended else None
    last_alerted = datetime.fromisoformat(context.cursor) if context.cursor else None
    now = _now()
    if not missed_night_due(last_success, last_alerted, now):
        return dg.SkipReason("a nightly run succeeded within the last 36 hours" if last_success
                             else "no successful nightly run yet: nothing expected")
    # the cursor moves before the notifier runs: a webhook that fails still had the alert logged, and the
    # tick's error shows the failure; the next reminder comes a day later, not every hour
    context.update_cursor(now.isoformat())
    alerts.notifier().notify(missed_night_alert_for(NIGHTLY_JOB_NAME, last_success, now))
    return dg.SkipReason("missed night alerted")
