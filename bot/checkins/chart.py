"""The digest chart: shipped vs measured items per week, and the share measured, as a PNG."""

import asyncio
import io
import math
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from bot.checkins.digest import WeekPoint
from bot.checkins.weeks import week_monday

SHIPPED_COLOR = "#4C78A8"
MEASURED_COLOR = "#54A24B"
SHARE_COLOR = "#E45756"
SKIPPED_COLOR = "#E8E8E8"
WIDTH_PX, HEIGHT_PX, DPI = 1000, 520, 100


def _week_label(week: str) -> str:
    return f"W{week[-2:]}\n{week_monday(week):%b %d}"


def render_png(trend: Sequence[WeekPoint], *, title: str) -> bytes:
    """A titled PNG of the trend: bars for shipped and measured, a line for the share measured."""
    # A Figure without pyplot keeps no global state, so concurrent renders in threads are safe.
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    counts = figure.add_subplot()
    share = counts.twinx()
    positions = list(range(len(trend)))
    bar_width = 0.38

    for position, point in zip(positions, trend, strict=True):
        if point.skipped:
            counts.axvspan(position - 0.5, position + 0.5, color=SKIPPED_COLOR, zorder=0)
            counts.text(
                position,
                0.5,
                "skipped",
                rotation=90,
                ha="center",
                va="center",
                fontsize=9,
                color="#777777",
                transform=counts.get_xaxis_transform(),
            )
    shipped_bars = counts.bar(
        [p - bar_width / 2 for p in positions],
        [point.shipped for point in trend],
        bar_width,
        color=SHIPPED_COLOR,
        label="shipped",
        zorder=2,
    )
    measured_bars = counts.bar(
        [p + bar_width / 2 for p in positions],
        [point.measured for point in trend],
        bar_width,
        color=MEASURED_COLOR,
        label="measured",
        zorder=2,
    )
    for bars in (shipped_bars, measured_bars):
        counts.bar_label(
            bars, labels=[str(int(b.get_height())) if b.get_height() else "" for b in bars], fontsize=8, padding=2
        )
    shares = [math.nan if point.share_measured is None else point.share_measured for point in trend]
    (share_line,) = share.plot(
        positions, shares, color=SHARE_COLOR, marker="o", linewidth=2, label="share measured", zorder=3
    )

    highest = max((max(point.shipped, point.measured) for point in trend), default=0)
    counts.set_ylim(0, max(highest, 1) * 1.25)
    counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    counts.set_ylabel("items")
    share.set_ylim(0, 1.1)
    share.yaxis.set_major_formatter(PercentFormatter(1.0))
    share.set_ylabel("share measured")
    counts.set_xticks(positions, [_week_label(point.week) for point in trend], fontsize=8)
    counts.set_xlim(-0.6, max(len(trend), 1) - 0.4)
    counts.grid(axis="y", color="#DDDDDD", zorder=0)
    counts.set_axisbelow(True)
    counts.set_title(title, fontsize=13, loc="left")
    if highest == 0:
        counts.text(
            0.5,
            0.55,
            "Nothing shipped in these weeks",
            ha="center",
            va="center",
            transform=counts.transAxes,
            fontsize=12,
            color="#555555",
        )
    figure.legend(
        handles=[shipped_bars, measured_bars, share_line],
        loc="outside lower center",
        ncols=3,
        fontsize=9,
        frameon=False,
    )

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def describe(trend: Sequence[WeekPoint], *, title: str) -> str:
    """The chart in words, for screen readers: shipped and measured items of each week shown."""
    weeks = "; ".join(
        f"{point.week}: skipped"
        if point.skipped
        else f"{point.week}: {point.shipped} shipped, {point.measured} measured"
        for point in trend
    )
    text = f"{title}: bars of items shipped and measured per week, and a line for the share measured. {weeks}."
    return text if len(text) <= 1000 else text[:999] + "…"


async def render_png_async(trend: Sequence[WeekPoint], *, title: str) -> bytes:
    """`render_png` in a worker thread, for callers on the event loop."""
    return await asyncio.to_thread(render_png, trend, title=title)
