"""The catalogue page rendered by a real headless Chromium: links resolve, charts and their marks render.

Chromium comes from Debian (`tests/setup_browser.sh`, run by `make test`). Without it this test fails with a
message naming the setup script: a skipped browser test would hide a broken page.
Set KEEPITLOCAL_SCREENSHOT_DIR to keep a copy of the screenshot (e.g. warehouse/screenshots).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from pipelines.extracts.build import build_extracts
from pipelines.warehouse import Warehouse
from tests.test_extracts_seed import seed_published_warehouse

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash tests/setup_browser.sh` (make test does) to install chromium")
    return subprocess.run([str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_catalogue_renders_in_chromium(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse")
    seed = seed_published_warehouse(warehouse.published_path)
    release = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="browser-test",
                             sources=[])
    page_url = (release / "index.html").as_uri()

    dumped = _chromium(tmp_path / "profile-dom", "--dump-dom", page_url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    soup = BeautifulSoup(dumped.stdout, "html.parser")
    assert soup.find("h1") is not None, "the rendered DOM has the page"

    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert len(links) > 10
    release_root = release.resolve()
    for link in links:
        resolved = urlsplit(urljoin(page_url, link))
        assert resolved.scheme == "file", link
        target = Path(unquote(resolved.path)).resolve()
        assert target.is_relative_to(release_root), f"{link} leaves the release directory"
        assert target.is_file(), f"{link} does not resolve to a file"

    def marks(chart_id: str) -> int:
        svg = soup.select_one(f"#{chart_id} svg")
        assert svg is not None, f"{chart_id} is not rendered as SVG"
        return len(svg.select(".mark"))

    years = {r["financial_year"] for r in seed.scorecard if r["period_grain"] == "year"}
    latest_councils = [r for r in seed.scorecard if r["period_grain"] == "year" and r["financial_year"] == max(years)]
    latest_groups = {r["group_key"] for r in seed.group_exposure if r["financial_year"] == "2023-24"}
    assert marks("chart-national-shares") == 4 * len(years)
    assert marks("chart-local-ranking") == len(latest_councils)
    assert marks("chart-group-exposure") == min(12, len(latest_groups))
    assert marks("chart-sourcing-events") == len(seed.sourcing_events)

    screenshot = tmp_path / "catalogue.png"
    shot = _chromium(tmp_path / "profile-shot", f"--screenshot={screenshot}", "--window-size=1280,2400",
                     "--hide-scrollbars", page_url)
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.is_file() and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000, "a blank page compresses to a few kB"
    keep = os.environ.get("KEEPITLOCAL_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, Path(keep) / "catalogue.png")
