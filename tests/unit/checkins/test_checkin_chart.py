import io
import struct

import numpy as np
import pytest
from matplotlib.image import imread

from bot.checkins.chart import HEIGHT_PX, MEASURED_COLOR, SHIPPED_COLOR, WIDTH_PX, render_png, render_png_async
from bot.checkins.digest import WeekPoint
from bot.checkins.weeks import recent_weeks

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def trend(counts: list[tuple[int, int]], skipped: int | None = None) -> list[WeekPoint]:
    weeks = recent_weeks("2026-W10", len(counts))
    return [
        WeekPoint(week, shipped, measured, None, skipped=index == skipped)
        for index, (week, (shipped, measured)) in enumerate(zip(weeks, counts, strict=True))
    ]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def share_of_pixels(pixels: np.ndarray, hex_color: str) -> float:
    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    close = np.all(np.abs(pixels[:, :, :3] - rgb) < 0.02, axis=2)
    return float(close.mean())


def test_the_chart_is_a_png_of_the_expected_size_with_both_bar_series() -> None:
    data = render_png(trend([(2, 1), (3, 3), (0, 0), (4, 2)] * 3, skipped=2), title="#growth: last 12 weeks")

    assert png_size(data) == (WIDTH_PX, HEIGHT_PX)
    pixels = imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (HEIGHT_PX, WIDTH_PX)
    assert share_of_pixels(pixels, SHIPPED_COLOR) > 0.01
    assert share_of_pixels(pixels, MEASURED_COLOR) > 0.005
    assert share_of_pixels(pixels, "#FFFFFF") > 0.5  # a white background, readable in dark and light mode


def test_measured_bars_appear_only_for_measured_items() -> None:
    unmeasured = imread(io.BytesIO(render_png(trend([(1, 0)] * 12), title="t")), format="png")
    all_measured = imread(io.BytesIO(render_png(trend([(1, 1)] * 12), title="t")), format="png")
    legend_swatch = 0.001
    assert share_of_pixels(unmeasured, MEASURED_COLOR) < legend_swatch
    assert share_of_pixels(all_measured, MEASURED_COLOR) > 0.02
    assert share_of_pixels(all_measured, SHIPPED_COLOR) == pytest.approx(
        share_of_pixels(unmeasured, SHIPPED_COLOR), rel=0.05
    )


def test_an_empty_trend_still_renders_a_readable_chart() -> None:
    data = render_png(trend([(0, 0)] * 12), title="#quiet: last 12 weeks")
    pixels = imread(io.BytesIO(data), format="png")
    assert png_size(data) == (WIDTH_PX, HEIGHT_PX)
    assert share_of_pixels(pixels, SHIPPED_COLOR) < 0.001  # only the legend swatch
    assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 10  # text and axes were drawn


async def test_the_async_wrapper_gives_the_same_png() -> None:
    points = trend([(2, 1)] * 12)
    assert await render_png_async(points, title="t") == render_png(points, title="t")
