"""The errors a user can cause. Each carries the exit code the CLI ends with.

The CLI turns any ``IsotrackError`` into one line on stderr and its exit code; anything else is a
bug. Messages are written for the person at the terminal: say what is wrong, where, and what to do.
"""

from __future__ import annotations


class IsotrackError(Exception):
    """Base of every error a user can cause (bad input, unknown unit, busy database...)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(IsotrackError):
    """Options that contradict each other or are missing."""

    exit_code = 2


class DateError(IsotrackError):
    """A date that cannot be read."""


class UnknownUnitError(IsotrackError):
    """A unit code that is not in the registry (at the date asked)."""


class DuplicateUnitError(IsotrackError):
    """A unit code that is already taken."""


class UnknownKindError(IsotrackError):
    """A unit kind that is not in the catalog."""


class UnknownEditionError(IsotrackError):
    """An ISO 9001 edition that is not in the catalog."""


class InvalidTransitionError(IsotrackError):
    """A change the unit's current state does not allow (a stage going backwards, a cycle...)."""


class ChangesetError(IsotrackError):
    """An unknown, ambiguous or already-reverted changeset."""


class DatabaseError(IsotrackError):
    """The database file is missing, damaged, too new, or busy."""


class DatabaseMissingError(DatabaseError):
    """No database at the path."""


class DatabaseCorruptError(DatabaseError):
    """The file exists but cannot be read as an isotrack database."""


class DatabaseBusyError(DatabaseError):
    """Another process held the write lock for longer than the timeout."""


class CatalogError(IsotrackError):
    """A catalog file (kinds, editions) that cannot be read."""


class ImportRowError(IsotrackError):
    """Rows (or lines) of an imported file that cannot be imported, each with where it is and
    what is wrong. Nothing is written when a file has any."""

    def __init__(self, source: str, problems: list[tuple[str, str]], places: int, noun: str):
        from isotrack.text import counted  # (here: isotrack.text imports this module)

        head = (
            f"{source}: nothing was imported: {counted(len(problems), 'problem')} in "
            f"{counted(places, noun)}"
        )
        super().__init__("\n".join([head, *(f"  {where}: {what}" for where, what in problems)]))
        self.source = source
        self.problems = problems

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "imported": False,
            "problems": [{"where": where, "message": what} for where, what in self.problems],
        }
