"""Inline SVG charts for the catalogue page, drawn at build time with no plotting library and no JavaScript.

Each function takes the rows of one chart query (a Polars DataFrame) and returns an HTML fragment: a
`<figure>` holding an `<svg role="img">` with a `<title>` and `<desc>` for screen readers, or a "no data" note
when the mart is empty. Every data mark (point, bar, event marker) has `class="mark"` and its own `<title>`
(the value shown as a tooltip), so the page and its tests can count what was drawn.

Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies; event types
also differ by shape.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape

import polars as pl

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SHARE_SERIES = [
    ("local_share", "Local (council area)", "#0072B2"),
    ("sme_share", "SME", "#E69F00"),
    ("vcse_share", "VCSE", "#009E73"),
    ("large_private_share", "Large private", "#CC79A7"),
]
EVENT_STYLES = {  # event_type -> (label, colour, shape)
    "outsourcing": ("Outsourcing", "#D55E00", "circle"),
    "insourcing": ("Insourcing", "#0072B2", "square"),
    "relet": ("Relet", "#009E73", "triangle"),
}
WIDTH = 880
FONT = 13


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _figure(chart_id: str, title: str, description: str, body: str, width: int, height: int) -> str:
    return (
        f'<figure class="chart" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif" font-size="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{body}</svg></figure>"
    )


def no_data(chart_id: str, title: str, reason: str) -> str:
    return (f'<figure class="chart no-data" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
            f'<p class="no-data-note">No data: {escape(reason)}</p></figure>')


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "", extra: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{cls}{extra}>{escape(text)}</text>'


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value`: 1, 2, 2.5 or 5 times a power of ten."""
    if not value or value <= 0 or math.isnan(value):
        return 10.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if value <= step * magnitude * (1 + 1e-9))


def _legend(items: list[tuple[str, str, str]], x: float, y: float) -> str:
    """A horizontal legend: (label, colour, shape) with shape one of line, square, circle, triangle."""
    parts = ['<g class="legend">']
    cursor = x
    for label, colour, shape in items:
        if cursor > x and cursor + 36 + 7.6 * len(label) > WIDTH:  # wrap rather than run off the chart
            cursor, y = x, y + 18
        parts.append(_shape(shape, cursor + 6, y - 4, 5, colour, css="legend-key"))
        parts.append(_text(cursor + 16, y, label))
        cursor += 36 + 7.6 * len(label)
    parts.append("</g>")
    return "".join(parts)


def _shape(shape: str, cx: float, cy: float, r: float, colour: str, css: str, title: str = "", data: str = "") -> str:
    inner = f"<title>{escape(title)}</title>" if title else ""
    common = f'class="{css}" fill="{colour}"{data}'
    if shape == "square":
        return f'<rect {common} x="{cx - r:.1f}" y="{cy - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}">{inner}</rect>'
    if shape == "triangle":
        points = f"{cx:.1f},{cy - r * 1.2:.1f} {cx + r * 1.1:.1f},{cy + r * 0.9:.1f} {cx - r * 1.1:.1f},{cy + r * 0.9:.1f}"
        return f'<polygon {common} points="{points}">{inner}</polygon>'
    if shape == "line":
        return (f'<rect {common} x="{cx - 8:.1f}" y="{cy - 1.5:.1f}" width="16" height="3">{inner}</rect>')
    return f'<circle {common} cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}">{inner}</circle>'


def format_pounds(value: float) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e9:
        return f"{sign}£{value / 1e9:.1f}bn"
    if value >= 1e6:
        return f"{sign}£{value / 1e6:.1f}m"
    if value >= 1e3:
        return f"{sign}£{value / 1e3:.0f}k"
    return f"{sign}£{value:.0f}"


# ---------------------------------------------------------------------------------------------- (a) trend


def national_shares_chart(rows: pl.DataFrame) -> str:
    """Spend-weighted national shares (local, SME, VCSE, large private) by financial year: lines with points."""
    chart_id, title = "chart-national-shares", "National shares of council spend by financial year"
    if rows.is_empty():
        return no_data(chart_id, title, "the scorecard has no yearly rows yet.")
    years = rows["financial_year"].cast(pl.String).to_list()
    values = {key: rows[key].to_list() for key, _, _ in SHARE_SERIES}
    top = _nice_max(max((v for series in values.values() for v in series if v is not None), default=0))
    left, right, top_pad, bottom = 60, 24, 44, 48
    height = 340
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    step = plot_w / max(len(years), 1)

    def x_at(i: int) -> float:
        return left + step * (i + 0.5)

    def y_at(v: float) -> float:
        return top_pad + plot_h * (1 - v / top)

    body = [_legend([(label, colour, "line") for _, label, colour in SHARE_SERIES], left, 22)]
    body.append('<g class="axis">')
    for k in range(6):
        v = top * k / 5
        y = y_at(v)
        body.append(f'<line class="grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(_text(left - 8, y + 4, f"{v:g}%", "end"))
    for i, year in enumerate(years):
        body.append(_text(x_at(i), height - bottom + 20, year, "middle"))
    body.append(_text(16, top_pad + plot_h / 2, "share of spend (%)", "middle",
                      extra=f' transform="rotate(-90 16 {top_pad + plot_h / 2:.1f})"'))
    body.append("</g>")
    for key, label, colour in SHARE_SERIES:
        points = [(x_at(i), y_at(v), year, v) for i, (year, v) in enumerate(zip(years, values[key])) if v is not None]
        body.append(f'<g class="series" data-series="{key}">')
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{path}"/>')
        for x, y, year, v in points:
            body.append(_shape("circle", x, y, 4.5, colour, "mark", f"{label}, {year}: {v:.1f}%",
                               f' data-series="{key}"'))
        body.append("</g>")
    description = (f"Line chart of the spend-weighted share of council spend going to local, SME, VCSE and large "
                   f"private suppliers, {years[0]} to {years[-1]}.")
    return _figure(chart_id, title, description, "".join(body), WIDTH, height)


# ---------------------------------------------------------------------------------------------- (b) ranking


def local_share_ranking_chart(rows: pl.DataFrame) -> str:
    """Councils ranked by local share in the latest year, bars coloured by peer group (council type)."""
    chart_id = "chart-local-ranking"
    if rows.is_empty():
        return no_data(chart_id, "Councils ranked by local share", "the scorecard has no yearly rows yet.")
    year = str(rows["financial_year"][0])
    title = f"Councils ranked by share of spend with suppliers in their own area, {year}"
    types = sorted(set(rows["council_type"].to_list()))
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    label_w, right, top_pad, bar_h, gap = 230, 70, 44, 18, 6
    height = top_pad + len(rows) * (bar_h + gap) + 30
    plot_w = WIDTH - label_w - right
    top = _nice_max(float(rows["local_authority_share"].max() or 0))
    # peer-group names are long: the legend starts at the left edge rather than over the bars
    body = [_legend([(t, colours[t], "square") for t in types], 20, 22)]
    for k in range(5):
        x = label_w + plot_w * k / 4
        body.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top_pad - 6}" y2="{height - 24}"/>')
        body.append(_text(x, height - 8, f"{top * k / 4:g}%", "middle"))
    for i, row in enumerate(rows.iter_rows(named=True)):
        y = top_pad + i * (bar_h + gap)
        share = float(row["local_authority_share"])
        w = max(plot_w * max(share, 0) / top, 1)
        name = str(row["council_name"] or row["council_gss"])
        body.append(_text(label_w - 8, y + bar_h - 4, name if len(name) <= 32 else name[:31] + "…", "end"))
        tip = f"{name} ({row['council_type']}): {share:.1f}% local"
        if row.get("peer_median_local_authority_share") is not None:
            tip += f"; peer median {float(row['peer_median_local_authority_share']):.1f}%"
        body.append(f'<rect class="mark" data-series="{_attr(row["council_type"])}" x="{label_w}" y="{y}" '
                    f'width="{w:.1f}" height="{bar_h}" fill="{colours[row["council_type"]]}"><title>{escape(tip)}</title></rect>')
        body.append(_text(label_w + w + 6, y + bar_h - 4, f"{share:.1f}%", css="value"))
    description = (f"Horizontal bar chart of {len(rows)} councils ordered by the share of their {year} spend with "
                   f"suppliers located in their own area; bar colour is the council type (peer group).")
    return _figure(chart_id, title, description, "".join(body), WIDTH, height)


# ---------------------------------------------------------------------------------------------- (c) groups


def group_exposure_chart(rows: pl.DataFrame) -> str:
    """The largest supplier groups by spend across councils; strategic suppliers flagged in colour and label."""
    chart_id = "chart-group-exposure"
    if rows.is_empty():
        return no_data(chart_id, "Largest supplier group exposures", "the group exposure mart is empty.")
    year = str(rows["financial_year"][0])
    title = f"Largest supplier groups by council spend, {year}"
    label_w, right, top_pad, bar_h, gap = 260, 150, 44, 20, 8
    height = top_pad + len(rows) * (bar_h + gap) + 16
    plot_w = WIDTH - label_w - right
    top = float(rows["spend"].max() or 0) or 1.0
    strategic_colour, other_colour = "#D55E00", "#56B4E9"
    body = [_legend([("Strategic supplier", strategic_colour, "square"), ("Other group", other_colour, "square")],
                    label_w, 22)]
    for i, row in enumerate(rows.iter_rows(named=True)):
        y = top_pad + i * (bar_h + gap)
        spend = float(row["spend"] or 0)
        w = max(plot_w * max(spend, 0) / top, 1)
        name = str(row["group_name"] or row["group_key"])
        strategic = bool(row["is_strategic"])
        label = (name if len(name) <= 30 else name[:29] + "…") + (" ★" if strategic else "")
        body.append(_text(label_w - 8, y + bar_h - 5, label, "end"))
        tip = (f"{name}{' (strategic supplier)' if strategic else ''}: {format_pounds(spend)} "
               f"across {row['councils_exposed']} councils")
        colour = strategic_colour if strategic else other_colour
        body.append(f'<rect class="mark" data-series="{"strategic" if strategic else "other"}" x="{label_w}" '
                    f'y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"><title>{escape(tip)}</title></rect>')
        body.append(_text(label_w + w + 6, y + bar_h - 5,
                          f"{format_pounds(spend)} · {row['councils_exposed']} councils", css="value"))
    description = (f"Horizontal bar chart of the {len(rows)} supplier groups with the most council spend in {year}; "
                   f"strategic suppliers are orange and starred.")
    return _figure(chart_id, title, description, "".join(body), WIDTH, height)


# ---------------------------------------------------------------------------------------------- (d) events


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def sourcing_events_chart(rows: pl.DataFrame) -> str:
    """Detected sourcing events on a timeline: one row per council, a marker per event shaped by event type."""
    chart_id, title = "chart-sourcing-events", "Detected outsourcing, insourcing and relet events"
    if rows.is_empty():
        return no_data(chart_id, title, "no sourcing events were detected.")
    councils = list(dict.fromkeys(rows["council_name"].to_list()))
    months = [_month_index(d) for d in rows["start_month"].to_list()]
    first, last = min(months) - 1, max(months) + 1
    label_w, right, top_pad, row_h = 230, 30, 44, 30
    height = top_pad + len(councils) * row_h + 40
    plot_w = WIDTH - label_w - right

    def x_at(month: int) -> float:
        return label_w + plot_w * (month - first) / max(last - first, 1)

    kinds = [k for k in EVENT_STYLES if k in set(rows["event_type"].to_list())]
    others = sorted(set(rows["event_type"].to_list()) - set(EVENT_STYLES))
    styles = dict(EVENT_STYLES)
    for i, kind in enumerate(others):
        styles[kind] = (kind, PALETTE[(i + 3) % len(PALETTE)], "circle")
    body = [_legend([(styles[k][0], styles[k][1], styles[k][2]) for k in kinds + others], label_w, 22)]
    # ticks every 1, 3, 6 or 12 months so that at most ~10 labels fit
    span = last - first
    tick_every = next(s for s in (1, 3, 6, 12, 24, 60) if span / s <= 10)
    plot_bottom = top_pad + len(councils) * row_h
    for month in range(first, last + 1):
        if month % tick_every:
            continue
        x = x_at(month)
        body.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top_pad - 6}" y2="{plot_bottom}"/>')
        body.append(_text(x, plot_bottom + 18, dt.date(month // 12, month % 12 + 1, 1).strftime("%b %Y"), "middle"))
    for i, council in enumerate(councils):
        y = top_pad + i * row_h + row_h / 2
        body.append(f'<line class="lane" x1="{label_w}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(_text(label_w - 8, y + 4, council if len(council) <= 32 else council[:31] + "…", "end"))
    lanes = {c: i for i, c in enumerate(councils)}
    for row, month in zip(rows.iter_rows(named=True), months):
        label, colour, shape = styles[row["event_type"]]
        y = top_pad + lanes[row["council_name"]] * row_h + row_h / 2
        change = f"{row.get('from_supplier') or 'in-house'} → {row.get('to_supplier') or 'in-house'}"
        tip = f"{row['council_name']}: {label.lower()} of {row['service']} from {row['start_month']:%b %Y} ({change})"
        body.append(_shape(shape, x_at(month), y, 6.5, colour, "mark", tip, f' data-series="{_attr(row["event_type"])}"'))
    description = (f"Timeline of {len(rows)} detected sourcing events across {len(councils)} councils; the marker "
                   f"shape and colour give the event type.")
    return _figure(chart_id, title, description, "".join(body), WIDTH, height)
