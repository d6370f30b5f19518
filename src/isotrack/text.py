"""Vietnamese text handling: normalising, accent-insensitive matching, unit codes, near-duplicates.

Vietnamese text reaches us in NFC (most keyboards) and NFD (some macOS tools, copy-paste from
PDFs), with or without diacritics (``Lào Cai`` / ``Lao Cai``) and in any case. ``nfc`` is for
storing and showing text; ``fold`` is only for comparing it.
"""

from __future__ import annotations

import re
import unicodedata

from isotrack.errors import IsotrackError

__all__ = [
    "InvalidCodeError",
    "counted",
    "escaped",
    "fold",
    "matches",
    "near_duplicates",
    "nfc",
    "normalise_code",
    "normalise_codes",
    "plain_texts",
    "quoted",
]

CODE_MAX_LENGTH = 64
_CODE_RE = re.compile(rf"[A-Za-z0-9_./-]{{1,{CODE_MAX_LENGTH}}}", re.ASCII)
_CODE_LINES_RE = re.compile(rf"(?:{_CODE_RE.pattern}\n)*{_CODE_RE.pattern}", re.ASCII)

# Near-duplicate names: difflib ratio on the folded names (in percent, so that the filters below
# use exact integer arithmetic), and the shortest name compared.

_DIGITS_RE = re.compile(r"[0-9]+")


class InvalidCodeError(IsotrackError):
    """A unit code with characters other than A-Z, 0-9 and - _ . /, or too long or empty."""


def counted(number: int, noun: str) -> str:
    """``number`` of a ``noun`` in English: "1 unit", "3 units" (nouns that take an "s")."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def quoted(s: object, limit: int = 60) -> str:
    """``s`` in single quotes for a one-line message: control characters escaped, long text cut."""
    text = str(s)
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"'{escaped(text)}'"


def escaped(s: object) -> str:
    """``s`` (text or a path) safe inside a one-line message: every character that is not
    printable (newlines, terminal escapes, bytes that were not UTF-8) shown as its escape."""
    text = str(s)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def nfc(s: str) -> str:
    """``s`` in Unicode NFC, stripped, with every run of whitespace made one space.

    Text holding lone surrogates (what Python makes of command-line bytes that are not UTF-8)
    cannot be stored: ``IsotrackError`` says so rather than letting the write fail later.
    """
    if not s.isascii() and _SURROGATE_RE.search(s):
        raise IsotrackError(
            f"{quoted(s)} is not valid text: it holds bytes that are not UTF-8 "
            "(set the terminal or the file to UTF-8 and try again)"
        )
    return " ".join(unicodedata.normalize("NFC", s).split())


# Unicode's control characters (category Cc: C0, DEL and C1) but tab, line feed, vertical tab
# (a manual line break pasted from Word), form feed and carriage return, which a pasted or
# multi-line cell holds and ``nfc`` makes spaces. Never stored in a name or a text: a C1
# character in a sheet is usually text decoded in the wrong encoding.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# The white space a cell is stripped of (``cell.strip(SPACES)``): Python's (str.isspace) but
# the control characters above, which are refused rather than trimmed away unseen.
SPACES = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


# What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula (see ``FORMULA_TRIGGERS``)."""
    if isinstance(value, str) and value[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


_ANY_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # every one, tab and line breaks too


def one_line(s: str) -> str:
    """``s`` with every control character (tab and line breaks included) shown as its escape:
    for a record of one line, such as the command a changeset was made by."""
    return _ANY_CONTROL_RE.sub(lambda found: repr(found.group())[1:-1], s)


def has_control(s: str) -> bool:
    """Whether ``s`` holds a control character other than tab or a line break (see above):
    the one rule for names and texts, typed on the command line or read from a file. Ask it
    of the text as given, before ``nfc``, which would make some of them (U+001C to U+001F,
    U+0085) spaces."""
    return _CONTROL_RE.search(s) is not None


def fold(s: str) -> str:
    """A matching key for ``s``: no diacritics, ``đ`` as ``d``, case-folded, whitespace collapsed.

    Canonically equivalent strings (NFC and NFD forms) fold the same, and folding is idempotent.
    """
    # NFD, casefold, NFD again: Unicode's "canonical caseless matching" (the inner NFD matters
    # for a few characters such as U+0345 whose case folding is not canonically closed).
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFD", s).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("đ", "d").replace("Đ", "d").split())


def _is_word_start(hay: str, i: int) -> bool:
    """Whether position ``i`` of ``hay`` starts a word: after a non-alphanumeric or at a
    letter/digit change (``qk2`` has words ``qk`` and ``2``)."""
    if i == 0:
        return True
    prev, cur = hay[i - 1], hay[i]
    if not (prev.isalnum() and cur.isalnum()):
        return True
    return prev.isdigit() != cur.isdigit()


def _occurs_at_word_start(token: str, hay: str) -> bool:
    i = hay.find(token)
    while i >= 0:
        if _is_word_start(hay, i):
            return True
        i = hay.find(token, i + 1)
    return False


def matches(query: str, *texts: str) -> bool:
    """Whether every word of ``query`` occurs in ``texts``, ignoring case and diacritics.

    Each folded query word must occur at the start of a word of the folded texts (it may stop
    short of the word's end), so ``lao`` and ``laocai`` find ``QK2-LAOCAI`` but ``cai`` does not.
    An empty query matches everything.
    """
    tokens = fold(query).split()
    if not tokens:
        return True
    hay = fold(" ".join(texts))
    return all(_occurs_at_word_start(token, hay) for token in tokens)


def normalise_code(code: str) -> str:
    """``code`` stripped and upper-cased; raises ``InvalidCodeError`` unless it is 1 to 64 of
    A-Z, 0-9, ``-``, ``_``, ``.`` and ``/``."""
    stripped = code.strip()
    if not _CODE_RE.fullmatch(stripped):
        raise InvalidCodeError(
            f"invalid unit code {quoted(stripped)}: use letters A-Z, digits and - _ . / "
            f"(at most {CODE_MAX_LENGTH})"
        )
    return stripped.upper()


def normalise_codes(codes: list[str]) -> list[str] | None:
    """``normalise_code`` of each code, all at once (in C loops: a sheet has one per row), or
    ``None`` if any is not a valid code: then read them one by one to say which."""
    stripped = list(map(str.strip, codes))
    joined = "\n".join(stripped)
    if not stripped or not _CODE_LINES_RE.fullmatch(joined):
        return None
    upper = joined.upper().split("\n")
    return upper if len(upper) == len(codes) else None  # not if a cell held a line break


def plain_texts(texts: list[str], longest: int) -> bool:
    """Whether ``nfc`` surely leaves each text as it is (in NFC, stripped, single spaces, no
    lone surrogates), none holds a control character and none is longer than ``longest``:
    checked for a whole column at once. ``False`` may also mean "look at each": a text with
    a format character such as a zero-width joiner is not printable, but may be plain."""
    if not texts or max(map(len, texts)) > longest or "" in texts:
        return False
    joined = " ".join(texts)
    # Printable: no control character, surrogate or whitespace but the ASCII space, which
    # (never two, never at an end) is what nfc() leaves of any run of whitespace.
    if not joined.isprintable() or "  " in joined or joined[0] == " " or joined[-1] == " ":
        return False
    return unicodedata.is_normalized("NFC", joined)


def name_key(name: str) -> str:
    """What two names share when they are the same name typed differently: folded, with
    spaces and punctuation removed (``Trạm ra đa 30`` and ``TRAM RADA 30.`` share a key)."""
    return "".join(ch for ch in fold(name) if ch.isalnum())


def near_duplicates(names: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of unit codes whose names are the same name typed differently (case, diacritics,
    spacing, punctuation), each pair once, sorted.

    Names that differ by a letter are not flagged: real place names often do (``Nghĩa Bình``,
    ``Nghĩa Minh``), and a rule that flagged them would bury the real duplicates.
    """
    by_key: dict[str, list[str]] = {}
    for code, name in names.items():
        by_key.setdefault(name_key(name), []).append(code)
    pairs = [
        (a, b)
        for codes in by_key.values()
        for i, a in enumerate(sorted(codes))
        for b in sorted(codes)[i + 1 :]
    ]
    return sorted(pairs)
