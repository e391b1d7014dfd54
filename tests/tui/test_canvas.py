"""The plotting maths, without a screen: dots, scales and ticks."""

from __future__ import annotations

import numpy as np
import pytest

from nimsync_tui.tui import units
from nimsync_tui.tui.canvas import (
    BrailleCanvas,
    Scale,
    decade_ticks,
    linear_scale_for,
    log_scale_for,
    nice_ticks,
    nines,
)


def test_a_diagonal_touches_one_dot_per_column() -> None:
    canvas = BrailleCanvas(2, 1)  # 4 x 4 dots
    canvas.plot(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0)
    assert canvas.text() == "⡠⠊"


def test_curves_share_cells_without_wiping_each_others_dots() -> None:
    canvas = BrailleCanvas(1, 1)
    canvas.plot(np.array([0.0]), np.array([1.0]), 0, connect=False)  # top-left dot
    canvas.plot(np.array([1.0]), np.array([0.0]), 1, connect=False)  # bottom-right dot
    assert canvas.text() == chr(0x2800 + 0x01 + 0x80)
    assert canvas.rows()[0][0][1] == 1  # the cell takes the last curve's colour


def test_points_outside_the_plot_are_not_drawn_at_its_edge() -> None:
    canvas = BrailleCanvas(2, 1)
    canvas.plot(np.array([1.5, 2.0]), np.array([0.5, 0.5]), 0)
    assert canvas.text() == "  "


def test_lines() -> None:
    canvas = BrailleCanvas(2, 2)
    canvas.hline(0.0, 0)
    canvas.vline(0.0, 0)
    assert canvas.text() == "⡇ \n⣇⣀"


def test_log_scale_spans_whole_decades() -> None:
    scale = log_scale_for([np.array([3_000.0, 45_000.0])])
    assert (scale.lo, scale.hi, scale.log) == (1_000, 100_000, True)
    assert scale.unit(np.array([1_000.0, 10_000.0, 100_000.0])).tolist() == [0.0, 0.5, 1.0]
    assert decade_ticks(scale) == [1e3, 1e4, 1e5]


def test_linear_scale_starts_at_zero_and_includes_the_target() -> None:
    scale = linear_scale_for([np.array([2.0, 3.0])], include=[10.0])
    assert scale.lo == 0.0 and scale.hi == pytest.approx(11.0)
    assert nice_ticks(Scale(0.0, 11.0)) == [0.0, 5.0, 10.0]


def test_nines_is_the_log_of_one_over_one_minus_p() -> None:
    assert nines(np.array([0.0, 90.0, 99.0, 99.999])).round(9).tolist() == [0.0, 1.0, 2.0, 5.0]


@pytest.mark.parametrize(
    ("ns", "text"), [(48.0, "48ns"), (1_000.0, "1µs"), (42_623.0, "42.6µs"), (3.3e6, "3.3ms"), (2e9, "2s")]
)
def test_latency_keeps_its_unit(ns: float, text: str) -> None:
    assert units.latency(ns) == text


def test_marks_are_ticks_on_the_bottom_edge() -> None:
    canvas = BrailleCanvas(2, 2)  # 4 x 8 dots
    canvas.marks(np.array([0.0, 1.0]), 0)
    assert canvas.text() == "  \n⡄⢠"  # two dots high, left and right edge
