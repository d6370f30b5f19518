"""The console script ends its process at once, once its output is flushed (isotrack.lifetime)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from isotrack import lifetime

# Output written through Python's buffers, as a command's usually is.
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def python(code: str, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import sys\nfrom isotrack import lifetime\n{code}"],
        capture_output=True,
        text=True,
        env=BUFFERED,
        **options,  # type: ignore[call-overload]
    )


@pytest.mark.parametrize(
    ("code", "status", "err"),
    [("None", 0, ""), ("0", 0, ""), ("4", 4, ""), ("259", 3, ""), ("'stopped'", 1, "stopped\n")],
)
def test_end_flushes_the_output_and_ends_with_the_code_systemexit_would(
    code: str, status: int, err: str
) -> None:
    done = python(f"sys.stdout.write('written, not flushed')\nlifetime.end({code})")
    assert done.returncode == status
    assert done.stdout == "written, not flushed"
    assert done.stderr == err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_an_error_not_a_success() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", "import sys\nfrom isotrack import lifetime\n"
             "sys.stdout.write('x' * 10)\nlifetime.end(0)"],
            stdout=full, stderr=subprocess.PIPE, text=True, env=BUFFERED,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == "error: cannot write the output: No space left on device\n"


def test_output_left_for_a_reader_that_has_gone_is_dropped_quietly() -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom isotrack import lifetime\n"
         "sys.stdin.read()\nsys.stdout.write('x' * 10)\nlifetime.end(0)"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=BUFFERED,
    )  # fmt: skip
    assert writer.stdin is not None
    assert writer.stdout is not None
    writer.stdout.close()  # gone before anything was flushed to it
    _, err = writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert err == b""


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    """``isotrack unit list | head -1``: the listing (far more than a pipe holds) stops
    writing, and the command ends with 0 and says nothing."""
    db, sheet = tmp_path / "db.json", tmp_path / "units.csv"
    rows = [f"U{i},Đơn vị {i},agency" for i in range(3000)]
    sheet.write_text("code,name,kind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    env = {**BUFFERED, "ISOTRACK_DB": str(db), "ISOTRACK_TODAY": "2026-11-22"}
    subprocess.run([sys.executable, "-m", "isotrack", "import", str(sheet)], env=env,
                   check=True, capture_output=True)  # fmt: skip
    reader = subprocess.Popen(
        [sys.executable, "-m", "isotrack", "unit", "list"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None
    assert reader.stderr is not None
    reader.stdout.readline()
    reader.stdout.close()  # as ``| head -1`` does
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == b""
    reader.stderr.close()


def test_keep_keeps_nothing_unless_the_process_ends_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lifetime, "_kept", [])
    lifetime.keep([1], [2])
    assert lifetime._kept == []
    monkeypatch.setattr(lifetime, "_ending_at_once", True)
    lifetime.keep([1], [2])
    assert lifetime._kept == [[1], [2]]


def test_the_console_script_ends_with_the_commands_code_and_message(tmp_path: Path) -> None:
    env = {**os.environ, "ISOTRACK_DB": str(tmp_path / "missing.json")}
    done = subprocess.run([sys.executable, "-m", "isotrack", "unit", "list"], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: no isotrack database at ")


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--version"], 0), (["unit", "add", "X"], 2), (["check"], 3)],  # (usage; a target missed)
)
def test_the_console_script_ends_with_the_commands_own_code(
    tmp_path: Path, args: list[str], code: int
) -> None:
    db = tmp_path / "db.json"
    # In 2031 the sample's 2030 target for district commands is missed.
    env = {**os.environ, "ISOTRACK_DB": str(db), "ISOTRACK_TODAY": "2031-06-01"}
    if code == 3:
        for setup in (["init", "--sample"], ["target", "install"]):
            subprocess.run([sys.executable, "-m", "isotrack", *setup], env=env, check=True,
                           capture_output=True)  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "isotrack", *args], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == code, done.stderr


def test_the_console_script_is_the_one_that_ends_at_once() -> None:
    """The installed script runs ``entry.run``, which ends the process without the
    interpreter's clean-up: an exit handler registered before it never runs."""
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="isotrack")
    assert script.value == "isotrack.entry:run"
    done = python(
        "import atexit, sys\n"
        "atexit.register(lambda: print('cleaned up'))\n"
        "sys.argv = ['isotrack', '--version']\n"
        "from isotrack.entry import run\n"
        "run()\n"
    )
    assert done.returncode == 0
    assert "isotrack" in done.stdout
    assert "cleaned up" not in done.stdout
