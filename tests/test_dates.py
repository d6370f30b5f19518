"""Tests for isotrack.dates: what is read, what is refused and why, and round trips."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Literal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from isotrack.dates import MAX_YEAR, MIN_YEAR, format_date, iso, parse_date
from isotrack.errors import DateError, IsotrackError

TODAY = date(2025, 6, 14)
FORMS = "(use 2025-06-14, 14/06/2025, 2030, today or -3m)"

in_range_dates = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))


def parse(text: str, role: Literal["fact", "deadline"] = "fact") -> date:
    return parse_date(text, today=TODAY, role=role)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO, with or without padding, with a time part that is ignored.
        ("2025-06-14", date(2025, 6, 14)),
        ("2025-6-4", date(2025, 6, 4)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2025-06-14T10:00:00", date(2025, 6, 14)),
        ("2025-06-14t23:59", date(2025, 6, 14)),
        ("2025-06-14 10:00", date(2025, 6, 14)),
        ("2025-06-14T10:00:00.123456+07:00", date(2025, 6, 14)),
        ("2025-06-14T10:00:00Z", date(2025, 6, 14)),
        # Day first, with /, . or -.
        ("14/06/2025", date(2025, 6, 14)),
        ("14.06.2025", date(2025, 6, 14)),
        ("14-06-2025", date(2025, 6, 14)),
        ("4/6/2025", date(2025, 6, 4)),
        ("01/12/2025", date(2025, 12, 1)),
        ("12/01/2025", date(2025, 1, 12)),
        ("29/02/2024", date(2024, 2, 29)),
        ("31/12/2200", date(2200, 12, 31)),
        ("01/01/1900", date(1900, 1, 1)),
        # A month or a year alone: its first day for a fact.
        ("06/2025", date(2025, 6, 1)),
        ("6/2025", date(2025, 6, 1)),
        ("06.2025", date(2025, 6, 1)),
        ("2025-06", date(2025, 6, 1)),
        ("2025-2", date(2025, 2, 1)),
        ("2030", date(2030, 1, 1)),
        # Words, whatever the case and the diacritics (NFC or NFD).
        ("today", TODAY),
        ("TODAY", TODAY),
        ("Today", TODAY),
        ("hôm nay", TODAY),
        ("Hôm Nay", TODAY),
        (unicodedata.normalize("NFD", "hôm nay"), TODAY),
        ("hom nay", TODAY),
        ("HOM  NAY", TODAY),
        ("yesterday", date(2025, 6, 13)),
        ("Yesterday", date(2025, 6, 13)),
        ("hôm qua", date(2025, 6, 13)),
        # Offsets from today.
        ("-3m", date(2025, 3, 14)),
        ("+2y", date(2027, 6, 14)),
        ("-10d", date(2025, 6, 4)),
        ("-2w", date(2025, 5, 31)),
        ("3m", date(2025, 9, 14)),
        ("+3M", date(2025, 9, 14)),
        ("0d", TODAY),
        ("-0y", TODAY),
        ("+1d", date(2025, 6, 15)),
        ("20d", date(2025, 7, 4)),
        ("-1y", date(2024, 6, 14)),
        ("-125y", date(1900, 6, 14)),
        ("+175y", date(2200, 6, 14)),
        # Surrounding whitespace is ignored.
        ("  2025-06-14\n", date(2025, 6, 14)),
        ("\t14/06/2025 ", date(2025, 6, 14)),
    ],
)
def test_accepted(text: str, expected: date) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "fact", "deadline"),
    [
        ("06/2025", date(2025, 6, 1), date(2025, 6, 30)),
        ("2025-06", date(2025, 6, 1), date(2025, 6, 30)),
        ("02/2024", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
        ("12/2025", date(2025, 12, 1), date(2025, 12, 31)),
        ("2030", date(2030, 1, 1), date(2030, 12, 31)),
        ("1900", date(1900, 1, 1), date(1900, 12, 31)),
        ("2200", date(2200, 1, 1), date(2200, 12, 31)),
        # A full date is the same date whatever the role.
        ("2025-06-14", date(2025, 6, 14), date(2025, 6, 14)),
        ("14/06/2025", date(2025, 6, 14), date(2025, 6, 14)),
        ("-3m", date(2025, 3, 14), date(2025, 3, 14)),
        ("today", TODAY, TODAY),
    ],
)
def test_role_picks_first_or_last_day(text: str, fact: date, deadline: date) -> None:
    assert parse(text, "fact") == fact
    assert parse(text, "deadline") == deadline
    # "fact" is the default role.
    assert parse_date(text, today=TODAY) == fact


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        # relativedelta keeps to the end of shorter months.
        (date(2025, 3, 31), "-1m", date(2025, 2, 28)),
        (date(2024, 3, 31), "-1m", date(2024, 2, 29)),
        (date(2025, 5, 31), "-3m", date(2025, 2, 28)),
        (date(2025, 1, 31), "1m", date(2025, 2, 28)),
        (date(2024, 2, 29), "+1y", date(2025, 2, 28)),
        (date(2024, 2, 29), "-4y", date(2020, 2, 29)),
        (date(2025, 12, 31), "1d", date(2026, 1, 1)),
        (date(2025, 1, 1), "yesterday", date(2024, 12, 31)),
        (date(2025, 1, 1), "-1w", date(2024, 12, 25)),
    ],
)
def test_offsets_from_other_days(today: date, text: str, expected: date) -> None:
    assert parse_date(text, today=today) == expected


def message(text: str, cause: str, what: str = "date") -> str:
    return f"cannot read {what} '{text}': {cause} {FORMS}"


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("31/02/2025", "day is out of range for month"),
        ("29/02/2025", "day is out of range for month"),
        ("31/04/2025", "day is out of range for month"),
        ("0/06/2025", "day is out of range for month"),
        ("2025-02-30", "day is out of range for month"),
        ("2025-06-00", "day is out of range for month"),
        # Never month first.
        ("12/31/2025", "month 31 does not exist; dates are read day first"),
        ("06/14/2025", "month 14 does not exist; dates are read day first"),
        ("1.13.2025", "month 13 does not exist; dates are read day first"),
        ("01/00/2025", "month 0 does not exist; dates are read day first"),
        ("2025-13-01", "month 13 does not exist"),
        ("2025-00-10", "month 0 does not exist"),
        ("13/2025", "month 13 does not exist"),
        ("2025-13", "month 13 does not exist"),
        # Two-digit and other short or long years.
        ("14/06/25", "a two-digit year is ambiguous; write the year in full"),
        ("1/1/99", "a two-digit year is ambiguous; write the year in full"),
        ("14/06/025", "the year must have four digits"),
        ("14/06/20255", "the year must have four digits"),
        # Years out of range.
        ("1899", "year 1899 is outside 1900..2200"),
        ("2201", "year 2201 is outside 1900..2200"),
        ("0000-01-01", "year 0 is outside 1900..2200"),
        ("31/12/1899", "year 1899 is outside 1900..2200"),
        ("01/2201", "year 2201 is outside 1900..2200"),
        ("9999-12", "year 9999 is outside 1900..2200"),
        ("-126y", "the result is outside 1900..2200"),
        ("+176y", "the result is outside 1900..2200"),
        ("999999y", "the result is outside 1900..2200"),
        ("-999999d", "the result is outside 1900..2200"),
        ("999999m", "the result is outside 1900..2200"),
        # A time part that is not a time.
        ("2025-06-14T25:00", "the time '25:00' is not hh:mm or hh:mm:ss"),
        ("2025-06-14T", "the time '' is not hh:mm or hh:mm:ss"),
        ("2025-06-14 noon", "the time 'noon' is not hh:mm or hh:mm:ss"),
        # Not a date at all.
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("tomorrow", "not a date"),
        ("hôm kia", "not a date"),
        ("next week", "not a date"),
        ("14 June 2025", "not a date"),
        ("June 2025", "not a date"),
        ("2025/06/14", "not a date"),
        ("14/06-2025", "not a date"),
        ("14//06/2025", "not a date"),
        ("20250614", "not a date"),
        ("25", "not a date"),
        ("-3", "not a date"),
        ("-3x", "not a date"),
        ("- 3m", "not a date"),
        ("--3m", "not a date"),
        ("3mm", "not a date"),
        ("1234567d", "not a date"),
        ("١٢/٠٦/٢٠٢٥", "not a date"),  # Arabic-Indic digits are not read
        ("２０２５", "not a date"),  # nor full-width ones
        ("today!", "not a date"),
    ],
)
def test_rejected(text: str, cause: str) -> None:
    with pytest.raises(DateError) as info:
        parse(text)
    assert str(info.value) == message(text.strip(), cause)


def test_rejected_for_a_deadline_too() -> None:
    with pytest.raises(DateError, match=r"^cannot read date '12/31/2025': month 31 "):
        parse("12/31/2025", "deadline")


def test_message_names_what() -> None:
    with pytest.raises(DateError) as info:
        parse_date("soon", today=TODAY, what="deadline")
    assert str(info.value) == message("soon", "not a date", what="deadline")


def test_date_error_is_an_isotrack_error_with_exit_code_1() -> None:
    with pytest.raises(IsotrackError) as info:
        parse("nope")
    assert isinstance(info.value, DateError)
    assert info.value.exit_code == 1


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("14/06\n/2025", r"14/06\n/2025"),
        ("a\x00b", r"a\x00b"),
        ("x\u2028y", r"x\u2028y"),
        ("it's", "it's"),
        ("Hôm mai", "Hôm mai"),
    ],
)
def test_message_is_one_line_with_control_characters_escaped(text: str, shown: str) -> None:
    with pytest.raises(DateError) as info:
        parse(text)
    assert str(info.value).splitlines() == [str(info.value)]
    assert str(info.value).startswith(f"cannot read date '{shown}': ")


def test_message_cuts_long_text() -> None:
    with pytest.raises(DateError) as info:
        parse("7" * 10_000)
    text = str(info.value)
    assert text == message("7" * 60 + "…", "not a date")


def test_bad_role_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="role must be 'fact' or 'deadline'"):
        parse_date("2025", today=TODAY, role="start")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("d", "lang", "expected"),
    [
        (date(2025, 6, 14), "vi", "14/06/2025"),
        (date(2025, 6, 4), "vi", "04/06/2025"),
        (date(2025, 12, 31), "vi", "31/12/2025"),
        (date(2025, 6, 4), "vi_VN.UTF-8", "04/06/2025"),
        (date(2025, 6, 4), "vi-VN", "04/06/2025"),
        (date(2025, 6, 4), "VI", "04/06/2025"),
        (date(2025, 6, 14), "en", "2025-06-14"),
        (date(2025, 6, 4), "en_US", "2025-06-04"),
        (date(2025, 6, 4), "", "2025-06-04"),
        (date(2025, 6, 4), "vie", "2025-06-04"),
        (date(2025, 6, 4), "fr", "2025-06-04"),
    ],
)
def test_format_date(d: date, lang: str, expected: str) -> None:
    assert format_date(d, lang) == expected


def test_iso() -> None:
    assert iso(date(2025, 6, 4)) == "2025-06-04"
    assert iso(date(1900, 1, 1)) == "1900-01-01"


@given(in_range_dates)
@example(date(2024, 2, 29))
@example(date(MIN_YEAR, 1, 1))
@example(date(MAX_YEAR, 12, 31))
def test_iso_round_trip(d: date) -> None:
    assert parse_date(iso(d), today=TODAY) == d
    assert parse_date(iso(d), today=TODAY, role="deadline") == d


@given(in_range_dates)
def test_vietnamese_round_trip(d: date) -> None:
    assert parse_date(format_date(d, "vi"), today=TODAY) == d
    assert parse_date(format_date(d, "en"), today=TODAY) == d


@given(in_range_dates, st.sampled_from(["/", ".", "-"]))
def test_unpadded_day_first(d: date, sep: str) -> None:
    assert parse_date(f"{d.day}{sep}{d.month}{sep}{d.year}", today=TODAY) == d


@given(in_range_dates)
def test_month_first_is_never_read(d: date) -> None:
    """Swapping day and month either reads as the swapped date (both <= 12) or is refused."""
    swapped = f"{d.month:02d}/{d.day:02d}/{d.year}"
    if d.day <= 12:
        assert parse_date(swapped, today=TODAY) == date(d.year, d.day, d.month)
    else:
        with pytest.raises(DateError, match=f"month {d.day} does not exist; dates are read day"):
            parse_date(swapped, today=TODAY)


@given(st.integers(MIN_YEAR, MAX_YEAR), st.integers(1, 12))
def test_month_alone(year: int, month: int) -> None:
    first = parse_date(f"{month:02d}/{year}", today=TODAY)
    last = parse_date(f"{year}-{month:02d}", today=TODAY, role="deadline")
    assert first == date(year, month, 1)
    assert last.replace(day=1) == first
    assert date.fromordinal(last.toordinal() + 1).day == 1  # the last day of its month


@given(in_range_dates, st.integers(-2000, 2000), st.sampled_from("dw"))
def test_day_and_week_offsets(today: date, n: int, unit: str) -> None:
    days = n * (7 if unit == "w" else 1)
    try:
        expected = date.fromordinal(today.toordinal() + days)
    except ValueError:
        expected = None
    text = f"{n:+d}{unit}"
    if expected is not None and MIN_YEAR <= expected.year <= MAX_YEAR:
        assert parse_date(text, today=today) == expected
    else:
        with pytest.raises(DateError, match=r"the result is outside 1900\.\.2200"):
            parse_date(text, today=today)


def outcome(text: str, today: date) -> date | str:
    """The date read, or the message of the DateError; any other exception fails the test."""
    try:
        return parse_date(text, today=today)
    except DateError as e:
        return str(e)


@given(st.text())
@example("\x00")
@example("\ud800")
@example("1" * 5000)
@example("14/06/" + "2" * 5000)
@example("2025-06-14T" + "\n" * 10)
@example("١٢")
@example("٢٠٢٥-٠٦-١٤")
def test_any_text_is_a_date_or_a_date_error(text: str) -> None:
    result = outcome(text, today=TODAY)
    if isinstance(result, date):
        assert MIN_YEAR <= result.year <= MAX_YEAR
    else:
        assert "\n" not in result
        assert re.fullmatch(r"cannot read date '.*': .+ \(use .+\)", result)


@given(st.from_regex(r"\s*[+-]?[0-9]{1,7}[dwmyDWMY]\s*", fullmatch=True), in_range_dates)
def test_any_offset_is_a_date_or_a_date_error(text: str, today: date) -> None:
    result = outcome(text, today=today)
    if isinstance(result, date):
        assert MIN_YEAR <= result.year <= MAX_YEAR
    else:
        assert result.startswith(f"cannot read date '{text.strip()}': ")
