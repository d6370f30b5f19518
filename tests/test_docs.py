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


def commands() -> list[list[str]]:
    """Every command path, e.g. ["unit", "add"], in the order the CLI lists them."""
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
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
    text = README.read_text(encoding="utf-8")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def test_every_command_has_a_summary_and_an_example() -> None:
    for path in commands():
        text = help_text(path)
        _usage, _, rest = text.partition("\n\n")
        assert rest.strip(), f"isotrack {' '.join(path)} has no help"
        assert "Example:" in text, f"isotrack {' '.join(path)} has no example"
        assert re.search(r"^\s+isotrack ", text, re.MULTILINE)


def test_the_readme_reference_matches_help() -> None:
    assert readme_reference() == reference(), "run: python tests/test_docs.py"


def test_the_readme_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", text, re.DOTALL)
    assert "isotrack init --sample" in blocks[0]
    assert "pytest" in blocks[1]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in blocks[1]
    assert ".venv/bin/python -m pytest" in ci


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{START}\n{reference()}{END}{tail}", encoding="utf-8")
    print(f"updated {README}", file=sys.stderr)
