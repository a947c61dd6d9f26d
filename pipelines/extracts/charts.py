"""Charts for the catalogue page, drawn at build time as plain HTML and SVG: no plotting library, no JavaScript.

Every chart must read well from a 360 px phone to a desktop, so nothing is drawn in a scaled `viewBox` (whose
text shrinks with the screen):

* bar charts and the event timeline are HTML grids: names wrap instead of being cut, bars are percentage widths,
  and below 560 px each name moves above its bar;
* the trend chart is an SVG whose x positions are percentages of its width and whose y positions are pixels, so
  it stretches to any width while its text keeps its size; year labels thin out on narrow screens.

Each function takes the rows of one chart query (a Polars DataFrame) and returns a `<figure>` with a caption, a
description for screen readers, axis titles, a legend listing only series that are drawn, and marks: every data
mark (point, bar, event marker) has `class="mark"`, a `data-series` and a tooltip (`<title>` or `title=`) with the
full name and value, so the page and its tests can count what was drawn. Axis ticks are round numbers (1, 2 or 5
times a power of ten). Labels are for people: council types and event types are named, not keyed.

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
    "relet": ("Re-let to another supplier", "#009E73", "triangle"),
}
COUNCIL_TYPE_LABELS = {
    "county": "County council",
    "district": "District council",
    "unitary": "Unitary authority",
    "metropolitan": "Metropolitan borough",
    "london_borough": "London borough",
    "combined_authority": "Combined authority",
    "gla": "Greater London Authority",
    "unknown": "Type not known",
}
LINE_PLOT_HEIGHT = 240  # px: the trend chart's plot area (its width is the page's)


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def humanise(key: object) -> str:
    """A data key as a label: `london_borough` -> `London borough` (known council types get their proper name)."""
    text = str(key)
    if text in COUNCIL_TYPE_LABELS:
        return COUNCIL_TYPE_LABELS[text]
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def nice_ticks(value: float, max_ticks: int = 6) -> list[float]:
    """Round axis ticks from 0 to at least `value`: steps of 1, 2 or 5 times a power of ten, at most `max_ticks`."""
    if not value or value <= 0 or math.isnan(value):
        value = 1.0
    for magnitude in (10 ** k for k in range(math.floor(math.log10(value / max_ticks)) - 1, 20)):
        for base in (1, 2, 5):
            step = base * magnitude
            count = math.ceil(value / step - 1e-9)
            if count + 1 <= max_ticks:
                return [round(step * i, 10) for i in range(count + 1)]
    raise AssertionError("unreachable")


def _tick_label(value: float, unit: str) -> str:
    if unit == "£":
        return format_pounds(value)
    return f"{value:g}{unit}"


def format_pounds(value: float) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    for threshold, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if value >= threshold:
            scaled = value / threshold
            return f"{sign}£{scaled:.1f}{suffix}" if scaled < 10 and scaled != int(scaled) else f"{sign}£{scaled:.0f}{suffix}"
    return f"{sign}£{value:.0f}"


def _figure(chart_id: str, title: str, description: str, body: str) -> str:
    return (f'<figure class="chart" id="{chart_id}" aria-labelledby="{chart_id}-title" '
            f'aria-describedby="{chart_id}-desc"><figcaption id="{chart_id}-title">{escape(title)}</figcaption>'
            f'<p class="chart-desc" id="{chart_id}-desc">{escape(description)}</p>{body}</figure>')


def no_data(chart_id: str, title: str, reason: str) -> str:
    return (f'<figure class="chart no-data" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
            f'<p class="no-data-note">No data: {escape(reason)}</p></figure>')


def _legend(items: list[tuple[str, str, str, str]]) -> str:
    """(series key, label, colour, shape) for the series actually drawn; shape: line, square, circle, triangle."""
    entries = "".join(
        f'<li data-series="{_attr(key)}"><span class="key key-{shape}" style="--c:{colour}" aria-hidden="true">'
        f"</span>{escape(label)}</li>" for key, label, colour, shape in items)
    return f'<ul class="legend" aria-label="Legend">{entries}</ul>'


def _axis_label(x_pct: float, text: str, minor: bool = False) -> str:
    """A tick label under a lane or bar track, kept inside it at both ends; minor ones hide on phones."""
    anchor = "start" if x_pct < 6 else "end" if x_pct > 94 else "middle"
    css = f"at-{anchor}" + (" minor" if minor else "")
    return f'<span class="{css}" style="left:{x_pct:.3f}%">{escape(text)}</span>'


def _axis_title(text: str, css: str = "x") -> str:
    return f'<p class="axis-title axis-{css}">{escape(text)}</p>'


# ---------------------------------------------------------------------------------------------- bars (HTML)


def _bar_chart(rows: list[dict], ticks: list[float], unit: str, axis_title: str) -> str:
    """Horizontal bars: each row {label, sublabel, value, series, colour, tip, value_text}."""
    top = ticks[-1] or 1.0
    grid = f"--grid:{100 / (len(ticks) - 1):.4f}%"
    parts = [f'<div class="bars" style="{grid}">']
    for row in rows:
        width = max(0.0, min(100.0, 100 * row["value"] / top))
        sub = f'<span class="bar-sub">{escape(row["sublabel"])}</span>' if row.get("sublabel") else ""
        parts.append(
            f'<div class="bar-label">{escape(row["label"])}{sub}</div>'
            f'<div class="bar-track"><span class="bar mark" data-series="{_attr(row["series"])}" '
            f'style="width:{width:.2f}%;--c:{row["colour"]}" title="{_attr(row["tip"])}"></span></div>'
            f'<div class="bar-value">{escape(row["value_text"])}</div>')
    labels = "".join(_axis_label(100 * t / top, _tick_label(t, unit)) for t in ticks)
    parts.append(f'<div class="bar-axis-gap"></div><div class="bar-axis" aria-hidden="true">{labels}</div>'
                 f'<div class="bar-axis-gap"></div></div>')
    parts.append(_axis_title(axis_title))
    return "".join(parts)


def local_share_ranking_chart(rows: pl.DataFrame) -> str:
    """Councils ranked by local share in the latest year, bars coloured by peer group (council type)."""
    chart_id = "chart-local-ranking"
    if rows.is_empty():
        return no_data(chart_id, "Councils ranked by local share", "the scorecard has no yearly rows yet.")
    year = str(rows["financial_year"][0])
    title = f"Councils ranked by share of spend with suppliers in their own area, {year}"
    types = sorted(set(rows["council_type"].to_list()), key=humanise)
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    ticks = nice_ticks(float(rows["local_authority_share"].max() or 0), max_ticks=5)
    bars = []
    for row in rows.iter_rows(named=True):
        share = float(row["local_authority_share"])
        name = str(row["council_name"] or row["council_gss"])
        tip = f"{name} ({humanise(row['council_type'])}): {share:.1f}% of spend with suppliers in its own area"
        if row.get("peer_median_local_authority_share") is not None:
            tip += f"; median of its council type {float(row['peer_median_local_authority_share']):.1f}%"
        bars.append({"label": name, "sublabel": humanise(row["council_type"]), "value": share,
                     "series": row["council_type"], "colour": colours[row["council_type"]], "tip": tip,
                     "value_text": f"{share:.1f}%"})
    legend = _legend([(t, humanise(t), colours[t], "square") for t in types])
    description = (f"Bar chart of {len(rows)} councils ordered by the share of their {year} spend with suppliers "
                   f"located in their own area; bar colour is the council type (the peer group they are compared in).")
    body = legend + _bar_chart(bars, ticks, "%", "Share of the council's spend with suppliers in its own area (%)")
    return _figure(chart_id, title, description, body)


def group_exposure_chart(rows: pl.DataFrame) -> str:
    """The largest supplier groups by spend across councils; strategic suppliers flagged in colour and label."""
    chart_id = "chart-group-exposure"
    if rows.is_empty():
        return no_data(chart_id, "Largest supplier group exposures", "the group exposure mart is empty.")
    year = str(rows["financial_year"][0])
    title = f"Largest supplier groups by council spend, {year}"
    strategic_colour, other_colour = "#D55E00", "#56B4E9"
    ticks = nice_ticks(float(rows["spend"].max() or 0), max_ticks=4)  # money labels are wide: fewer of them
    bars, drawn = [], set()
    for row in rows.iter_rows(named=True):
        spend = float(row["spend"] or 0)
        name = str(row["group_name"] or row["group_key"])
        strategic = bool(row["is_strategic"])
        drawn.add(strategic)
        councils = int(row["councils_exposed"])
        tip = (f"{name}{' (strategic supplier)' if strategic else ''}: {format_pounds(spend)} "
               f"across {councils} council{'s' if councils != 1 else ''}")
        bars.append({"label": name, "sublabel": "Strategic supplier" if strategic else "",
                     "value": spend, "series": "strategic" if strategic else "other",
                     "colour": strategic_colour if strategic else other_colour, "tip": tip,
                     "value_text": f"{format_pounds(spend)} · {councils} council{'s' if councils != 1 else ''}"})
    legend = _legend([(k, label, c, "square") for k, label, c, present in (
        ("strategic", "Strategic supplier (Cabinet Office list)", strategic_colour, True in drawn),
        ("other", "Other supplier group", other_colour, False in drawn)) if present])
    description = (f"Bar chart of the {len(rows)} supplier groups (subsidiaries rolled up) with the most council "
                   f"spend in {year}, with how many councils pay each"
                   + ("; strategic suppliers are orange." if True in drawn else "."))
    body = legend + _bar_chart(bars, ticks, "£", f"Council spend with the group, {year} (£)")
    return _figure(chart_id, title, description, body)


# ---------------------------------------------------------------------------------------------- trend (SVG)


def national_shares_chart(rows: pl.DataFrame) -> str:
    """Spend-weighted national shares (local, SME, VCSE, large private) by financial year: lines with points."""
    chart_id, title = "chart-national-shares", "National shares of council spend by financial year"
    if rows.is_empty():
        return no_data(chart_id, title, "the scorecard has no yearly rows yet.")
    years = rows["financial_year"].cast(pl.String).to_list()
    series = [(key, label, colour, rows[key].to_list()) for key, label, colour in SHARE_SERIES
              if rows[key].drop_nulls().len()]
    ticks = nice_ticks(max((v for *_, values in series for v in values if v is not None), default=0))
    top, height = ticks[-1], LINE_PLOT_HEIGHT
    # label every year when few; else every k-th, the rest only on wide screens
    every = max(1, math.ceil(len(years) / 5))

    def x_pct(i: int) -> float:
        return 100 * (i + 0.5) / len(years)

    def y_px(v: float) -> float:
        return 8 + (height - 16) * (1 - v / top)

    svg = [f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" role="img" width="100%" height="{height + 24}" '
           f'aria-labelledby="{chart_id}-title {chart_id}-desc">']
    for t in ticks:
        svg.append(f'<line class="grid" x1="0" x2="100%" y1="{y_px(t):.1f}" y2="{y_px(t):.1f}"/>')
    for i, year in enumerate(years):
        minor = "" if i % every == 0 or i == len(years) - 1 else " minor"
        svg.append(f'<text class="x-tick{minor}" x="{x_pct(i):.3f}%" y="{height + 18}" '
                   f'text-anchor="middle">{escape(year)}</text>')
    for key, label, colour, values in series:
        points = [(x_pct(i), y_px(v), year, v) for i, (year, v) in enumerate(zip(years, values)) if v is not None]
        svg.append(f'<g class="series" data-series="{key}">')
        for (x1, y1, *_), (x2, y2, *_) in zip(points, points[1:]):
            svg.append(f'<line x1="{x1:.3f}%" y1="{y1:.1f}" x2="{x2:.3f}%" y2="{y2:.1f}" stroke="{colour}" '
                       f'stroke-width="2.5"/>')
        for x, y, year, v in points:
            svg.append(f'<circle class="mark" data-series="{key}" cx="{x:.3f}%" cy="{y:.1f}" r="4.5" '
                       f'fill="{colour}"><title>{escape(f"{label}, {year}: {v:.1f}%")}</title></circle>')
        svg.append("</g>")
    svg.append("</svg>")
    y_ticks = "".join(f'<span style="top:{y_px(t):.1f}px">{_tick_label(t, "%")}</span>' for t in ticks)
    body = (_legend([(key, label, colour, "line") for key, label, colour, _ in series])
            + _axis_title("Share of council spend (%)", "y")
            + f'<div class="trend"><div class="y-ticks" aria-hidden="true">{y_ticks}</div>{"".join(svg)}</div>'
            + _axis_title("Financial year (April to March)"))
    description = (f"Line chart of the spend-weighted share of all councils' spend going to "
                   f"{', '.join(label for _, label, _, _ in series)} suppliers, {years[0]} to {years[-1]}.")
    return _figure(chart_id, title, description, body)


# ---------------------------------------------------------------------------------------------- events (HTML)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def sourcing_events_chart(rows: pl.DataFrame) -> str:
    """Detected sourcing events on a timeline: one lane per council, a marker per event shaped by event type."""
    chart_id, title = "chart-sourcing-events", "Detected outsourcing, insourcing and re-let events"
    if rows.is_empty():
        return no_data(chart_id, title, "no sourcing events were detected.")
    councils = list(dict.fromkeys(rows["council_name"].to_list()))
    months = [_month_index(d) for d in rows["start_month"].to_list()]
    first, last = min(months) - 1, max(months) + 1
    span = max(last - first, 1)

    def x_pct(month: int) -> float:
        return 100 * (month - first) / span

    present = set(rows["event_type"].to_list())
    styles = dict(EVENT_STYLES)
    for i, kind in enumerate(sorted(present - set(EVENT_STYLES))):
        styles[kind] = (humanise(kind), PALETTE[(i + 3) % len(PALETTE)], "circle")
    kinds = [k for k in styles if k in present]
    # ticks on round months: every quarter, half-year, year ... so that at most ~6 labels share the lane
    tick_every = next(s for s in (3, 6, 12, 24, 60, 120) if span / s <= 6)
    ticks = [m for m in range(first, last + 1) if m % tick_every == 0]
    grid = "".join(f'<i style="left:{x_pct(m):.3f}%"></i>' for m in ticks)
    lanes: dict[str, list[str]] = {c: [] for c in councils}
    for row, month in zip(rows.iter_rows(named=True), months):
        label, colour, shape = styles[row["event_type"]]
        change = f"{row.get('from_supplier') or 'in-house'} → {row.get('to_supplier') or 'in-house'}"
        tip = (f"{row['council_name']}: {label.lower()} of {humanise(row['service']).lower()} from "
               f"{row['start_month']:%B %Y} ({change})")
        lanes[row["council_name"]].append(
            f'<span class="mark ev ev-{shape}" data-series="{_attr(row["event_type"])}" '
            f'style="left:{x_pct(month):.3f}%;--c:{colour}" title="{_attr(tip)}" role="img" '
            f'aria-label="{_attr(tip)}"></span>')
    parts = ['<div class="timeline">']
    for council in councils:
        parts.append(f'<div class="lane-label">{escape(council)}</div>'
                     f'<div class="lane">{grid}{"".join(lanes[council])}</div>')
    # month labels are wide: on a phone only every other one shows (the last one always)
    labels = "".join(_axis_label(x_pct(m), dt.date(m // 12, m % 12 + 1, 1).strftime("%b %Y" if tick_every < 12 else "%Y"),
                                 minor=len(ticks) > 3 and (len(ticks) - 1 - i) % 2 == 1)
                     for i, m in enumerate(ticks))
    parts.append(f'<div class="lane-gap"></div><div class="lane-axis" aria-hidden="true">{labels}</div></div>')
    body = (_legend([(k, styles[k][0], styles[k][1], styles[k][2]) for k in kinds]) + "".join(parts)
            + _axis_title("Month the change took effect"))
    description = (f"Timeline of {len(rows)} detected sourcing events across {len(councils)} councils; the marker "
                   f"shape and colour give the event type.")
    return _figure(chart_id, title, description, body)
