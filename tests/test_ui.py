"""`keepitlocal ui`: the code location is named `keepitlocal`, and `--demo` serves the sample world while the UI
runs, with every resource pointed at it (the UI process itself is stood in for by a probe here)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipelines import ui
from pipelines.config import SourcesConfig
from pipelines.resources import SourcesResource, WarehouseResource


def test_workspace_names_the_code_location_keepitlocal(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    home = ui.prepare_dagster_home()
    workspace = ui.write_workspace(home)
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run([str(dagster), "definitions", "validate", "-w", str(workspace)], cwd=home,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful for code location keepitlocal" in result.stdout + result.stderr
    command = ui.dagster_dev_command(workspace, "127.0.0.1", 3000)
    assert command[1:4] == ["dev", "-w", str(workspace)]


def test_demo_ui_serves_the_sample_world_and_points_resources_at_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    seen = {}

    def dagster_dev(command, cwd, env):  # what the UI's code server would see while it runs
        seen["command"], seen["env"] = command, env
        monkeypatch.setattr("os.environ", env)  # resources read these when a run starts
        config = SourcesResource().get()
        seen["warehouse"] = WarehouseResource().get().root
        seen["sources"] = config
        try:
            with urllib.request.urlopen(config.contracts_finder_url.rstrip("/") + "/", timeout=10) as response:
                seen["status"] = response.status
        except urllib.error.HTTPError as answered:  # a 404 for the bare root is still an answer
            seen["status"] = answered.code
        return 0

    monkeypatch.setattr(ui.subprocess, "call", dagster_dev)
    args = argparse.Namespace(demo=True, warehouse=str(tmp_path / "demo"), seed=2026, host="127.0.0.1", port=3999)
    assert ui.run(args) == 0
    env = seen["env"]
    assert env["KEEPITLOCAL_MODE"] == "demo"
    assert seen["warehouse"] == (tmp_path / "demo").resolve()
    assert isinstance(seen["sources"], SourcesConfig)
    assert seen["sources"].contracts_finder_url.startswith("http://127.0.0.1:")
    assert Path(env["KEEPITLOCAL_SOURCES"]) == (tmp_path / "demo" / "sources.json").resolve()
    assert json.loads(Path(env["KEEPITLOCAL_SOURCES"]).read_text())["registry_csv"].startswith(str(tmp_path))
    assert seen["status"] < 500, "the sample server answered while the UI ran"
    with pytest.raises(urllib.error.URLError) as gone:  # and is gone once the UI stops (connection refused)
        urllib.request.urlopen(seen["sources"].contracts_finder_url, timeout=5)
    assert not isinstance(gone.value, urllib.error.HTTPError)
