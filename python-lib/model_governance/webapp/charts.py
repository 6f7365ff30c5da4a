"""Monitoring charts as inline SVG, drawn by hand.

No script, no ``style`` attribute and no remote resource: colours and strokes come from
classes in the webapp's stylesheet, so the pages keep a strict content-security policy.
Every label (feature, group and version names come from users) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup, escape

WIDTH = 760
HEIGHT = 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 170, 16, 40
_MAX_MARKERS = 120
_PALETTE_SIZE = 8


@dataclass(frozen=True)
class Series:
    """A named line of dated values."""

    name: str
    points: tuple[tuple[datetime, float], ...]


@dataclass(frozen=True)
class ReferenceLine:
    """A horizontal threshold; ``kind`` picks its style (alert, approval, limit)."""

    label: str
    value: float
    kind: str = "limit"


def line_chart(
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    references: Sequence[ReferenceLine] = (),
    y_range: tuple[float, float] | None = None,
) -> Markup | None:
    """Lines over time with reference lines and a legend; None without points."""
    points = [p for s in series for p in s.points]
    if not points:
        return None
    x_low, x_high = _time_range([p[0] for p in points])
    values = [p[1] for p in points] + [r.value for r in references]
    y_low, y_high = y_range or _padded(min(values), max(values))
    frame = _Frame(x_low.timestamp(), x_high.timestamp(), y_low, y_high)
    parts = [_open(chart_id, title), *_y_axis(frame), *_x_axis(frame, x_low, x_high)]
    parts += [_reference(frame, r) for r in references]
    for index, line in enumerate(series):
        parts += _series(frame, line, index % _PALETTE_SIZE, with_markers=len(points) <= 500)
    parts += _legend(series, references)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside went through escape()


def bar_chart(
    groups: Mapping[str, Mapping[str, float]],
    *,
    chart_id: str,
    title: str,
    threshold: float,
) -> Markup | None:
    """Horizontal bars per (attribute, group), with the threshold as a vertical line."""
    rows = [(a, g, v) for a, by_group in groups.items() for g, v in by_group.items()]
    if not rows:
        return None
    bar, gap, label_width = 18, 8, 220
    height = _TOP + len(rows) * (bar + gap) + 30
    high = max(1.0, max(v for _, _, v in rows))
    span = WIDTH - label_width - 80

    def x_of(value: float) -> float:
        return label_width + span * max(0.0, value) / high

    parts = [_open(chart_id, title, height=height)]
    for i, (attribute, group, value) in enumerate(rows):
        y = _TOP + i * (bar + gap)
        kind = "bar below" if value < threshold else "bar"
        parts.append(
            f'<text class="chart-label" x="{label_width - 8}" y="{y + bar - 5}" '
            f'text-anchor="end">{escape(_short(f"{attribute} · {group}", 34))}</text>'
            f'<rect class="{kind}" x="{label_width}" y="{y}" '
            f'width="{x_of(value) - label_width:.1f}" height="{bar}">'
            f"<title>{escape(f'{attribute} {group}: {value:.3f}')}</title></rect>"
            f'<text class="chart-value" x="{x_of(value) + 6:.1f}" y="{y + bar - 5}">'
            f"{value:.3f}</text>"
        )
    line_x, bottom = x_of(threshold), _TOP + len(rows) * (bar + gap)
    parts.append(
        f'<line class="ref ref-alert" x1="{line_x:.1f}" x2="{line_x:.1f}" y1="{_TOP - 4}" '
        f'y2="{bottom}"/><text class="chart-label ref-label" x="{line_x:.1f}" '
        f'y="{bottom + 16}" text-anchor="middle">{escape(f"threshold {threshold:.2f}")}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside went through escape()


@dataclass(frozen=True)
class _Frame:
    x_low: float
    x_high: float
    y_low: float
    y_high: float

    def x(self, seconds: float) -> float:
        share = (seconds - self.x_low) / (self.x_high - self.x_low)
        return _LEFT + share * (WIDTH - _LEFT - _RIGHT)

    def y(self, value: float) -> float:
        share = (value - self.y_low) / (self.y_high - self.y_low)
        return HEIGHT - _BOTTOM - share * (HEIGHT - _TOP - _BOTTOM)


def _open(chart_id: str, title: str, *, height: int = HEIGHT) -> str:
    label = escape(title)
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{label}</title>'
    )


def _time_range(moments: Sequence[datetime]) -> tuple[datetime, datetime]:
    low, high = min(moments), max(moments)
    if low == high:
        return low - timedelta(days=1), high + timedelta(days=1)
    return low, high


def _padded(low: float, high: float) -> tuple[float, float]:
    if math.isclose(low, high):
        return low - 0.05, high + 0.05
    pad = (high - low) * 0.08
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(count + 2) if first + i * step <= high + 1e-12]


def _y_axis(frame: _Frame) -> list[str]:
    parts = []
    for value in _ticks(frame.y_low, frame.y_high):
        y = frame.y(value)
        parts.append(
            f'<line class="chart-grid" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart-label" x="{_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{value:.2f}</text>'
        )
    return parts


def _x_axis(frame: _Frame, low: datetime, high: datetime) -> list[str]:
    bottom = HEIGHT - _BOTTOM
    parts = [
        f'<line class="chart-axis" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{bottom}" y2="{bottom}"/>'
    ]
    ticks = 5
    for i in range(ticks + 1):
        moment = low + (high - low) * i / ticks
        x = frame.x(moment.timestamp())
        parts.append(
            f'<text class="chart-label" x="{x:.1f}" y="{bottom + 18}" '
            f'text-anchor="middle">{moment.strftime("%Y-%m-%d")}</text>'
        )
    return parts


def _reference(frame: _Frame, line: ReferenceLine) -> str:
    y = frame.y(line.value)
    kind = escape(line.kind)
    return (
        f'<line class="ref ref-{kind}" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" '
        f'y1="{y:.1f}" y2="{y:.1f}"><title>{escape(line.label)}</title></line>'
    )


def _series(frame: _Frame, line: Series, colour: int, *, with_markers: bool) -> list[str]:
    coordinates = " ".join(
        f"{frame.x(t.timestamp()):.1f},{frame.y(v):.1f}" for t, v in sorted(line.points)
    )
    parts = [f'<polyline class="series s{colour}" points="{coordinates}"/>']
    if with_markers and len(line.points) <= _MAX_MARKERS:
        for moment, value in line.points:
            tip = f"{line.name} {moment.strftime('%Y-%m-%d')}: {value:.3f}"
            parts.append(
                f'<circle class="marker s{colour}" cx="{frame.x(moment.timestamp()):.1f}" '
                f'cy="{frame.y(value):.1f}" r="2.5"><title>{escape(tip)}</title></circle>'
            )
    return parts


def _legend(series: Sequence[Series], references: Sequence[ReferenceLine]) -> list[str]:
    x = WIDTH - _RIGHT + 14
    entries = [(f"series s{i % _PALETTE_SIZE}", s.name) for i, s in enumerate(series)]
    entries += [(f"ref ref-{escape(r.kind)}", r.label) for r in references]
    parts = []
    for i, (kind, name) in enumerate(entries[:12]):
        y = _TOP + 8 + i * 18
        parts.append(
            f'<line class="{kind}" x1="{x}" x2="{x + 18}" y1="{y}" y2="{y}"/>'
            f'<text class="chart-label" x="{x + 24}" y="{y + 4}">{escape(_short(name, 22))}</text>'
        )
    return parts


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
