"""Charts as small server-made SVG: horizontal bars and lines over time, drawn from two templates.

Geometry is computed here; ``templates/charts/*.svg`` draw it with every label escaped. Each chart
carries a ``<title>`` and visible text labels, so it reads without JavaScript or colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["Bar", "Series", "bar_chart", "line_chart"]

WIDTH = 640
PALETTE = ("#2f6fb0", "#c2570c", "#2a8a4a", "#8a3fa0", "#a08a1f", "#1f8a8a")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the value as printed


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[str, float]]  # (x label, y)


def bar_chart(env: "Environment", title: str, bars: list[Bar], target: float | None = None, target_label: str = "") -> Markup:
    """Horizontal bars, one per row, with an optional target line."""
    label_w, row_h, pad = 170, 26, 30  # pad: room for the visible title
    top = max([b.value or 0 for b in bars] + [target or 0] + [1e-9])
    span = WIDTH - label_w - 90
    rows = [{"label": b.label, "text": b.text, "y": pad + i * row_h, "w": round(span * (b.value or 0) / top, 1), "missing": b.value is None}
            for i, b in enumerate(bars)]
    height = pad * 2 + row_h * max(1, len(bars)) + (18 if target is not None else 0)
    line = {"x": round(label_w + span * target / top, 1), "label": target_label, "top": pad - 6} if target is not None else None
    return Markup(env.get_template("charts/bars.svg").render(title=title, rows=rows, width=WIDTH, height=height, label_w=label_w,
                                                             row_h=row_h, target=line))


def line_chart(env: "Environment", title: str, series: list[Series], low: float = 1.0, high: float = 5.0,
               order: list[str] | None = None) -> Markup:
    """Lines of y over x labels shared by every series (in ``order``, else sorted), y between ``low`` and ``high``."""
    xs = order or sorted({x for s in series for x, _ in s.points})
    left, right, top, bottom, height = 40, 150, 34, 30, 240
    plot_w, plot_h = WIDTH - left - right, height - top - bottom

    def px(x: str) -> float:
        return round(left + (plot_w * xs.index(x) / (len(xs) - 1) if len(xs) > 1 else plot_w / 2), 1)

    def py(y: float) -> float:
        return round(top + plot_h * (1 - (y - low) / (high - low or 1)), 1)

    lines = [{"name": s.name, "colour": PALETTE[i % len(PALETTE)], "points": [(px(x), py(y), x, y) for x, y in s.points],
              "path": " ".join(f"{px(x)},{py(y)}" for x, y in s.points), "legend_y": top + 16 * i + 6}
             for i, s in enumerate(series)]
    ticks = [{"y": py(v), "label": f"{v:g}"} for v in range(int(low), int(high) + 1)]
    xlabels = [{"x": px(x), "label": x} for x in (xs if len(xs) <= 6 else xs[:: max(1, len(xs) // 6)])]
    return Markup(env.get_template("charts/lines.svg").render(title=title, lines=lines, ticks=ticks, xlabels=xlabels, width=WIDTH,
                                                              height=height, left=left, legend_x=WIDTH - right + 12, bottom=height - bottom))
