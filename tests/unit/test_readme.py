"""The README tells the truth: CI runs its commands and its example runs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def fenced(language: str) -> list[str]:
    return [b.split("```", 1)[0].strip() for b in README.split(f"```{language}\n")[1:]]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    install_and_run, install_and_test = fenced("sh")[:2]
    assert "nimsync-tui --record" in install_and_run
    assert "pytest" in install_and_test
    assert install_and_test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_channel_example_runs() -> None:
    example = fenced("python")[1]
    out = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1", "2"]


def test_the_own_channel_example_is_the_one_in_examples() -> None:
    shown = fenced("python")[0]
    assert shown == (ROOT / "examples" / "deque_channel.py").read_text().strip()
