"""The built wheel is a complete program: installed (not editable) into a fresh venv, from another folder, it
finds its SQL, reference data and instance config, says clearly that the demo needs the `sample` extra, and with
it runs `keepitlocal demo` end to end.

The one expensive packaging test (a fresh venv and a full demo, ~2-3 min): pip's cache makes the install
offline-fast, and constraints.txt pins what gets installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import PROJECT_ROOT


def _run(args: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DAGSTER_HOME",
                                                             "KEEPITLOCAL_WAREHOUSE", "KEEPITLOCAL_SOURCES")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_wheel_installs_and_runs_the_demo(tmp_path):
    dist = tmp_path / "dist"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(PROJECT_ROOT)],
                 cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = dist.glob("keepitlocal-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sql_in_repo = {p.relative_to(PROJECT_ROOT / "sql").as_posix() for p in (PROJECT_ROOT / "sql").rglob("*.sql")}
    assert {f"pipelines/_sql/{p}" for p in sql_in_repo} <= names, "every SQL statement ships in the wheel"
    assert {"pipelines/_data/dagster.yaml", "pipelines/registry/councils.csv",
            "pipelines/marts/dictionary_columns.csv"} <= names
    assert not any(n.startswith(("tests/", "warehouse/", "sql/")) for n in names)

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path).returncode == 0
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-c", str(PROJECT_ROOT / "constraints.txt")]
    installed = _run([*pip, str(wheel)], cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]
    keepitlocal = str(venv / "bin" / "keepitlocal")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    # without the sample extra: a clear message, not a traceback
    bare = _run([keepitlocal, "demo", "--warehouse", str(tmp_path / "wh")], cwd=elsewhere)
    assert bare.returncode == 2, bare.stdout[-2000:] + bare.stderr[-2000:]
    assert "pip install 'keepitlocal[sample]'" in bare.stderr and "Traceback" not in bare.stderr

    extra = _run([*pip, f"{wheel}[sample]"], cwd=tmp_path)
    assert extra.returncode == 0, extra.stderr[-3000:]
    demo = _run([keepitlocal, "demo", "--warehouse", str(tmp_path / "wh")], cwd=elsewhere)
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-3000:]
    assert (tmp_path / "wh" / "keepitlocal.duckdb").is_file()
    assert (tmp_path / "wh" / "extracts" / "latest" / "datapackage.json").is_file()
    # the program ran from the installed wheel, not from this checkout
    where = _run([str(venv / "bin" / "python"), "-c", "import pipelines.sqlfiles as s; print(s.SQL_DIR)"],
                 cwd=elsewhere)
    assert where.stdout.strip().startswith(str(venv)), where.stdout
    assert not (elsewhere / "warehouse").exists() or not any((elsewhere / "warehouse").iterdir())
