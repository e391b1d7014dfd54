"""``--report FILE.html`` opens in Chromium with every request beyond the file refused, and draws its charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

from nimsync_tui.cli import main
from nimsync_tui.errors import ExitStatus

# One worker runs the module: its module-scoped fixture is made once.
pytestmark = pytest.mark.xdist_group("report_browser")

FIXTURE = Path(__file__).parents[1] / "fixtures" / "java-reference.hlog"
TAGS = ("pingpong-latency", "spsc-throughput")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "java.html"
    assert main(["--replay", str(FIXTURE), "--report", str(path), "--value-unit", "us"]) == ExitStatus.OK
    return path


def test_the_report_draws_its_charts_offline(browser: Browser, report: Path) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    refused: list[str] = []
    own = report.as_uri()

    def only_the_file(route: Route) -> None:
        if route.request.url == own:
            route.fallback()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(own)
    # Three charts a tag (spectrum, timeline, values per interval), each drawn by the inlined script.
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6", timeout=60_000)
    titles = page.locator(".gtitle").all_text_contents()
    assert refused == [] and errors == []
    for tag in TAGS:
        assert f"{tag}: latency by percentile" in titles and f"{tag}: latency over time" in titles
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 2 * (1 + 5 + 1)
    assert "FAIL SPSC Throughput" in page.locator("pre").inner_text()  # the verdicts are there
    # What Chromium drew, kept beside the report (its path printed: pytest -s shows it).
    shot = report.with_name("java.chromium.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    print(f"report screenshot: {shot}")
    context.close()


def test_the_chart_images_are_written(report: Path) -> None:
    for tag in TAGS:
        for kind in ("spectrum", "timeline"):
            for fmt in ("png", "svg"):
                image = report.with_name(f"java.{tag}.{kind}.{fmt}")
                assert image.stat().st_size > 1000
    assert report.with_name(f"java.{TAGS[0]}.spectrum.svg").read_text().lstrip().startswith("<?xml")
    assert report.with_name(f"java.{TAGS[0]}.spectrum.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
