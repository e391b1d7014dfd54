"""``--replay LOG --record DIR`` with the Java processor's other options: ``--range`` (``-start``/``-end``),
``--csv`` (``-csv``) and ``--correct-co`` (``-correctLogWithKnownCoordinatedOmission``), each equal to Java's
output line for line on a tagged and an untagged log. In-process: the CLI's ``main``."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimsync_tui.cli import main
from nimsync_tui.errors import ExitStatus

from ..java_reference import java_percentile_distribution

TAGGED = Path(__file__).parent.parent / "fixtures" / "java-reference.hlog"
"""Five 1 s intervals written by Java, tagged pingpong-latency (at 0, 2, 4 s) and spsc-throughput (1, 3 s)."""
TAGS = ("pingpong-latency", "spsc-throughput")


def _untagged(tmp_path: Path, only: str | None = None) -> Path:
    """The fixture without its tags (or only the lines of the tag ``only``, without it)."""
    lines = TAGGED.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("Tag=") or only is None or line.startswith(f"Tag={only},")]
    log = tmp_path / f"untagged-{only or 'all'}.hlog"
    log.write_text("".join(line.split(",", 1)[1] if line.startswith("Tag=") else line for line in kept))
    return log


def _ours(log: Path, out: Path, *options: str) -> Path:
    assert main(["--replay", str(log), "--record", str(out), *options]) == ExitStatus.OK
    return out


CASES = [
    (["--range", "1:2.5"], ["-start", "1", "-end", "2.5"]),
    (["--range", "1.5:"], ["-start", "1.5"]),
    (["--csv"], ["-csv"]),
    (["--csv", "--range", "0.5:3"], ["-csv", "-start", "0.5", "-end", "3"]),
]


@pytest.mark.java
@pytest.mark.parametrize(("ours", "java"), CASES)
def test_range_and_csv_on_a_tagged_log_equal_the_java_processors(
    ours: list[str], java: list[str], tmp_path: Path
) -> None:
    out = _ours(TAGGED, tmp_path / "out", *ours)
    for tag in TAGS:
        assert (out / f"{tag}.hgrm").read_text() == java_percentile_distribution(TAGGED, tag, tmp_path, options=java)


@pytest.mark.java
@pytest.mark.parametrize(
    ("ours", "java"),
    [*CASES, (["--correct-co", "20000"], ["-correctLogWithKnownCoordinatedOmission", "20000"]),
     (["--correct-co", "7", "--csv", "--range", "2:"], ["-correctLogWithKnownCoordinatedOmission", "7", "-csv",
                                                         "-start", "2"])],
)  # fmt: skip
def test_range_csv_and_correction_on_an_untagged_log_equal_the_java_processors(
    ours: list[str], java: list[str], tmp_path: Path
) -> None:
    log = _untagged(tmp_path)
    out = _ours(log, tmp_path / "out", *ours)
    assert (out / "untagged.hgrm").read_text() == java_percentile_distribution(log, None, tmp_path, options=java)


@pytest.mark.java
def test_a_corrected_tag_equals_java_on_that_tags_lines(tmp_path: Path) -> None:
    """Java 2.1.11 fails on ``-tag`` with the correction (a NullPointerException at the log's end), so each
    tag is compared with Java's output for the same lines written untagged."""
    out = _ours(TAGGED, tmp_path / "out", "--correct-co", "20000")
    for tag in TAGS:
        alone = _untagged(tmp_path, tag)
        java = java_percentile_distribution(alone, None, tmp_path, options=["-correctLogWithKnownCoordinatedOmission",
                                                                            "20000"])  # fmt: skip
        assert (out / f"{tag}.hgrm").read_text() == java
        uncorrected = java_percentile_distribution(alone, None, tmp_path)
        assert java != uncorrected  # the correction added values: the comparison says something


def test_a_log_already_corrected_is_refused_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "open-loop.hlog"
    lines = TAGGED.read_text().replace("Tag=spsc-throughput,", "Tag=pingpong-latency.corrected,")
    log.write_text(lines)
    status = main(["--replay", str(log), "--record", str(tmp_path / "out"), "--correct-co", "1000"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == ExitStatus.USAGE and not (tmp_path / "out").exists()
    assert len(err) == 1 and "'pingpong-latency.corrected', already corrected" in err[0] and "twice" in err[0]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--range", "abc"], "--range takes START:END"),
        (["--range", "5:1"], "END at least START"),
        (["--correct-co", "0"], "--correct-co takes the expected interval"),
        (["--correct-co", "soon"], "--correct-co takes the expected interval"),
    ],
)
def test_bad_processor_options_are_one_line_and_exit_2(
    options: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--replay", str(TAGGED), "--record", str(tmp_path / "out"), *options])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == ExitStatus.USAGE and len(err) == 1 and says in err[0]
    assert not (tmp_path / "out").exists()


def test_processor_options_need_a_log_to_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--range", "1:2", "--record", "somewhere"]) == ExitStatus.USAGE
    assert "use --replay LOG --record DIR" in capsys.readouterr().err
