"""The static catalogue page `index.html` of a release: downloads, data dictionary and charts.

One self-contained HTML file (inline stylesheet, inline SVG, no scripts, no external assets) that works opened
straight from disk or from any static file server. Every link is relative to the release directory. It lists
each download with its size, rows and sha256, the column dictionary of each mart, and four charts drawn at
build time from the marts (charts.py). A chart whose mart is missing or empty shows a "no data" note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import quote

import duckdb
import polars as pl

from pipelines import sqlfiles
from pipelines.extracts import charts
from pipelines.extracts.build import Extract, Release, human_bytes, read_catalog
from pipelines.extracts.datapackage import ATTRIBUTION, OGL

TOP_GROUPS = 12
# chart -> (mart, columns its query needs)
CHART_INPUTS = {
    "national_shares": ("keep_it_local_scorecard", {"financial_year", "period_grain", "total_spend", "council_gss",
                                                    "local_authority_share", "sme_share", "vcse_share",
                                                    "large_private_share"}),
    "local_share_ranking": ("keep_it_local_scorecard", {"council_gss", "council_name", "council_type",
                                                        "financial_year", "period_grain", "local_authority_share",
                                                        "peer_median_local_authority_share"}),
    "group_exposure": ("group_exposure", {"group_key", "group_name", "is_strategic", "financial_year", "spend",
                                          "council_gss"}),
    "sourcing_events": ("sourcing_events", {"council_gss", "council_name", "service", "event_type", "start_month",
                                            "from_supplier", "to_supplier", "confidence"}),
}


@dataclass
class ChartData:
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    # chart -> why it has no data frame (mart missing or lacking columns)
    missing: dict[str, str] = field(default_factory=dict)


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pl.DataFrame:
    # DuckDB 2 DB-API results have no .pl(); a relation from con.sql does, with the same bound parameters
    return con.sql(sqlfiles.load(name), params=params or None).pl()


def load_chart_data(con: duckdb.DuckDBPyConnection) -> ChartData:
    """Run the chart queries against the published warehouse; note charts whose mart is missing."""
    catalog = read_catalog(con)
    data = ChartData()
    for chart, (mart, needed) in CHART_INPUTS.items():
        if not catalog.has("marts", mart):
            data.missing[chart] = f"marts.{mart} is not in this warehouse."
            continue
        absent = needed - {name for name, _ in catalog.columns[("marts", mart)]}
        if absent:
            data.missing[chart] = f"marts.{mart} lacks {', '.join(sorted(absent))}."
            continue
        params = {"top": TOP_GROUPS} if chart == "group_exposure" else None
        data.frames[chart] = _frame(con, f"extracts/chart_{chart}", params)
    return data


def render_charts(data: ChartData) -> list[str]:
    renderers = {
        "national_shares": (charts.national_shares_chart, "chart-national-shares", "National shares of council spend"),
        "local_share_ranking": (charts.local_share_ranking_chart, "chart-local-ranking", "Councils ranked by local share"),
        "group_exposure": (charts.group_exposure_chart, "chart-group-exposure", "Largest supplier group exposures"),
        "sourcing_events": (charts.sourcing_events_chart, "chart-sourcing-events", "Detected sourcing events"),
    }
    out = []
    for chart, (render, chart_id, title) in renderers.items():
        if chart in data.frames:
            out.append(render(data.frames[chart]))
        else:
            out.append(charts.no_data(chart_id, title, data.missing.get(chart, "not computed.")))
    return out


def href(relative_path: str) -> str:
    """A relative link to a file under the release directory (each segment percent-encoded)."""
    return quote(relative_path, safe="/")


STYLE = """
:root { --ink: #1d2430; --muted: #5b6575; --line: #dde2ea; --accent: #0b5cad; --paper: #ffffff; --band: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--band); }
header { background: #12355b; color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 650; }
header p { margin: 0; color: #d7e3f1; }
main { max-width: 1120px; margin: 0 auto; padding: 8px 40px 48px; }
section { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 20px 24px;
          margin: 22px 0; }
h2 { margin: 0 0 12px; font-size: 20px; }
h3 { margin: 20px 0 8px; font-size: 16px; }
a { color: var(--accent); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .hash { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.hash { word-break: break-all; color: var(--muted); }
.format { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; background: #e6eef8; }
details { margin-top: 4px; }
summary { cursor: pointer; color: var(--accent); }
details table { margin-top: 6px; font-size: 13px; }
figure.chart { margin: 0 0 26px; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { font-weight: 600; font-size: 16px; margin: 6px 0 8px; }
svg .grid { stroke: #e3e7ee; stroke-width: 1; }
svg .lane { stroke: #eef1f5; stroke-width: 1; }
svg text { fill: #2b3442; }
svg text.value { fill: var(--muted); font-size: 12px; }
.no-data-note { padding: 18px; background: var(--band); border: 1px dashed var(--line); border-radius: 6px;
                color: var(--muted); margin: 0; }
footer { color: var(--muted); font-size: 13px; text-align: center; padding: 10px 0 30px; }
"""


def _downloads_table(extracts: list[Extract]) -> str:
    rows = []
    for e in extracts:
        if len(e.files) == 1:
            f = e.files[0]
            files_cell = f'<a href="{href(f.path)}">{escape(f.path)}</a>'
            hash_cell = f'<span class="hash">{f.sha256}</span>'
        else:
            parts = "".join(
                f'<tr><td><a href="{href(f.path)}">{escape(f.path)}</a></td><td class="num">{f.rows:,}</td>'
                f'<td class="num">{human_bytes(f.bytes)}</td><td class="hash">{f.sha256}</td></tr>' for f in e.files)
            by = ", ".join(e.partition_columns)
            files_cell = (f"<details><summary>{len(e.files)} files, partitioned by {escape(by)}</summary>"
                          f"<table><thead><tr><th>file</th><th>rows</th><th>size</th><th>sha256</th></tr></thead>"
                          f"<tbody>{parts}</tbody></table></details>")
            hash_cell = '<span class="hash">per file (see the list)</span>'
        rows.append(
            f"<tr><td><strong>{escape(e.source_table)}</strong> <span class=\"format\">{e.format}</span>"
            f"<br><span>{escape(e.description)}</span></td><td>{files_cell}</td>"
            f'<td class="num">{e.rows:,}</td><td class="num">{human_bytes(e.bytes)}</td><td>{hash_cell}</td></tr>')
    return ("<table><thead><tr><th>table</th><th>download</th><th>rows</th><th>size</th><th>sha256</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _dictionary(extracts: list[Extract]) -> str:
    parts = []
    seen = set()
    for e in extracts:
        if e.table_schema != "marts" or e.source_table in seen:
            continue
        seen.add(e.source_table)
        grain = f"<p><strong>Grain:</strong> {escape(e.grain)}</p>" if e.grain else ""
        rows = "".join(
            f"<tr><td><code>{escape(c.name)}</code></td><td><code>{escape(c.duckdb_type.lower())}</code></td>"
            f"<td>{escape(c.description) or '&mdash;'}</td></tr>" for c in e.columns)
        parts.append(
            f'<h3 id="dict-{escape(e.table_name)}">{escape(e.source_table)}</h3><p>{escape(e.description)}</p>{grain}'
            f"<table><thead><tr><th>column</th><th>type</th><th>description</th></tr></thead><tbody>{rows}</tbody></table>")
    return "".join(parts) or '<p class="no-data-note">No data: the warehouse has no marts yet.</p>'


def render_index(release: Release, chart_data: ChartData) -> str:
    created = release.created.strftime("%Y-%m-%d %H:%M UTC")
    meta = (
        f"<dl class=\"meta\"><dt>Release</dt><dd>{escape(release.release_id)}</dd>"
        f"<dt>Built</dt><dd>{created}</dd>"
        f"<dt>Pipeline version</dt><dd>{escape(release.pipeline_version)}</dd>"
        f"<dt>Package descriptor</dt><dd><a href=\"{href('datapackage.json')}\">datapackage.json</a> "
        f"(Frictionless Data Package: schemas, row counts, checksums, sources)</dd>"
        # the licence address is printed, not linked: every link on the page stays inside the release
        f"<dt>Licence</dt><dd>{escape(OGL['title'])} (<span class=\"url\">{escape(OGL['path'])}</span>). "
        f"{escape(ATTRIBUTION)}</dd></dl>")
    usage = (
        "<p>Partitioned tables use hive-style folders (<code>financial_year=2023-24/council_gss=E06000001/</code>); "
        "read a whole table with its partition columns restored, e.g. DuckDB "
        "<code>select * from read_parquet('core/fact_payment/**/*.parquet', hive_partitioning = true)</code> or "
        "Polars <code>pl.scan_parquet('core/fact_payment/', hive_partitioning=True)</code>. Money is "
        "<code>decimal(18,2)</code> pounds; shares are percentages (0&ndash;100) of the council's total spend. CSV "
        "text cells that begin with <code>= + - @</code>, a tab or a carriage return carry a leading "
        "<code>'</code> so spreadsheets do not run them as formulas.</p>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Keep it Local observatory: downloads, release {escape(release.release_id)}</title>"
        f"<style>{STYLE}</style></head><body>"
        "<header><h1>Keep it Local observatory: researchers' downloads</h1>"
        "<p>English councils' spending and contract awards, with every supplier classified as local, SME, VCSE, "
        "public body or large private.</p></header><main>"
        f"<section aria-labelledby=\"about\"><h2 id=\"about\">About this release</h2>{meta}</section>"
        f"<section aria-labelledby=\"charts\"><h2 id=\"charts\">Charts</h2>{''.join(render_charts(chart_data))}</section>"
        f"<section aria-labelledby=\"downloads\"><h2 id=\"downloads\">Downloads</h2>{usage}"
        f"{_downloads_table(release.extracts)}</section>"
        f"<section aria-labelledby=\"dictionary\"><h2 id=\"dictionary\">Data dictionary of the marts</h2>"
        f"{_dictionary(release.extracts)}</section>"
        f"</main><footer>{escape(ATTRIBUTION)}</footer></body></html>\n")


def write_index(release_dir: Path, release: Release, chart_data: ChartData) -> Path:
    target = release_dir / "index.html"
    target.write_text(render_index(release, chart_data), encoding="utf-8")
    return target
