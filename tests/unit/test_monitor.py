"""The monitor's state, textual-free: curves, series, runs, turns, replay and baselines."""

from __future__ import annotations

import dataclasses
import statistics
from pathlib import Path

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from nimsync_tui.core.histogram import new_histogram, record_values, value_at_percentiles
from nimsync_tui.core.hlog import HlogWriter, read_hlog
from nimsync_tui.core.protocol import IntervalRecord, RunEnded, RunStarted
from nimsync_tui.errors import ConfigError, HistogramFormatError
from nimsync_tui.monitor import replay as replay_module
from nimsync_tui.monitor.baseline import BaselineCurve
from nimsync_tui.monitor.curves import PERCENTILE_LEVELS, latency_table, percentile_curve
from nimsync_tui.monitor.replay import UNTAGGED, ReplaySource
from nimsync_tui.monitor.session import LiveSession, Variant
from nimsync_tui.monitor.snapshot import EMPTY_CURVE
from nimsync_tui.monitor.state import RunState
from nimsync_tui.monitor.timeline import RunningStats, Timeline, intervals_between
from nimsync_tui.monitor.turns import Turns
from nimsync_tui.run.config import Overrides, plan_runs

FIXTURES = Path(__file__).parents[1] / "fixtures"
STREAM = Path(__file__).parents[1] / "tui" / "fixtures" / "spsc-stream.hlog"


def histogram_of(values: list[int]):  # type: ignore[no-untyped-def]
    hist = new_histogram()
    record_values(hist, np.array(values, dtype=np.int64))
    return hist


def test_levels_run_from_0_to_99_999_percent_evenly_in_nines() -> None:
    assert PERCENTILE_LEVELS[0] == 0.0
    assert PERCENTILE_LEVELS[-1] == pytest.approx(99.999)
    nines = np.log10(1 / (1 - PERCENTILE_LEVELS / 100))
    assert np.allclose(np.diff(nines), nines[1])


def test_curve_is_the_histograms_percentiles_up_to_what_its_count_resolves() -> None:
    hist = histogram_of(list(range(1, 1001)))
    curve = percentile_curve(hist)
    assert curve.levels[-1] == pytest.approx(99.9)
    assert curve.levels.size < PERCENTILE_LEVELS.size
    assert curve.values_ns.tolist() == value_at_percentiles(hist, curve.levels.tolist())
    assert not curve.values_ns.flags.writeable
    assert percentile_curve(new_histogram()) is EMPTY_CURVE


def test_value_unit_scales_a_foreign_logs_values_to_ns() -> None:
    hist = histogram_of([5, 7])
    assert percentile_curve(hist, 1000.0).values_ns[0] == 5000.0
    assert latency_table(hist, 0, 40.0, 1000.0).max == 7000.0


def test_table_counts_overflow_and_carries_the_floor() -> None:
    table = latency_table(histogram_of([100] * 99 + [10_000]), overflow=3, floor_ns=40.0)
    assert (table.p50, table.count, table.overflow, table.floor_ns) == (100, 100, 3, 40.0)
    assert table.max == pytest.approx(10_000, rel=1e-3)


def test_a_timeline_keeps_a_fixed_number_of_points_each_the_weighted_mean_of_its_span() -> None:
    timeline = Timeline(("v",), points=4)
    for k in range(4):
        timeline.add(k + 1.0, 1.0, (10.0 * k,), mark=k == 1)
    assert timeline.times.tolist() == [1.0, 2.0, 3.0, 4.0] and timeline.span == 1
    timeline.add(5.5, 1.5, (100.0,))  # full: neighbours merge, and the new interval starts a point of two
    assert timeline.span == 2 and len(timeline) == 3
    assert timeline.times.tolist() == [2.0, 4.0, 5.5]
    assert timeline.values("v").tolist() == [5.0, 25.0, 100.0]
    assert timeline.marks.tolist() == [2.0]
    timeline.add(6.0, 0.5, (20.0,))  # weighted by length: (100 * 1.5 + 20 * 0.5) / 2
    assert timeline.values("v").tolist() == [5.0, 25.0, 80.0] and len(timeline) == 3
    for k in range(10_000):
        timeline.add(7.0 + k, 1.0, (1.0,))
    assert len(timeline) <= 4 and timeline.times[-1] == 10_006.0


def test_a_timelines_peak_is_the_largest_of_its_span_never_a_mean() -> None:
    timeline = Timeline(("p50", "max"), points=4, peaks=("max",))
    for k, highest in enumerate([5.0, 40.0, 7.0, 3.0]):
        timeline.add(k + 1.0, 1.0, (1.0, highest))
    timeline.add(5.0, 1.0, (3.0, 2.0))  # full: pairs merge, the new interval starts a point of two
    assert timeline.values("max").tolist() == [40.0, 7.0, 2.0]
    assert timeline.values("p50").tolist() == [1.0, 1.0, 3.0]  # the others are still means
    timeline.add(6.0, 3.0, (1.0, 9.0))  # a later, longer interval with a larger max in the same point
    assert timeline.values("max").tolist() == [40.0, 7.0, 9.0]
    assert timeline.values("p50").tolist() == [1.0, 1.0, 1.5]


def test_running_statistics_equal_the_batch_ones() -> None:
    values = [10.0, 12.0, 14.0, 3.5]
    stats = RunningStats()
    for v in values:
        stats.add(v)
    assert stats.mean == pytest.approx(statistics.fmean(values))
    assert stats.stddev == pytest.approx(statistics.stdev(values))
    assert RunningStats().stddev == 0.0


def _started(interval_s: float = 1.0) -> RunStarted:
    return RunStarted("spsc-throughput", "m", "item", {"impl": "nimsync"}, interval_s, 1)


def _record(start: float, *, phase: str = "measure", ops: int = 100, gc2: int = 0, tag: str = "spsc-throughput",
            hist_values: tuple[int, ...] = (1000,), length: float = 1.0) -> IntervalRecord:  # fmt: skip
    payload = histogram_of(list(hist_values)).encode().decode()
    return IntervalRecord(tag, phase, start, length, ops, ops, 0, 2**20, 2**20, 50.0, 7, (5, 2, gc2), histogram=payload)


def test_a_run_merges_measured_intervals_and_keeps_the_warm_up_out() -> None:
    run = RunState("ours", origin_s=1000.0)
    run.start(_started())
    run.interval(_record(0, phase="warmup", hist_values=(5,)), base_time_s=1000.0)
    assert run.phase == "warmup" and run.merged is None
    run.interval(_record(1, hist_values=(1000, 2000)), base_time_s=1000.0)
    run.interval(_record(2, ops=300, gc2=1), base_time_s=1000.0)
    view = run.view()
    assert view.phase == "measure" and view.intervals == 2 and view.table.count == 3
    assert view.throughput.values.tolist() == [100.0, 300.0]
    assert view.gc_marks_s.tolist() == [3.0] and view.full_gcs == 1
    assert run.spool is not None and len(list(run.spool.rows())) == 3
    run.end(RunEnded("stopped", "measure", 400, 2.0))
    assert run.view().phase == "stopped"


def test_a_run_puts_every_runner_on_one_timeline() -> None:
    run = RunState("ours", origin_s=1000.0)
    run.interval(_record(0.5), base_time_s=1010.0)
    assert run.spool is not None
    ((record, _),) = run.spool.rows()
    assert record.start_s == 10.5 and run.view().throughput.t_s.tolist() == [11.5]


def test_a_failed_run_keeps_what_it_measured() -> None:
    run = RunState("ours")
    run.interval(_record(0))
    run.fail("killed by signal 9")
    view = run.view()
    assert (view.phase, view.message, view.table.count) == ("failed", "killed by signal 9", 1)


def test_steps_come_from_step_tags() -> None:
    run = RunState("ours")
    for start, tag, ops in ((0, "w.producers-1", 100), (1, "w.producers-1", 300), (2, "w.producers-4", 50)):
        run.interval(_record(start, tag=tag, ops=ops))
    assert run.view().steps == (("producers-1", 200.0), ("producers-4", 50.0))
    plain = RunState("ours")
    plain.interval(_record(0))
    assert plain.view().steps == ()


def test_an_open_loop_runs_corrected_intervals_are_kept_apart() -> None:
    run = RunState("ours")
    for start in (0, 1):
        run.interval(_record(start, tag="s", ops=100, hist_values=(1000,)))
        run.interval(_record(start, tag="s.corrected", ops=100, hist_values=(1000, 9000)))
    view = run.view()
    assert view.intervals == 2 and view.table.count == 2 and view.throughput.values.tolist() == [100.0, 100.0]
    assert view.corrected_table is not None and view.corrected_table.count == 4
    assert view.corrected.values_ns[-1] > view.total.values_ns[-1]
    assert view.steps == () and run.operations == 200
    plain = RunState("ours")
    plain.interval(_record(0))
    assert plain.view().corrected_table is None and plain.view().corrected.empty


def test_a_runs_metrics_are_the_suites_figures_so_far() -> None:
    run = RunState("ours")
    assert run.metrics() == {}
    run.interval(_record(0, ops=100, hist_values=(1000, 3000)))
    run.interval(_record(1, ops=300, hist_values=(2000,)))
    metrics = run.metrics()
    assert metrics["throughput_ops_s"] == 200.0 and metrics["latency_samples"] == 3.0
    assert metrics["latency_p50_ns"] == pytest.approx(2000, rel=1e-3)
    assert metrics["latency_max_ns"] == pytest.approx(3000, rel=1e-3)
    assert "residual_bytes" not in metrics
    run.end(RunEnded("completed", "measure", 400, 2.0, metrics={"residual_bytes": 512.0}))
    assert run.metrics()["residual_bytes"] == 512.0


def test_a_logs_unit_scales_the_metrics_the_verdicts_read() -> None:
    """A log in µs (ns_per_unit 1000): every latency figure a target judges is in ns, not 1000x off."""
    run = RunState("log", ns_per_unit=1000.0)
    run.interval(_record(0, hist_values=(5, 7, 9)))
    metrics = run.metrics()
    assert metrics["latency_samples"] == 3.0  # a count, not a value: never scaled
    values = {k: metrics[f"latency_{k}_ns"] for k in ("min", "p50", "p95", "p99", "p999", "max")}
    assert values == {"min": 5000, "p50": 7000, "p95": 9000, "p99": 9000, "p999": 9000, "max": 9000}
    assert metrics["latency_mean_ns"] == 7000.0 and metrics["latency_stddev_ns"] == pytest.approx(1633, rel=1e-3)
    assert metrics["stddev_over_mean"] == pytest.approx(1633 / 7000, rel=1e-3)  # a ratio: the unit cancels
    table = run.view().table
    assert (table.p50, table.max, table.mean) == (7000, 9000, 7000.0)


def test_a_short_last_interval_is_no_sample_of_the_steady_rate() -> None:
    run = RunState("ours")
    run.start(_started(interval_s=1.0))
    for start in range(3):
        run.interval(_record(start, ops=100))
    run.interval(_record(3, ops=10, length=0.4))  # cut short by the end of the run: 25 ops/s
    assert run.mean_ops_s() == 100.0
    throughput = run.view().throughput
    assert (throughput.mean, throughput.stddev) == (100.0, 0.0)
    assert throughput.values.tolist() == [100.0, 100.0, 100.0, 25.0]  # still drawn
    # The rate over the whole measured time counts its operations and its time alike.
    assert run.metrics()["throughput_ops_s"] == 310 / 3.4
    run.interval(_record(4, ops=40, length=0.5))  # half the nominal interval counts
    assert run.mean_ops_s() == 95.0  # (3 x 100 + 80) / 4


def test_turns_alternate_bounded_continuous_runs() -> None:
    specs = plan_runs("spsc-throughput", Overrides(), interval_s=0.25)
    ours, trio = specs[0], dataclasses.replace(specs[0], params=dataclasses.replace(specs[0].params, impl="trio"))
    turns = iter(Turns([ours, trio], intervals_per_turn=4))
    order = [next(turns) for _ in range(4)]
    assert [i for i, _ in order] == [0, 1, 0, 1]
    assert [s.params.impl for _, s in order] == ["nimsync", "trio", "nimsync", "trio"]
    assert all(s.duration_s == 1.0 and s.params.iterations is None for _, s in order)
    with pytest.raises(ValueError, match="two runs"):
        Turns([ours])


def test_session_refuses_parameters_the_scenario_cannot_run() -> None:
    session = LiveSession(plan_runs("*", Overrides(), interval_s=0.25))
    with pytest.raises(ConfigError, match="fixed producers"):
        session.change_params(capacity=8, producers=4, consumers=1)
    session.select("mpmc-throughput")
    with pytest.raises(ConfigError, match="producers"):
        session.change_params(capacity=8, producers=0, consumers=1)
    # The parameters dialog has the command line's upper bounds (2,000,000 producers took the runner to 2.1 GB).
    with pytest.raises(ConfigError, match="at most 10,000"):
        session.change_params(capacity=8, producers=2_000_000, consumers=1)
    with pytest.raises(ConfigError, match="at most 1,048,576"):
        session.change_params(capacity=2**40, producers=2, consumers=1)
    session.change_params(capacity=8, producers=2, consumers=3)
    assert (session.spec.params.capacity, session.spec.params.producers) == (8, 2)
    assert session.cycle_comparison() == "trio"
    assert [s.params.impl for s in session.plan()] == ["nimsync", "trio"]
    assert session.cycle_comparison() == "trio-rule"
    assert [s.params.yield_every for s in session.plan()][1] == 1
    assert session.cycle_comparison() is None


def test_replay_of_our_stream_has_vitals_and_steps_back() -> None:
    replay = ReplaySource(STREAM)
    while not replay.load(batch=3):
        pass
    assert replay.snapshot().position[0] == 1  # a replay opens at its first interval
    replay.whole()
    snap = replay.snapshot()
    shown, total = snap.position
    assert shown == total > 10
    run = snap.runs[0]
    assert not run.throughput.empty and run.rss.values[-1] > 0
    replay.step(-1)
    assert replay.snapshot().runs[0].table.count < run.table.count
    replay.step(+1)
    assert replay.snapshot().runs[0].table.count == run.table.count
    replay.first()
    assert replay.snapshot().position == (1, total)


def test_replay_of_a_foreign_log_has_no_vitals_and_uses_the_value_unit() -> None:
    replay = ReplaySource(FIXTURES / "java-reference.hlog", value_unit="us")
    replay.load()
    snap = replay.snapshot()
    assert [r.name for r in snap.scenarios] == ["pingpong-latency", "spsc-throughput"]
    assert snap.runs[0].throughput.empty and snap.value_unit == "us"
    ns = ReplaySource(FIXTURES / "java-reference.hlog")
    ns.load()
    assert snap.runs[0].table.p50 == 1000 * ns.snapshot().runs[0].table.p50


def test_replay_plays_at_the_recorded_pace() -> None:
    now = [0.0]
    replay = ReplaySource(STREAM, clock=lambda: now[0])
    replay.load()
    replay.first()
    replay.toggle_play()
    starts = [e.start_s for e in read_hlog(STREAM)]
    now[0] = 0.3
    replay.tick()
    assert replay.snapshot().position[0] == sum(s <= starts[0] + 0.3 for s in starts) < len(starts)
    now[0] = 100.0
    replay.tick()
    shown, total = replay.snapshot().position
    assert shown == total and not replay.playing


def test_replay_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holds no recording"):
        ReplaySource(tmp_path)
    (tmp_path / "x.hlog").write_text("#[Histogram log format version 1.3]\n")
    with pytest.raises(HistogramFormatError, match="no interval"):
        ReplaySource(tmp_path / "x.hlog").load()
    with pytest.raises(ConfigError, match="value-unit"):
        ReplaySource(tmp_path / "x.hlog", value_unit="parsecs")


def test_an_untagged_log_replays_under_one_name(tmp_path: Path) -> None:
    lines = (FIXTURES / "java-reference.hlog").read_text().splitlines()
    untagged = [ln.split(",", 1)[1] if ln.startswith("Tag=") else ln for ln in lines]
    (tmp_path / "u.hlog").write_text("\n".join(untagged) + "\n")
    replay = ReplaySource(tmp_path / "u.hlog")
    replay.load()
    assert [r.name for r in replay.snapshot().scenarios] == [UNTAGGED]


def test_baseline_is_the_merged_curve_of_the_matching_tag() -> None:
    baseline = BaselineCurve.load(FIXTURES / "java-reference.hlog")
    assert not baseline.curve_for("spsc-throughput").empty
    assert baseline.curve_for("mpmc-throughput").empty  # two tags, neither matches


def test_a_corrupt_line_stops_the_replay_but_keeps_what_came_before(tmp_path: Path) -> None:
    lines = (FIXTURES / "java-reference.hlog").read_text().splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("Tag="))
    lines[last] = lines[last][:-20] + "!!!!"
    (tmp_path / "cut.hlog").write_text("\n".join(lines) + "\n")
    replay = ReplaySource(tmp_path / "cut.hlog")
    with pytest.raises(HistogramFormatError, match="line"):
        replay.load()
    assert replay.loaded
    assert sum(replay.snapshot().position) > 0


def test_i_cycles_through_the_implementations_given_each_on_its_loop() -> None:
    given = [("nimsync", "trio"), ("asyncio", "uvloop"), ("anyio", "asyncio")]
    session = LiveSession(plan_runs("spsc-throughput", Overrides(), interval_s=0.25), implementations=given)
    seen = [session.switch_impl() for _ in range(3)]
    assert seen == ["asyncio on uvloop", "anyio on asyncio", "nimsync on trio"]
    session.switch_impl()
    assert (session.spec.params.impl, session.spec.params.loop) == ("asyncio", "uvloop")
    assert Variant.label_of(session.spec) == "asyncio on uvloop"


def test_intervals_between_takes_those_overlapping_and_at_least_one() -> None:
    bounds = [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]
    assert intervals_between(bounds, 0.5, 2.5) == (0, 3)
    assert intervals_between(bounds, 2.5, 0.5) == (0, 3)  # dragged right to left
    assert intervals_between(bounds, 1.0, 2.0) == (1, 2)  # exactly one interval's bounds
    assert intervals_between(bounds, -5.0, -1.0) == (0, 1)  # before the run: its first interval
    assert intervals_between(bounds, 9.0, 12.0) == (3, 4)  # after it: its last
    assert intervals_between([], 0.0, 1.0) == (0, 0)


def _same(a: object, b: object, where: str = "view") -> None:
    """``a`` and ``b`` hold the same figures, array for array and float for float."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True), where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, tuple | list):
        assert isinstance(b, tuple | list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _rebuilt(replay: ReplaySource) -> RunState:
    """The range shown, made the slow way: a fresh state given each of its intervals."""
    track = replay._tracks[replay.selected]
    state = RunState(track.name, ns_per_unit=track.ns_per_unit, spool=False)
    if track.started is not None:
        state.start(track.started)
    for record, vitals in track.intervals[track.first : track.shown]:
        state.interval(record, vitals=vitals)
    return state


def _assert_as_rebuilt(replay: ReplaySource) -> None:
    shown, fresh = replay._tracks[replay.selected].state, _rebuilt(replay)
    for mine, theirs in ((shown.merged, fresh.merged), (shown.corrected, fresh.corrected)):
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            assert np.array_equal(np.frombuffer(mine.counts, np.int64), np.frombuffer(theirs.counts, np.int64))
            assert (mine.total_count, mine.min_value, mine.max_value, mine.get_min_value(), mine.get_max_value()) == (
                theirs.total_count,
                theirs.min_value,
                theirs.max_value,
                theirs.get_min_value(),
                theirs.get_max_value(),
            )
    view, expected = replay.snapshot().runs[0], dataclasses.replace(fresh.view(), phase=shown.phase)
    _same(view, expected)
    assert shown.metrics() == fresh.metrics()


@pytest.mark.parametrize("corrected", [False, True], ids=["service", "corrected"])
def test_a_step_back_gives_the_figures_a_rebuild_of_its_range_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corrected: bool
) -> None:
    rng = np.random.default_rng(7)
    log = tmp_path / "long.hlog"
    tag = "spsc-throughput.corrected" if corrected else "spsc-throughput"
    with log.open("w") as f:
        writer = HlogWriter(f)
        writer.write_header(1_700_000_000.0)
        for i in range(700):  # past the checkpoints' first thinning (32 of every 64 intervals)
            size = 0 if i % 97 == 5 else int(rng.integers(1, 400))  # empty intervals: gaps in the timeline
            values = rng.lognormal(9 + (i % 50) / 25, 0.8, size).astype(np.int64) + 1
            writer.write_interval(tag, i * 0.5, 0.5, histogram_of(values.tolist()))
    replay = ReplaySource(log)
    while not replay.load(batch=50):
        pass
    decoded = []
    real_decode = replay_module.decode_histogram
    monkeypatch.setattr(replay_module, "decode_histogram", lambda text: decoded.append(1) or real_decode(text))
    replay.whole()
    _assert_as_rebuilt(replay)
    replay.step(-1)  # near the end of a long log: a subtraction, not a rebuild
    assert replay.snapshot().position == (699, 700) and len(decoded) <= 2
    _assert_as_rebuilt(replay)
    moves = [
        lambda: replay.step(-3),
        lambda: replay.step(+2),
        lambda: replay.select_range(100, 640),
        lambda: replay.step(-70),
        replay.move_start,
        lambda: replay.step(+5),
        lambda: replay.step(-1),
        lambda: replay.select_range(0, 129),
        lambda: replay.select_range(0, 128),
        lambda: replay.select_range(600, 700),
        lambda: replay.select_range(4, 6),
        replay.first,
        lambda: replay.select_range(0, 700),
        replay.whole,
        lambda: replay.select_range(1, 700),
    ]
    for move in moves:
        move()
        _assert_as_rebuilt(replay)


def test_only_the_tag_on_screen_keeps_checkpoints_and_another_one_steps_back_as_rebuilt(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    log = tmp_path / "two.hlog"
    with log.open("w") as f:
        writer = HlogWriter(f)
        writer.write_header(1_700_000_000.0)
        for i in range(300):
            for tag in ("a", "b"):
                values = rng.lognormal(9, 0.5, 50).astype(np.int64) + 1
                writer.write_interval(tag, i * 1.0, 1.0, histogram_of(values.tolist()))
    replay = ReplaySource(log)
    replay.load()
    a, b = replay._tracks["a"], replay._tracks["b"]
    assert a._marks and not b._marks
    replay.select("b")
    assert not a._marks
    replay.whole()
    for by in (-1, -150, +20):
        replay.step(by)
        _assert_as_rebuilt(replay)
    assert b._marks  # taken on the way while the range was made from the start
    replay.select_range(0, 290)
    _assert_as_rebuilt(replay)


def test_a_log_of_several_layouts_loads_in_batches_as_rebuilt_one_by_one(tmp_path: Path) -> None:
    """Batches add a tag's counts in one pass where layouts agree, value by value where they do not; the
    whole run's histogram keeps the first interval's layout, an empty one's included."""
    rng = np.random.default_rng(11)
    log = tmp_path / "mixed.hlog"
    with log.open("w") as f:
        writer = HlogWriter(f)
        writer.write_header(1_700_000_000.0)
        for i in range(200):
            hist = HdrHistogram(1, 10**9 if i % 3 else 10**12, 2 if i % 2 else 3)
            if i % 37:  # the first, and now and then another, is empty
                for value in rng.lognormal(8, 1, 30).astype(np.int64):
                    hist.record_value(int(value))
            writer.write_interval(None, float(i), 1.0, hist)
    replay = ReplaySource(log)
    while not replay.load(batch=64):
        pass
    replay.whole()
    _assert_as_rebuilt(replay)
