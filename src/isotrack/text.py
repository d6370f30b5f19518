"""Vietnamese text handling: normalising, accent-insensitive matching, unit codes, near-duplicates.

Vietnamese text reaches us in NFC (most keyboards) and NFD (some macOS tools, copy-paste from
PDFs), with or without diacritics (``Lào Cai`` / ``Lao Cai``) and in any case. ``nfc`` is for
storing and showing text; ``fold`` is only for comparing it.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from difflib import SequenceMatcher

from isotrack.errors import IsotrackError

__all__ = [
    "InvalidCodeError",
    "fold",
    "matches",
    "near_duplicates",
    "nfc",
    "normalise_code",
    "quoted",
]

CODE_MAX_LENGTH = 64
_CODE_RE = re.compile(rf"[A-Za-z0-9_./-]{{1,{CODE_MAX_LENGTH}}}", re.ASCII)

# Near-duplicate names: difflib ratio on the folded names (in percent, so that the filters below
# use exact integer arithmetic), and the shortest name compared.
NEAR_PERCENT = 92
NEAR_MIN_LENGTH = 8

_DIGITS_RE = re.compile(r"[0-9]+")


class InvalidCodeError(IsotrackError):
    """A unit code with characters other than A-Z, 0-9 and - _ . /, or too long or empty."""


def quoted(s: str, limit: int = 60) -> str:
    """``s`` in single quotes for a one-line message: control characters escaped, long text cut."""
    if len(s) > limit:
        s = s[:limit] + "…"
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)
    return f"'{shown}'"


def nfc(s: str) -> str:
    """``s`` in Unicode NFC, stripped, with every run of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFC", s).split())


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


def _bag(items: Iterable[str], ids: dict[tuple[str, int], int]) -> int:
    """A multiset as a bit set: the 2nd ``a`` is the bit of ``("a", 1)``, so that
    ``(x & y).bit_count()`` is the size of the multiset intersection, computed at C speed."""
    seen: dict[str, int] = {}
    bag = 0
    for item in items:
        n = seen.get(item, 0)
        seen[item] = n + 1
        bag |= 1 << ids.setdefault((item, n), len(ids))
    return bag


def _lcs_length(a: str, positions: dict[str, int], len_b: int) -> int:
    """The length of the longest common subsequence of ``a`` and ``b``, bit-parallel (Hyyrö
    2004); ``positions`` maps each character of ``b`` to the bit set of where it occurs."""
    full = (1 << len_b) - 1
    v = full
    for c in a:
        u = v & positions.get(c, 0)
        v = ((v + u) | (v - u)) & full
    return len_b - v.bit_count()


def near_duplicates(names: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of unit codes whose names are the same or nearly the same, each pair once, sorted.

    ``names`` maps unit codes to names. Two names are duplicates when they fold the same, and
    near duplicates when both folded names have at least 8 characters, their difflib ratio is at
    least 0.92 (either way round: difflib's ratio is not symmetric) and they have the same
    numbers (``Trung đoàn 101`` and ``Trung đoàn 102`` are two units).

    Every pair of names is considered, but difflib only runs on pairs that pass exact cheap
    bounds (length, common characters, longest common subsequence), which keeps 3,000 names of
    the same shape (``Ban CHQS huyện ...``) to about a second.
    """
    by_folded: dict[str, list[str]] = {}
    for code, name in names.items():
        by_folded.setdefault(fold(name), []).append(code)

    pairs: set[tuple[str, str]] = set()
    for codes in by_folded.values():
        codes.sort()
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                pairs.add((a, b))

    # Near duplicates: distinct folded names with the same numbers.
    buckets: dict[tuple[str, ...], list[str]] = {}
    for folded in by_folded:
        if len(folded) >= NEAR_MIN_LENGTH:
            buckets.setdefault(tuple(_DIGITS_RE.findall(folded)), []).append(folded)

    threshold = NEAR_PERCENT / 100
    ids: dict[tuple[str, int], int] = {}
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        bucket.sort(key=lambda s: (len(s), s))
        lengths = [len(s) for s in bucket]
        chars = [_bag(s, ids) for s in bucket]
        weights = [NEAR_PERCENT * length for length in lengths]
        matcher = SequenceMatcher(autojunk=False)
        for j, b in enumerate(bucket):
            len_b, chars_b = lengths[j], chars[j]
            # Cheap necessary conditions first, in exact integer arithmetic. With m characters
            # matched, ratio = 2m / total >= 0.92 needs 200m >= 92 total, where m is at most the
            # shorter length (so only names of length >= 92 len_b / 108 can match) ...
            lo = bisect_left(lengths, -(-NEAR_PERCENT * len_b // (200 - NEAR_PERCENT)), 0, j)
            # ... at most the number of common characters (difflib's quick_ratio) ...
            least = NEAR_PERCENT * len_b
            candidates = [
                i
                for i, chars_a, weight_a in zip(
                    range(lo, j), chars[lo:j], weights[lo:j], strict=True
                )
                if 200 * (chars_a & chars_b).bit_count() - weight_a >= least
            ]
            if not candidates:
                continue
            matcher.set_seq2(b)  # difflib caches what it learns about seq2: vary seq1
            positions: dict[str, int] = {}
            for k, c in enumerate(b):
                positions[c] = positions.get(c, 0) | 1 << k
            for i in candidates:
                a = bucket[i]
                # ... and at most the longest common subsequence.
                if 200 * _lcs_length(a, positions, len_b) < NEAR_PERCENT * (lengths[i] + len_b):
                    continue
                matcher.set_seq1(a)
                if (
                    matcher.ratio() >= threshold
                    or SequenceMatcher(None, b, a, autojunk=False).ratio() >= threshold
                ):
                    for code_a in by_folded[a]:
                        for code_b in by_folded[b]:
                            pairs.add((min(code_a, code_b), max(code_a, code_b)))
    return sorted(pairs)
