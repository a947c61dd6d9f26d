"""`keepitlocal ui`: the Dagster UI and daemon (`dagster dev`) with the project's instance config.

    keepitlocal ui                 live sources, warehouse/ (what `keepitlocal run` writes)
    keepitlocal ui --demo          the offline sample world, served on 127.0.0.1 while the UI runs, warehouse/demo/

DAGSTER_HOME is the git-ignored `.dagster_home/` (or $DAGSTER_HOME), holding a copy of the committed
`dagster.yaml` and a `workspace.yaml` that names the code location `keepitlocal`. The resources read the
warehouse root and the sources file from KEEPITLOCAL_WAREHOUSE and KEEPITLOCAL_SOURCES when a run starts, so the
runs launched from this UI (and from `dg launch` in a shell with the same variables) write where the UI shows;
KEEPITLOCAL_MODE=demo tags the nightly job's runs `keepitlocal/mode=demo`.

With `--demo`, the sample world is generated (deterministic, seed 2026) into `<warehouse>/world`, served by the
same loopback server `keepitlocal demo` uses, and `<warehouse>/sources.json` points every source at it. The
server lives as long as this command; stop both with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.config import DEFAULT_WAREHOUSE, PROJECT_ROOT

LOCATION_NAME = "keepitlocal"
PACKAGED_INSTANCE_CONFIG = Path(__file__).resolve().parent / "_data" / "dagster.yaml"  # in a wheel install

WORKSPACE = """\
# Written by `keepitlocal ui`: one code location, named {location}.
load_from:
  - python_module:
      module_name: pipelines.definitions
      location_name: {location}
      working_directory: {working_directory}
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="web UI port (default 3000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--demo", action="store_true",
                        help="serve the offline sample world on 127.0.0.1 and point every resource at it")
    parser.add_argument("--warehouse", default=None,
                        help="warehouse root (default: warehouse/, or warehouse/demo with --demo)")
    parser.add_argument("--seed", type=int, default=2026, help="sample world seed with --demo (default 2026)")


def instance_config() -> Path:
    """The committed dagster.yaml (repository checkout) or the copy packaged in the wheel."""
    checkout = PROJECT_ROOT / "dagster.yaml"
    return checkout if checkout.is_file() else PACKAGED_INSTANCE_CONFIG


def prepare_dagster_home() -> Path:
    checkout = (PROJECT_ROOT / "pyproject.toml").is_file()
    home = Path(os.environ.get("DAGSTER_HOME") or (PROJECT_ROOT if checkout else Path.cwd()) / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(instance_config(), home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def write_workspace(home: Path) -> Path:
    """`workspace.yaml` naming the code location `keepitlocal` (dagster dev would call it pipelines.definitions)."""
    path = home / "workspace.yaml"
    working_directory = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else Path.cwd()
    path.write_text(WORKSPACE.format(location=LOCATION_NAME, working_directory=working_directory), encoding="utf-8")
    return path


# `dagster dev -w` is the one command that takes a workspace file (needed for the location name, and in a wheel
# install where `dg dev` has no pyproject.toml to read); its "superseded, use dg dev" notice is noise here
QUIET_FILTER = "ignore:Function `dev_command` is superseded"


def _quiet_env() -> dict[str, str]:
    """The environment with that one notice filtered (any PYTHONWARNINGS the user set is kept)."""
    filters = [f for f in (os.environ.get("PYTHONWARNINGS"), QUIET_FILTER) if f]
    return {**os.environ, "PYTHONWARNINGS": ",".join(filters)}


def dagster_dev_command(workspace: Path, host: str, port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [str(dagster), "dev", "-w", str(workspace), "--host", host, "--port", str(port)]


def run(args: argparse.Namespace) -> int:
    home = prepare_dagster_home()
    workspace = write_workspace(home)
    command = dagster_dev_command(workspace, args.host, args.port)
    if not args.demo:
        warehouse = Path(args.warehouse or DEFAULT_WAREHOUSE).resolve()
        env = {**_quiet_env(), "KEEPITLOCAL_WAREHOUSE": str(warehouse), "KEEPITLOCAL_MODE": "live"}
        print(f"DAGSTER_HOME={home}\nlive sources, warehouse {warehouse}\n$ {' '.join(command)}", flush=True)
        return subprocess.call(command, cwd=workspace.parent, env=env)
    return _run_demo_ui(Path(args.warehouse or DEFAULT_WAREHOUSE / "demo").resolve(), args.seed, command, home)


def _run_demo_ui(root: Path, seed: int, command: list[str], home: Path) -> int:
    from pipelines.demo import demo_limits
    from pipelines.sample import generate, sources_config
    from pipelines.sample.server import SampleServer

    world = root / "world"
    print(f"Generating the sample world (seed {seed}) in {world} ...", flush=True)
    generate(world, seed=seed)
    sources_path = root / "sources.json"
    limits = demo_limits()
    with SampleServer(world, limits) as server:
        sources_config(world, server.base_url, limits=limits).dump(sources_path)
        env = {**_quiet_env(), "KEEPITLOCAL_WAREHOUSE": str(root), "KEEPITLOCAL_SOURCES": str(sources_path),
               "KEEPITLOCAL_MODE": "demo"}
        print(f"DAGSTER_HOME={home}\nsample world served at {server.base_url}; warehouse {root}\n"
              f"Launch the 'nightly' job (or any asset) from the UI; Ctrl-C stops the UI and the server.\n"
              f"$ {' '.join(command)}", flush=True)
        try:
            return subprocess.call(command, cwd=home, env=env)
        except KeyboardInterrupt:
            return 130
