"""The national-size sample world (pipelines/sample/national.py) at toy size: deterministic files, one loopback
host per authority, conditional GETs answered with 304, every request counted. The rehearsal itself is a
benchmark (benchmarks/national_rehearsal.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import requests

from pipelines.sample.national import NationalOptions, NationalServer, generate_national, resolve_registry

OPTIONS = NationalOptions(councils=3, months=4, lines_per_month=(5, 12), latency_ms=(0, 2), processes=1)


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in (root / "hosts").rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def test_national_world_is_deterministic_and_served_one_host_per_authority(tmp_path):
    summary = generate_national(tmp_path / "a", OPTIONS)
    generate_national(tmp_path / "b", OPTIONS)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert summary["authorities"] == 3 and summary["files"] >= 3 and summary["rows"] > 0
    sites = json.loads((tmp_path / "a" / "national.json").read_text())["sites"]
    assert len({s["gss"] for s in sites}) == 3

    server = NationalServer(tmp_path / "a").start()
    try:
        assert len(set(server.bases.values())) == 3  # distinct host:port per authority
        registry = resolve_registry(tmp_path / "a", server.bases).read_text()
        assert "{base:" not in registry and all(base in registry for base in server.bases.values())
        site = sites[0]
        base = server.bases[site["gss"]]
        landing = requests.get(base + "/spending-over-500", timeout=10)
        file_path = next(p for p in site["routes"] if p != "/spending-over-500")
        assert landing.status_code == 200 and file_path in landing.text
        first = requests.get(base + file_path, timeout=10)
        again = requests.get(base + file_path, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
        assert first.status_code == 200 and again.status_code == 304 and not again.content
        assert requests.get(base + "/robots.txt", timeout=10).status_code == 404
        stats = requests.get(server.control_url + "/stats", timeout=10).json()
        assert stats["by_status"] == {"200": 2, "304": 1, "404": 1}
    finally:
        server.stop()
