"""Server-rendered SVG charts: the geometry is computed here, the template draws it (no chart
library, no script; colours come from the stylesheet by class)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 34


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str


@dataclass
class Line:
    y: float
    css: str
    label: str


@dataclass
class Chart:
    title: object
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    xlabels: list[tuple[float, str]] = field(default_factory=list)
    ylabels: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, object]] = field(default_factory=list)

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def bars(title: object, labels: list[str], series: list[tuple[str, object, list[float | None]]],
         *, stacked: bool, refs: tuple[tuple[float, str], ...] = (), unit: str = "",
         ymax: float | None = None) -> Chart:
    """Bars per label: `series` is [(css class, legend text, values)], stacked or overlaid
    (each drawn over the one before, so give the larger first); `refs` are horizontal lines."""
    chart = Chart(title=title, legend=[(css, text) for css, text, _ in series])
    n = max(1, len(labels))
    plot_w = chart.plot_right - LEFT
    plot_h = chart.baseline - TOP
    if stacked:
        tops = [sum(v or 0 for v in column) for column in zip(*[s[2] for s in series],
                                                               strict=True)] or [0]
    else:
        tops = [v or 0 for s in series for v in s[2]] or [0]
    top = _nice_max(max([*tops, *(r[0] for r in refs), ymax or 0]))
    slot = plot_w / n
    width = max(1.0, slot * 0.7)

    def y_of(value: float) -> float:
        return chart.baseline - plot_h * min(value, top) / top

    for i, label in enumerate(labels):
        x = LEFT + i * slot + (slot - width) / 2
        base = 0.0
        for css, _text, values in series:
            value = values[i]
            if value is None or value <= 0:
                continue
            lower = base if stacked else 0.0
            upper = lower + value
            chart.rects.append(Rect(round(x, 1), round(y_of(upper), 1), round(width, 1),
                                    round(y_of(lower) - y_of(upper), 1), css,
                                    f"{label}: {value:g}{unit}"))
            if stacked:
                base = upper
        every = max(1, math.ceil(n / 10))
        if i % every == 0:
            chart.xlabels.append((round(LEFT + i * slot + slot / 2, 1), label))
    ticks = 4 if top % 4 == 0 else 5
    for k in range(ticks + 1):
        value = top * k / ticks
        chart.ylabels.append((round(y_of(value), 1), f"{value:g}{unit}"))
    for value, label in refs:
        chart.lines.append(Line(round(y_of(value), 1), "ref", label))
    return chart
