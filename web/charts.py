"""Time charts and sparklines drawn on the server as SVG: no script, no canvas, no CDN.

Pure geometry (no Django): a view turns its rows into `Series` of `Point`s,
calls `time_chart(...)` or `sparkline(...)`, and passes the result to a
template partial that only prints it:

    {% include "components/time_chart.html" with chart=chart %}
    {% include "components/sparkline.html" with spark=spark %}

Usage (a key result's readings and check-ins on one time axis, with its target):

    from web.charts import Point, Series, time_chart
    chart = time_chart(
        [
            Series("Readings", [Point(r.observed_at, r.value) for r in readings]),
            Series("Check-ins", [Point(c.checked_at, c.value, c.note) for c in check_ins],
                   style="points", tone="green"),
        ],
        guides=[("Target", kr.target)],
        label="Readings and check-ins of …",
    )

The plot is drawn in a 1000 x 1000 box stretched to the figure
(`preserveAspectRatio="none"`, strokes not scaled), and the axis labels are
HTML placed by percentage: the chart fills any width, from a phone to a wide
screen, and its text stays at the page's size. A marker is a zero-length path
with a round cap, so it stays round however the box is stretched. Each point
may carry a `note`, shown as the marker's tooltip (SVG <title>).

Styles: "line" joins the points, "steps" holds each value until the next
(a key result's current value), "points" draws markers only. Markers are drawn
when a series has at most MARKERS_MAX points (a downsampled history is a line).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils.html import format_html_join

BOX = 1000.0
MARKERS_MAX = 90
TONES = ("accent", "green", "yellow", "red", "muted")


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    note: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[Point]
    style: str = "line"  # line | steps | points
    tone: str = "accent"  # one of TONES (a CSS class of the partial)


@dataclass(frozen=True)
class Tick:
    pos: float  # percent along the axis (0 = left / top)
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class DrawnSeries:
    name: str
    tone: str
    path: str
    markers: list[Marker]

    @property
    def markers_svg(self) -> str:
        """The markers as SVG, joined here: a page of 100 key-result charts drew ~5,000
        markers through the template engine, most of the OKR page's time."""
        return format_html_join(
            "",
            '<path class="tchart-dot" d="M{} {}h0"><title>{} {}</title></path>',
            ((m.x, m.y, self.name, m.title) for m in self.markers),
        )


# A guide's label sits above its line, or below it when the line is this close
# (percent of the plot) to the plot's top edge: above, it would leave the plot.
GUIDE_LABEL_BELOW_PCT = 12.0


@dataclass(frozen=True)
class Guide:
    label: str
    y: float  # in the 0..1000 box
    pos: float  # percent from the top
    below: bool = False  # the label under the line (a line at the top of the plot)


@dataclass(frozen=True)
class TimeChart:
    label: str
    series: list[DrawnSeries]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    guides: list[Guide] = field(default_factory=list)
    empty: bool = False
    height: int = 240
    box: int = int(BOX)


@dataclass(frozen=True)
class Sparkline:
    path: str
    last: Marker | None
    label: str
    trend: str  # up | down | flat
    empty: bool = False


def _ts(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def _nice_step(span: float, count: int) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^n) giving about `count` intervals over `span`."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover


def format_value(value: float) -> str:
    """A compact number: 1234567 -> 1.23M, 0.125 -> 0.125, 45.0 -> 45."""
    size = abs(value)
    for limit, divisor, suffix in (
        (1e12, 1e12, "T"),
        (1e9, 1e9, "B"),
        (1e6, 1e6, "M"),
        (1e4, 1e3, "k"),
    ):
        if size >= limit:
            return f"{value / divisor:.3g}{suffix}"
    if value == int(value):
        return str(int(value))
    return f"{value:.3g}"


def _value_range(values: list[float], guides: Sequence[float]) -> tuple[float, float, float]:
    low = min([*values, *guides])
    high = max([*values, *guides])
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step(high - low, 4)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


_TIME_STEPS = [
    (timedelta(hours=1), "%H:%M"),
    (timedelta(hours=3), "%H:%M"),
    (timedelta(hours=6), "%b %-d %H:%M"),
    (timedelta(hours=12), "%b %-d %H:%M"),
    (timedelta(days=1), "%b %-d"),
    (timedelta(days=2), "%b %-d"),
    (timedelta(days=7), "%b %-d"),
    (timedelta(days=14), "%b %-d"),
]


def _add_months(at: datetime, months: int) -> datetime:
    index = at.year * 12 + at.month - 1 + months
    return at.replace(year=index // 12, month=index % 12 + 1, day=1)


def _time_ticks(start: float, end: float, count: int = 6) -> list[tuple[float, str]]:
    """Round dates (hours, days, weeks, months, years) to label a time axis, ~`count` of them."""
    span = end - start
    first = datetime.fromtimestamp(start, UTC)
    for step, fmt in _TIME_STEPS:
        if span / step.total_seconds() <= count:
            seconds = step.total_seconds()
            if step >= timedelta(days=7):  # weeks start on Mondays
                monday = first.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
                    days=first.weekday()
                )
                at = monday.timestamp()
            else:
                at = math.ceil(start / seconds) * seconds
            out = []
            while at <= end:
                if at >= start:
                    out.append((at, datetime.fromtimestamp(at, UTC).strftime(fmt)))
                at += seconds
            return out
    months = next(
        (m for m in (1, 2, 3, 6, 12, 24, 60, 120) if span / (m * 30.44 * 86400) <= count), 240
    )
    at_date = _add_months(first.replace(hour=0, minute=0, second=0, microsecond=0), 0)
    while (at_date.month - 1) % min(months, 12) or (months >= 12 and at_date.year % (months // 12)):
        at_date = _add_months(at_date, 1)
    out = []
    fmt = "%Y" if months >= 12 else "%b %Y"
    while at_date.timestamp() <= end:
        if at_date.timestamp() >= start:
            out.append((at_date.timestamp(), at_date.strftime(fmt)))
        at_date = _add_months(at_date, months)
    return out


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _path(coords: list[tuple[float, float]], style: str) -> str:
    if not coords or style == "points":
        return ""
    parts = [f"M{_fmt(coords[0][0])} {_fmt(coords[0][1])}"]
    for x, y in coords[1:]:
        if style == "steps":
            parts.append(f"H{_fmt(x)}V{_fmt(y)}")
        else:
            parts.append(f"L{_fmt(x)} {_fmt(y)}")
    return "".join(parts)


def time_chart(
    series: Sequence[Series],
    *,
    label: str,
    guides: Sequence[tuple[str, float]] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    height: int = 240,
    value_format=format_value,
) -> TimeChart:
    """Lay out series on one time axis (from `start` to `end`, else the points' own span)."""
    points = [p for s in series for p in s.points]
    if not points:
        return TimeChart(label=label, series=[], x_ticks=[], y_ticks=[], empty=True, height=height)
    times = [_ts(p.at) for p in points]
    t0 = _ts(start) if start else min(times)
    t1 = _ts(end) if end else max(times)
    if t1 <= t0:
        t0, t1 = t0 - 43200, t1 + 43200  # one point: half a day either side
    guide_values = [value for _, value in guides]
    low, high, step = _value_range([p.value for p in points], guide_values)

    def x_of(at: datetime) -> float:
        return (_ts(at) - t0) / (t1 - t0) * BOX

    def y_of(value: float) -> float:
        return BOX - (value - low) / (high - low) * BOX

    drawn = []
    for s in series:
        ordered = sorted(s.points, key=lambda p: _ts(p.at))
        coords = [(x_of(p.at), y_of(p.value)) for p in ordered]
        markers = []
        if s.style == "points" or len(ordered) <= MARKERS_MAX:
            markers = [
                Marker(
                    float(_fmt(x)),
                    float(_fmt(y)),
                    f"{p.at:%Y-%m-%d %H:%M}: {value_format(p.value)}"
                    + (f" — {p.note}" if p.note else ""),
                )
                for p, (x, y) in zip(ordered, coords, strict=True)
            ]
        drawn.append(DrawnSeries(s.name, s.tone, _path(coords, s.style), markers))
    y_ticks = []
    value = low
    while value <= high + step / 2:
        y_ticks.append(Tick(round(y_of(value) / BOX * 100, 2), value_format(value)))
        value += step
    x_ticks = [
        Tick(round((at - t0) / (t1 - t0) * 100, 2), text) for at, text in _time_ticks(t0, t1)
    ]
    return TimeChart(
        label=label,
        series=drawn,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        guides=[
            Guide(
                name,
                round(y_of(value), 1),
                round(y_of(value) / BOX * 100, 2),
                below=y_of(value) / BOX * 100 < GUIDE_LABEL_BELOW_PCT,
            )
            for name, value in guides
        ],
        height=height,
    )


def sparkline(values: Sequence[float], *, label: str) -> Sparkline:
    """A small trend line of values in time order (equally spaced: they are buckets)."""
    if not values:
        return Sparkline(path="", last=None, label=label, trend="flat", empty=True)
    low, high = min(values), max(values)
    spread = (high - low) or 1.0
    count = len(values)
    coords = [
        (
            (index / (count - 1) * BOX) if count > 1 else BOX / 2,
            BOX - 100 - (value - low) / spread * (BOX - 200) if high != low else BOX / 2,
        )
        for index, value in enumerate(values)
    ]
    if count == 1:
        coords = [(0.0, coords[0][1]), (BOX, coords[0][1])]
    trend = "flat" if values[-1] == values[0] else ("up" if values[-1] > values[0] else "down")
    x, y = coords[-1]
    return Sparkline(
        path=_path(coords, "line"),
        last=Marker(float(_fmt(x)), float(_fmt(y)), format_value(values[-1])),
        label=label,
        trend=trend,
    )
