"""`keepitlocal ui`: the Dagster UI and daemon (`dagster dev`) with the project's instance config.

DAGSTER_HOME is the git-ignored `.dagster_home/`, holding a copy of the committed `dagster.yaml`, so run
history stays out of the working tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.config import PROJECT_ROOT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="web UI port (default 3000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def prepare_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run(args: argparse.Namespace) -> int:
    home = prepare_dagster_home()
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-m", "pipelines.definitions", "--host", args.host, "--port", str(args.port)]
    print(f"DAGSTER_HOME={home}\n$ {' '.join(command)}", flush=True)
    return subprocess.call(command, cwd=PROJECT_ROOT)
