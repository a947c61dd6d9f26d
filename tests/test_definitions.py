"""The Dagster wiring loads, `dg check defs` passes, and the nightly job and schedule exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from tests.conftest import PROJECT_ROOT


def test_definitions_load_with_nightly_job_and_schedule():
    definitions = defs()
    job = definitions.resolve_job_def("nightly")
    schedule = definitions.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/London"
    nightly_keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert "staging/spend_lines" in nightly_keys
    # backfill-only (partitioned) assets are not part of the unpartitioned nightly job
    assert "staging/spend_lines_by_council" not in nightly_keys


def test_every_asset_has_a_description_and_group():
    for spec in defs().resolve_all_asset_specs():
        assert spec.description, f"{spec.key.to_user_string()} has no docstring"
        assert spec.group_name and spec.group_name != "default", spec.key


def test_dg_check_defs_passes():
    dg_bin = Path(sys.executable).with_name("dg")
    result = subprocess.run([str(dg_bin), "check", "defs"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_committed_instance_config_loads(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = dg.DagsterInstance.get()
    try:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_retries_enabled
        assert not instance.telemetry_enabled
    finally:
        instance.dispose()


def test_an_installed_package_loads_the_same_assets_and_checks():
    """A wheel install has no pyproject.toml above `assets/`: the package-module loader must find the same."""
    from pipelines.definitions import _assets
    from pipelines.resources import build_resources

    def keys(definitions: dg.Definitions) -> tuple[set, set]:
        graph = definitions.with_resources(build_resources()).resolve_asset_graph()
        return set(graph.get_all_asset_keys()), set(graph.asset_check_keys)

    folder, package = keys(_assets(from_package=False)), keys(_assets(from_package=True))
    assert folder == package and len(folder[0]) > 15
