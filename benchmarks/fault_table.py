"""Print the fault table: each hostile-server fault run as its own process (tests/faults.py), with what the
pipeline did, how long the first night took and the process's peak memory.

    .venv/bin/python benchmarks/fault_table.py [WORKDIR [CASE ...]]

Run from the repository root. The cases are the fault suite's (tests/test_fault_suite.py), which asserts on
the same results; this script only formats them as a Markdown table (note `uptime` with the numbers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults import ALL_CASES  # noqa: E402


def did(out: dict) -> str:
    if out["case"].startswith("notice_"):
        first, second = out["nights"]
        return (f"window failed ({first['error'].rsplit(': ', 1)[-1][:60]}); watermark held at "
                f"{first['watermark'][:10]}; night 2: watermark {second['watermark'][:10]}")
    if out["case"] == "two_runs":
        return f"refused at once, exit {out['exit_code']}"
    if out["case"] == "private_address":
        return "council refused before connecting (AddressRefused); 0 requests reached the server"
    if "after2" not in out:  # a hostile file: one night through the parser
        may = out["after1"]["current"].get("2024-05")
        return (f"{', '.join(out['after1']['quarantine']) or 'no quarantine'}; April kept; "
                f"May {'loaded: ' + str(may) if may else 'not loaded'}; escaped: {out['escaped']}")
    q1, q2 = out["after1"]["quarantine"], out["after2"]["quarantine"]
    kept = "April kept" if "2024-04" in out["after1"]["current"] else "APRIL LOST"
    night2 = "loaded night 2" if "2024-05" in out["after2"]["current"] and q1 else (
        "not retried" if q2 else "loaded night 1")
    return f"{', '.join(q1) or 'no quarantine'}; {kept}; {night2}"


def main() -> int:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="faults_"))
    print(f"load: {os.getloadavg()}")
    print("| fault | what the pipeline did | night 1 (s) | peak RSS (MB) |")
    print("|---|---|---|---|")
    for case in sys.argv[2:] or ALL_CASES:
        done = subprocess.run([sys.executable, "-m", "tests.faults", case, str(work / case)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            print(f"| {case} | CRASHED: {done.stderr.strip()[-200:]} | | |")
            continue
        out = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {out['description']} | {did(out)} | {out['seconds']} | {out.get('peak_rss_mb', '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
