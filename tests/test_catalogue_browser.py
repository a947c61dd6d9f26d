"""The catalogue page rendered by a real headless Chromium, at a phone's width (360 px) and a desktop's (1280 px):
links resolve, charts and their marks render, and nothing is wider than the screen.

Chromium comes from Debian (`tests/setup_browser.sh`, run by `make test`). Without it this test fails with a
message naming the setup script: a skipped browser test would hide a broken page.
Set KEEPITLOCAL_SCREENSHOT_DIR to keep the screenshots (catalogue-360.png, catalogue-1280.png).
"""

from __future__ import annotations

import json
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
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1"]
WIDTHS = (360, 1280)

# A harness page beside index.html that loads it in an iframe exactly `width` px wide (a headless window is never
# narrower than 500 px), measures the laid-out document against that viewport, names any element reaching past it
# (outside a scrolling box), and writes the result into its own DOM for --dump-dom.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="index.html" style="border:0;width:WIDTHpx;height:900px"></iframe>
<script>
document.getElementById('page').addEventListener('load', event => {
  const win = event.target.contentWindow, doc = win.document, width = win.innerWidth;
  const inScroller = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    const o = win.getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  const wide = [];
  for (const el of doc.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > width + 0.5 || r.left < -0.5) && !inScroller(el))
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.getAttribute('class') || '')
                + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  const overlaps = [];  // tick labels drawn on top of each other
  for (const axis of doc.querySelectorAll('.bar-axis, .lane-axis, .y-ticks')) {
    const shown = [...axis.querySelectorAll('span')].map(e => e.getBoundingClientRect()).filter(r => r.width);
    for (let i = 1; i < shown.length; i++)
      if (shown[i].left < shown[i - 1].right - 0.5 && shown[i - 1].left < shown[i].right - 0.5 &&
          shown[i].top < shown[i - 1].bottom - 0.5 && shown[i - 1].top < shown[i].bottom - 0.5)
        overlaps.push(axis.closest('figure').id + ' ' + axis.className + ' label ' + i);
  }
  const out = document.createElement('pre'); out.id = 'probe';
  out.textContent = JSON.stringify({innerWidth: width, scrollWidth: doc.documentElement.scrollWidth,
                                    wide: wide.slice(0, 20), overlaps: overlaps});
  document.body.appendChild(out);
});
</script></body></html>"""


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash tests/setup_browser.sh` (make test does) to install chromium")
    return subprocess.run([str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    warehouse = Warehouse(root / "warehouse")
    seed = seed_published_warehouse(warehouse.published_path)
    path = build_extracts(warehouse.published_path, warehouse.extracts_dir, pipeline_version="browser-test",
                          sources=[])
    return root, seed, path


def test_catalogue_renders_in_chromium(release):
    root, seed, path = release
    page_url = (path / "index.html").as_uri()
    dumped = _chromium(root / "profile-dom", "--dump-dom", page_url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    soup = BeautifulSoup(dumped.stdout, "html.parser")
    assert soup.find("h1") is not None, "the rendered DOM has the page"

    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert len(links) > 10
    release_root = path.resolve()
    for link in links:
        resolved = urlsplit(urljoin(page_url, link))
        assert resolved.scheme == "file", link
        target = Path(unquote(resolved.path)).resolve()
        assert target.is_relative_to(release_root), f"{link} leaves the release directory"
        assert target.is_file(), f"{link} does not resolve to a file"

    def marks(chart_id: str) -> int:
        figure = soup.select_one(f"#{chart_id}")
        assert figure is not None, f"{chart_id} is not rendered"
        return len(figure.select(".mark"))

    years = {r["financial_year"] for r in seed.scorecard if r["period_grain"] == "year"}
    latest_councils = [r for r in seed.scorecard if r["period_grain"] == "year" and r["financial_year"] == max(years)]
    latest_groups = {r["group_key"] for r in seed.group_exposure if r["financial_year"] == "2023-24"}
    assert marks("chart-national-shares") == 4 * len(years)
    assert marks("chart-local-ranking") == len(latest_councils)
    assert marks("chart-group-exposure") == min(12, len(latest_groups))
    assert marks("chart-sourcing-events") == len(seed.sourcing_events)


@pytest.mark.parametrize("width", WIDTHS)
def test_catalogue_fits_the_screen(release, width):
    root, _seed, path = release
    probe_page = path / f".probe-{width}.html"
    probe_page.write_text(PROBE.replace("WIDTH", str(width)), encoding="utf-8")
    try:
        dumped = _chromium(root / f"profile-probe-{width}", "--allow-file-access-from-files", "--window-size=1400,1000",
                           "--dump-dom", probe_page.as_uri())
    finally:
        probe_page.unlink()
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    probe = json.loads(BeautifulSoup(dumped.stdout, "html.parser").find(id="probe").get_text())
    assert probe["innerWidth"] == width, probe
    assert probe["scrollWidth"] <= width and probe["wide"] == [], f"wider than {width} px: {probe}"
    assert probe["overlaps"] == [], f"axis labels overlap at {width} px: {probe['overlaps']}"

    screenshot = root / f"catalogue-{width}.png"
    shot = _chromium(root / f"profile-shot-{width}", f"--screenshot={screenshot}", f"--window-size={width},2400",
                     (path / "index.html").as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.is_file() and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000, "a blank page compresses to a few kB"
    keep = os.environ.get("KEEPITLOCAL_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, Path(keep) / screenshot.name)
