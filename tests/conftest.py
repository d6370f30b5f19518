"""Shared fixtures: a CLI runner on a fresh database, with a fixed "today" and no colour."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("deterministic", derandomize=True, deadline=None, max_examples=40)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TODAY = "2026-11-22"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "isotrack.json"


@pytest.fixture
def cli(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run ``isotrack ARGS`` in-process against a database of its own."""
    from isotrack.cli import app

    monkeypatch.setenv("ISOTRACK_DB", str(db_path))
    monkeypatch.setenv("ISOTRACK_TODAY", TODAY)
    monkeypatch.setenv("ISOTRACK_LANG", "en")
    monkeypatch.setenv("ISOTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERMINAL_WIDTH", "100")
    runner = CliRunner()

    def run(*args: str) -> Run:
        result = runner.invoke(app, list(args), prog_name="isotrack")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def ok(cli: Callable[..., Run]) -> Callable[..., Run]:
    """Like ``cli`` but the command must succeed."""

    def run(*args: str) -> Run:
        result = cli(*args)
        assert result.exit_code == 0, f"{args} -> {result.exit_code}: {result.stderr}"
        return result

    return run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The reliability campaign's figures (tests/test_reliability.py), when any of it ran."""
    import sys

    helpers = sys.modules.get("reliability_helpers")
    line = helpers.summary_line() if helpers is not None else None
    if line:
        terminalreporter.write_sep("-", "reliability campaign")
        terminalreporter.write_line(line)
