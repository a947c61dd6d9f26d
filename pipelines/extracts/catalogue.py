"""The static catalogue page `index.html` of a release: downloads, data dictionary and charts.

One self-contained HTML file (inline stylesheet, inline SVG, no scripts, no external assets) that works opened
straight from disk or from any static file server. Every link is relative to the release directory. It lists
each download with its size, rows and sha256, the column dictionary of every published table, and four charts drawn at
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
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--band); overflow-wrap: anywhere; }
header { background: #12355b; color: #fff; padding: 24px clamp(14px, 4vw, 40px) 20px; }
header h1 { margin: 0 0 6px; font-size: clamp(21px, 5vw, 26px); font-weight: 650; line-height: 1.25; }
header p { margin: 0; color: #d7e3f1; }
main { max-width: 1120px; margin: 0 auto; padding: 8px clamp(8px, 3vw, 40px) 48px; }
section { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
          padding: 18px clamp(12px, 3vw, 24px); margin: 18px 0; }
h2 { margin: 0 0 12px; font-size: 20px; }
h3 { margin: 22px 0 6px; font-size: 16px; }
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
.files-list { max-height: 28em; overflow-y: auto; }
.no-data-note { padding: 18px; background: var(--band); border: 1px dashed var(--line); border-radius: 6px;
                color: var(--muted); margin: 0; }
footer { color: var(--muted); font-size: 13px; text-align: center; padding: 10px 14px 30px; }
/* charts */
figure.chart { margin: 0 0 34px; }
figcaption { font-weight: 650; font-size: 16px; margin: 6px 0 2px; }
.chart-desc { color: var(--muted); font-size: 13px; margin: 0 0 8px; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 0 0 10px; padding: 0;
          font-size: 13px; }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.key { display: inline-block; width: 12px; height: 12px; background: var(--c); }
.key-line { width: 18px; height: 3px; }
.key-circle { border-radius: 50%; }
.key-triangle { clip-path: polygon(50% 0, 100% 100%, 0 100%); }
.axis-title { color: var(--muted); font-size: 13px; margin: 4px 0 0; }
.axis-y { margin: 0 0 4px; }
.bars { display: grid; grid-template-columns: minmax(7rem, 15rem) minmax(0, 1fr) max-content; gap: 4px 10px;
        align-items: center; font-size: 13px; }
.bar-label { text-align: right; line-height: 1.25; }
.bar-sub { display: block; color: var(--muted); font-size: 11px; }
.bar-track { position: relative; height: 18px; background-image: linear-gradient(to right, var(--line) 1px,
             transparent 1px); background-size: var(--grid) 100%; border-right: 1px solid var(--line); }
.bar { display: block; height: 100%; min-width: 1px; background: var(--c); }
.bar-value { color: var(--muted); font-size: 12px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar-axis, .lane-axis { position: relative; height: 18px; font-size: 12px; color: var(--muted); }
.bar-axis span, .lane-axis span { position: absolute; top: 0; white-space: nowrap; }
.at-middle { transform: translateX(-50%); }
.at-end { transform: translateX(-100%); }
.trend { position: relative; padding-left: 44px; }
.y-ticks { position: absolute; left: 0; top: 0; width: 38px; font-size: 12px; color: var(--muted); }
.y-ticks span { position: absolute; right: 0; transform: translateY(-50%); }
svg.plot { display: block; overflow: visible; }
svg.plot .grid { stroke: #e3e7ee; stroke-width: 1; }
svg.plot text { fill: #2b3442; font-size: 12px; }
.timeline { display: grid; grid-template-columns: minmax(7rem, 14rem) minmax(0, 1fr); gap: 2px 10px;
            align-items: center; font-size: 13px; }
.lane-label { text-align: right; line-height: 1.25; }
.lane { position: relative; height: 28px; border-bottom: 1px solid #eef1f5; }
.lane i { position: absolute; top: 0; bottom: 0; border-left: 1px solid #eef1f5; }
.ev { position: absolute; top: 7px; width: 13px; height: 13px; margin-left: -6.5px; background: var(--c); }
.ev-circle { border-radius: 50%; }
.ev-triangle { clip-path: polygon(50% 0, 100% 100%, 0 100%); }
@media (max-width: 560px) {
  .meta { grid-template-columns: 1fr; }
  .meta dd { margin-bottom: 6px; }
  .bars { grid-template-columns: minmax(0, 1fr) max-content; }
  .bar-label, .lane-label { grid-column: 1 / -1; text-align: left; margin-top: 6px; }
  .bar-axis-gap, .lane-gap { display: none; }
  .timeline { grid-template-columns: minmax(0, 1fr); }
  svg.plot text.minor, .lane-axis .minor { display: none; }
  /* tables become one card per row, each cell labelled */
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack thead { display: none; }
  table.stack tr { border-bottom: 2px solid var(--line); padding: 6px 0; }
  table.stack td { border: 0; padding: 2px 4px; text-align: left; white-space: normal; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
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
                f'<tr><td data-label="file"><a href="{href(f.path)}">{escape(f.path)}</a></td>'
                f'<td class="num" data-label="rows">{f.rows:,}</td>'
                f'<td class="num" data-label="size">{human_bytes(f.bytes)}</td>'
                f'<td class="hash" data-label="sha256">{f.sha256}</td></tr>' for f in e.files)
            by = ", ".join(e.partition_columns)
            files_cell = (f"<details><summary>{len(e.files)} files, one per {escape(by)}</summary>"
                          f'<div class="files-list"><table class="stack"><thead><tr><th>file</th><th>rows</th>'
                          f"<th>size</th><th>sha256</th></tr></thead><tbody>{parts}</tbody></table></div></details>")
            hash_cell = '<span class="hash">per file (see the list)</span>'
        rows.append(
            f"<tr><td><strong>{escape(e.source_table)}</strong> <span class=\"format\">{e.format}</span>"
            f"<br><span>{escape(e.description)}</span></td><td data-label=\"download\">{files_cell}</td>"
            f'<td class="num" data-label="rows">{e.rows:,}</td><td class="num" data-label="size">'
            f'{human_bytes(e.bytes)}</td><td data-label="sha256">{hash_cell}</td></tr>')
    return ('<table class="stack"><thead><tr><th>table</th><th>download</th><th>rows</th><th>size</th><th>sha256</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _dictionary(extracts: list[Extract]) -> str:
    """One section per published table (marts, facts, dimensions, crosswalk), in download order."""
    parts = []
    seen = set()
    for e in extracts:
        if e.source_table in seen:
            continue
        seen.add(e.source_table)
        grain = f"<p><strong>Grain:</strong> {escape(e.grain)}</p>" if e.grain else ""
        rows = "".join(
            f"<tr><td data-label=\"column\"><code>{escape(c.name)}</code></td>"
            f"<td data-label=\"type\"><code>{escape(c.duckdb_type.lower())}</code></td>"
            f"<td data-label=\"meaning\">{escape(c.description) or '&mdash;'}</td></tr>" for c in e.columns)
        parts.append(
            f'<h3 id="dict-{escape(e.table_schema)}-{escape(e.table_name)}">{escape(e.source_table)}</h3>'
            f"<p>{escape(e.description)}</p>{grain}"
            f'<table class="stack"><thead><tr><th>column</th><th>type</th><th>meaning</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")
    return "".join(parts) or '<p class="no-data-note">No data: the warehouse has no published tables yet.</p>'


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
        "<p>Partitioned tables use hive-style folders (<code>financial_year=2023-24/council_gss=E06000001/</code>), "
        "and every file also holds those values as columns, so a single downloaded file says which council and "
        "year it covers. Read a whole table with e.g. DuckDB "
        "<code>select * from read_parquet('core/fact_payment/**/*.parquet')</code> or "
        "Polars <code>pl.scan_parquet('core/fact_payment/')</code>. Money is "
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
        f"<section aria-labelledby=\"dictionary\"><h2 id=\"dictionary\">Data dictionary</h2>"
        f"{_dictionary(release.extracts)}</section>"
        f"</main><footer>{escape(ATTRIBUTION)}</footer></body></html>\n")


def write_index(release_dir: Path, release: Release, chart_data: ChartData) -> Path:
    target = release_dir / "index.html"
    target.write_text(render_index(release, chart_data), encoding="utf-8")
    return target
