"""The docs tell the truth: every command has help with an example, and the README's command
reference is exactly what ``--help`` prints.

To refresh the README after changing a command: ``python tests/test_docs.py``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import typer.main
from typer.testing import CliRunner

from isotrack.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- reference:start -->", "<!-- reference:end -->"
TOUR_START, TOUR_END = "<!-- tour:start -->", "<!-- tour:end -->"
TOUR_TODAY = "2026-11-22"
SHOWN_DB = "~/.local/share/isotrack/isotrack.json"
SHEET = "data/sample/bao-cao-laocai.csv"

# (what the step shows, the command): the README's tour, run for real on the shipped sample.
TOUR: list[tuple[str, list[str]]] = [
    ("Load the sample into the default database.", ["init", "--sample"]),
    (
        "The dashboard: totals, and each target with its progress, status and projection.",
        ["report"],
    ),
    (
        "Find a unit without typing diacritics (`--all` includes units that have ended).",
        ["unit", "list", "--match", "bao thang", "--all"],
    ),
    (
        "Record that a regional defence command started building its QMS.",
        [
            "qms",
            "stage",
            "LAOCAI-PTKV1",
            "building",
            "--edition",
            "2015",
            "--no-consultant",
            "--on",
            "02/11/2026",
        ],
    ),
    (
        "A province sends its sheet (Excel's CSV, `;`, Vietnamese headers): see what it would "
        "record, then record it.",
        ["import", SHEET, "--dry-run"],
    ),
    ("", ["import", SHEET]),
    ("Check the targets (exit code 3 if any is at risk, behind or missed).", ["check"]),
    (
        "Print the report for the paper file, in Vietnamese.",
        ["report", "--format", "html", "-o", "bao-cao.html", "--lang", "vi"],
    ),
    ("What was recorded, and taking the import back.", ["log", "--limit", "3"]),
    ("", ["undo"]),
]


def commands() -> list[list[str]]:
    """Every command path, e.g. ["unit", "add"], in the order the CLI lists them."""
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            context = click.Context(command)
            for name in command.list_commands(context):
                sub = command.get_command(context, name)  # builds a deferred group
                assert sub is not None
                walk(sub, [*path, name])
        else:
            found.append(path)

    walk(root, [])
    return found


def help_text(path: list[str]) -> str:
    result = CliRunner().invoke(
        app, [*path, "--help"], prog_name="isotrack", terminal_width=100, env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.output
    return result.output.rstrip() + "\n"


def reference() -> str:
    parts = ["```text\n" + help_text([]) + "```\n"]
    for path in commands():
        parts.append(f"### isotrack {' '.join(path)}\n\n```text\n{help_text(path)}```\n")
    return "\n".join(parts)


def readme_reference() -> str:
    return _between(README.read_text(encoding="utf-8"), START, END)


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n") + "\n"


def tour(folder: Path) -> str:
    """Run the tour in ``folder`` (a fresh database, the sheet copied at its README path)."""
    import os
    import shlex
    import shutil

    db = folder / "isotrack.json"
    (folder / SHEET).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(README.parent / SHEET, folder / SHEET)
    env = {
        "ISOTRACK_DB": str(db),
        "ISOTRACK_TODAY": TOUR_TODAY,
        "ISOTRACK_LANG": "en",
        "ISOTRACK_CONFIG_DIR": str(folder / "config"),
        "NO_COLOR": "1",
    }
    blocks = []
    here = Path.cwd()
    os.chdir(folder)
    try:
        for caption, args in TOUR:
            result = CliRunner().invoke(
                app, args, prog_name="isotrack", env=env, terminal_width=100
            )
            assert result.exception is None or isinstance(result.exception, SystemExit), args
            shown = (result.stdout + result.stderr).replace(str(db), SHOWN_DB).rstrip()
            code = f"\n(exit code {result.exit_code})" if result.exit_code else ""
            text = f"$ {shlex.join(['isotrack', *args])}\n{shown}{code}"
            if caption:
                blocks.append(f"{caption}\n\n```console\n{text}\n```")
            else:
                blocks[-1] = blocks[-1].removesuffix("```") + f"\n{text}\n```"
    finally:
        os.chdir(here)
    return "\n\n".join(blocks) + "\n"


def normalised(text: str) -> str:
    """The tour with what changes from run to run (ids, hashes, clock times) masked."""
    text = re.sub(r"\b[0-9a-f]{8,64}\b", "<id>", text)
    return re.sub(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b", "<recorded>", text)


def test_every_command_has_a_summary_and_an_example() -> None:
    for path in commands():
        text = help_text(path)
        _usage, _, rest = text.partition("\n\n")
        assert rest.strip(), f"isotrack {' '.join(path)} has no help"
        assert "Example:" in text, f"isotrack {' '.join(path)} has no example"
        assert re.search(r"^\s+isotrack ", text, re.MULTILINE)


def test_the_readme_reference_matches_help() -> None:
    assert readme_reference() == reference(), "run: python tests/test_docs.py"


def test_the_readme_tour_is_what_the_commands_print(tmp_path: Path) -> None:
    shown = _between(README.read_text(encoding="utf-8"), TOUR_START, TOUR_END)
    assert normalised(shown) == normalised(tour(tmp_path)), "run: python tests/test_docs.py"


def test_the_readme_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", text, re.DOTALL)
    assert "isotrack init --sample" in blocks[0]
    assert "pytest" in blocks[1]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in blocks[1]
    assert ".venv/bin/python -m pytest" in ci


def _replace(text: str, start: str, end: str, body: str) -> str:
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{body}{end}{rest.split(end, 1)[1]}"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        walk = tour(Path(folder))
    text = README.read_text(encoding="utf-8")
    text = _replace(text, START, END, reference())
    text = _replace(text, TOUR_START, TOUR_END, walk)
    README.write_text(text, encoding="utf-8")
    print(f"updated {README}", file=sys.stderr)
