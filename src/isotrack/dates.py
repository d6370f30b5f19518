"""Reading and writing dates. The only module that may use dateutil.

Dates are read day first (Vietnamese usage) and never month first: ``12/31/2025`` is an error,
not the 31st of December. "Today" is always passed in; nothing here looks at the clock.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta

from isotrack.errors import DateError
from isotrack.text import fold, quoted

__all__ = ["MAX_YEAR", "MIN_YEAR", "format_date", "iso", "parse_date"]

MIN_YEAR = 1900
MAX_YEAR = 2200

_FORMS = "use 2025-06-14, 14/06/2025, 2030, today or -3m"

_FLAGS = re.ASCII | re.IGNORECASE
# ISO, optionally followed by a time that is checked but ignored: 2025-06-14T10:00:00+07:00.
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[t ](.*))?", _FLAGS | re.DOTALL)
_TIME = re.compile(
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?(?:z|[+-][0-9]{2}:?[0-9]{2})?",
    _FLAGS,
)
# Day first, the same separator twice: 14/06/2025, 14.06.2025, 14-06-2025, 4/6/2025.
_DMY = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]+)", _FLAGS)
_MY = re.compile(r"([0-9]{1,2})[/.-]([0-9]{4})", _FLAGS)
_YM = re.compile(r"([0-9]{4})-([0-9]{1,2})", _FLAGS)
_YEAR = re.compile(r"[0-9]{4}", _FLAGS)
_OFFSET = re.compile(r"([+-]?)([0-9]{1,6})([dwmy])", _FLAGS)

_TODAY = {"today", "hom nay"}
_YESTERDAY = {"yesterday", "hom qua"}


class _Unreadable(Exception):
    """Why a text is not a date; ``parse_date`` turns it into a ``DateError``."""


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Unreadable(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return year


def _check_month(month: int, day_first: bool = False) -> int:
    if not 1 <= month <= 12:
        hint = "; dates are read day first" if day_first else ""
        raise _Unreadable(f"month {month} does not exist{hint}")
    return month


def _day(year: int, month: int, day: int) -> date:
    _check_year(year)
    _check_month(month)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _Unreadable("day is out of range for month")
    return date(year, month, day)


def _month(year: int, month: int, role: str) -> date:
    _check_year(year)
    _check_month(month)
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last if role == "deadline" else 1)


def _offset(today: date, sign: str, amount: int, unit: str) -> date:
    n = -amount if sign == "-" else amount
    out_of_range = _Unreadable(f"the result is outside {MIN_YEAR}..{MAX_YEAR}")
    try:
        if unit == "d":
            result = today + timedelta(days=n)
        elif unit == "w":
            result = today + timedelta(weeks=n)
        elif unit == "m":  # relativedelta keeps to the month's end: 31 March -1m is 28 February
            result = today + relativedelta(months=n)
        else:
            result = today + relativedelta(years=n)
    except (OverflowError, ValueError):
        raise out_of_range from None
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise out_of_range
    return result


def _parse(text: str, today: date, role: str) -> date:
    if not text:
        raise _Unreadable("it is empty")
    word = fold(text)
    if word in _TODAY:
        return today
    if word in _YESTERDAY:
        return today - timedelta(days=1)

    if m := _ISO.fullmatch(text):
        year, month, day, time = m.groups()
        if time is not None and not _TIME.fullmatch(time):
            raise _Unreadable(f"the time {quoted(time, 20)} is not hh:mm or hh:mm:ss")
        return _day(int(year), int(month), int(day))
    if m := _DMY.fullmatch(text):
        day, _, month, year = m.groups()
        if len(year) == 2:
            raise _Unreadable("a two-digit year is ambiguous; write the year in full")
        if len(year) != 4:
            raise _Unreadable("the year must have four digits")
        _check_month(int(month), day_first=True)
        return _day(int(year), int(month), int(day))
    if m := _MY.fullmatch(text):
        month, year = m.groups()
        return _month(int(year), int(month), role)
    if m := _YM.fullmatch(text):
        year, month = m.groups()
        return _month(int(year), int(month), role)
    if _YEAR.fullmatch(text):
        year_only = _check_year(int(text))
        return date(year_only, 12, 31) if role == "deadline" else date(year_only, 1, 1)
    if m := _OFFSET.fullmatch(text):
        sign, amount, unit = m.groups()
        return _offset(today, sign, int(amount), unit.lower())
    raise _Unreadable("not a date")


def parse_date(
    text: str,
    *,
    today: date,
    role: Literal["fact", "deadline"] = "fact",
    what: str = "date",
) -> date:
    """The date ``text`` names, or ``DateError`` with one line saying why not.

    Accepted: ``2025-06-14`` (a time after it is ignored), ``14/06/2025`` (also with ``.`` or
    ``-``), a month ``06/2025`` or ``2025-06``, a year ``2030``, ``today``/``hôm nay``,
    ``yesterday``/``hôm qua``, and offsets from today ``-3m``, ``+2y``, ``10d``, ``-2w``.
    A month or a year alone is its first day for a ``fact`` and its last day for a ``deadline``.
    ``what`` names the date in the message (``deadline``, ``--since``...).
    """
    if role not in ("fact", "deadline"):
        raise ValueError(f"role must be 'fact' or 'deadline', not {role!r}")
    stripped = text.strip()
    try:
        return _parse(stripped, today, role)
    except _Unreadable as e:
        raise DateError(f"cannot read {what} {quoted(stripped)}: {e} ({_FORMS})") from None


def format_date(d: date, lang: str) -> str:
    """``d`` for people: day first ``14/06/2025`` in Vietnamese (``vi``, ``vi_VN``...), else ISO."""
    if re.split(r"[-_.@]", lang.strip(), maxsplit=1)[0].lower() == "vi":
        return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    return d.isoformat()


def iso(d: date) -> str:
    """``d`` as ``2025-06-14``."""
    return d.isoformat()
