"""The benchmark chart: latency, cost and quality per contestant, side by side, as a PNG drawn with Pillow.

Pillow is already a dependency (images) and draws this in a few milliseconds without importing a
plotting stack at server start-up. One row per contestant in rank order; the panel's row is tinted.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .benchmarking import ContestantRow

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

WIDTH = 1260
LABEL_W = 250
PANEL_W = 310
GAP = 26
ROW_H = 34
TOP = 92
BOTTOM = 64
BAR_H = 18
INK = (33, 37, 41)
GRID = (222, 226, 230)
MUTED = (108, 117, 125)
BARS = ((66, 133, 244), (52, 168, 83), (251, 140, 0))  # latency, cost, quality
PANEL_TINT = (255, 244, 214)
TTFT = (219, 68, 55)


@dataclass(frozen=True)
class Metric:
    title: str
    value: Callable[[ContestantRow], float | None]
    label: Callable[[float], str]
    whisker: Callable[[ContestantRow], float | None] | None = None
    marker: Callable[[ContestantRow], float | None] | None = None
    fixed_max: float | None = None


def _quality(r: ContestantRow) -> float | None:
    value = r.accuracy if r.accuracy is not None else r.judge_score
    return value * 100 if value is not None else None


METRICS = (
    Metric(
        "Latency, s (bar median, line p90, dot TTFT)",
        lambda r: r.latency_median_s,
        lambda v: f"{v:.2f}",
        whisker=lambda r: r.latency_p90_s,
        marker=lambda r: r.ttft_median_s,
    ),
    Metric("Cost per trial, USD", lambda r: r.cost_per_trial_usd, lambda v: _usd(v)),
    Metric("Quality, % (correct, else judge score)", _quality, lambda v: f"{v:.0f}%", fixed_max=100.0),
)


def render_chart(rows: Sequence[ContestantRow], title: str, subtitle: str = "") -> bytes:
    """The PNG bytes of the chart for ``rows`` (already ranked)."""
    from PIL import Image, ImageDraw  # Pillow loads with the first chart, not with the server

    height = TOP + ROW_H * max(len(rows), 1) + BOTTOM
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    big, normal, small = _font(22), _font(15), _font(13)
    draw.text((20, 14), title, fill=INK, font=big)
    if subtitle:
        draw.text((20, 44), subtitle, fill=MUTED, font=small)
    for i, row in enumerate(rows):
        y = TOP + i * ROW_H
        if row.kind == "panel":
            draw.rectangle((10, y, WIDTH - 10, y + ROW_H - 1), fill=PANEL_TINT)
        name = f"{row.rank}. {row.contestant}"
        if row.success_rate < 1:
            name += f"  ({row.success_rate:.0%} ok)"
        draw.text((20, y + ROW_H / 2), _fit(draw, name, normal, LABEL_W - 24), fill=INK, font=normal, anchor="lm")
    for k, metric in enumerate(METRICS):
        left = LABEL_W + k * (PANEL_W + GAP)
        _panel(draw, rows, metric, left, BARS[k], normal, small, height)
    return _png(image)


def _panel(
    draw: ImageDraw.ImageDraw,
    rows: Sequence[ContestantRow],
    metric: Metric,
    left: int,
    colour: tuple[int, int, int],
    normal: Font,
    small: Font,
    height: int,
) -> None:
    pairs = [(metric.value(r), metric.whisker(r) if metric.whisker else None) for r in rows]
    values = [v for pair in pairs for v in pair if v is not None]
    top_value = metric.fixed_max or (max(values) if values else 1.0) or 1.0
    ticks = _ticks(top_value) if metric.fixed_max is None else [0, 25, 50, 75, 100]
    scale_max = ticks[-1] or 1.0
    plot_w = PANEL_W - 60  # room for the value label after the longest bar
    bottom = TOP + ROW_H * max(len(rows), 1)
    draw.text((left, TOP - 22), metric.title, fill=INK, font=small)

    def x(value: float) -> float:
        return left + plot_w * value / scale_max

    for tick in ticks:
        draw.line((x(tick), TOP - 4, x(tick), bottom), fill=GRID, width=1)
        draw.text((x(tick), bottom + 6), metric.label(tick), fill=MUTED, font=small, anchor="mt")
    draw.line((left, bottom, left + plot_w, bottom), fill=MUTED, width=1)
    for i, row in enumerate(rows):
        mid = TOP + i * ROW_H + ROW_H / 2
        value = metric.value(row)
        if value is None:
            draw.text((left + 4, mid), "n/a", fill=MUTED, font=small, anchor="lm")
            continue
        draw.rectangle((left, mid - BAR_H / 2, max(x(value), left + 1), mid + BAR_H / 2), fill=colour)
        end = x(value)
        whisker = metric.whisker(row) if metric.whisker else None
        if whisker is not None and whisker > value:
            draw.line((end, mid, x(whisker), mid), fill=INK, width=2)
            draw.line((x(whisker), mid - 6, x(whisker), mid + 6), fill=INK, width=2)
            end = x(whisker)
        marker = metric.marker(row) if metric.marker else None
        if marker is not None:
            cx = x(marker)
            draw.ellipse((cx - 4, mid - 4, cx + 4, mid + 4), fill=TTFT, outline="white")
        draw.text((end + 6, mid), metric.label(value), fill=INK, font=small, anchor="lm")
    draw.text((left + plot_w / 2, height - 22), _axis_name(metric), fill=MUTED, font=small, anchor="mm")


def _axis_name(metric: Metric) -> str:
    return metric.title.split(" (")[0]


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 12) for i in range(n + 1)]


def _usd(value: float) -> str:
    if value == 0:
        return "$0"
    if value >= 0.01:
        return f"${value:.2f}"
    return f"${value:.1e}".replace("e-0", "e-")


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


def _font(size: int) -> Font:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
