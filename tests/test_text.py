"""Tests for isotrack.text: NFC/NFD, folding, matching, unit codes and near-duplicate names."""

from __future__ import annotations

import random
import re
import time
import unicodedata
from difflib import SequenceMatcher

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from isotrack.errors import IsotrackError
from isotrack.text import (
    InvalidCodeError,
    fold,
    matches,
    near_duplicates,
    nfc,
    normalise_code,
    quoted,
)

LAO_CAI = "Bộ Chỉ huy quân sự tỉnh Lào Cai"


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# Text with Vietnamese letters, combining marks and odd whitespace, to find what random text won't.
vietnamese = st.text(
    st.sampled_from(
        [
            *"aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 -_.\t\n\u00a0",
            *"\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b",  # combining marks
            *"ÀÁẢÃẠàáảãạỆệỮữỳýỷỹỵ",
        ]
    )
)
any_text = st.one_of(st.text(), vietnamese)


# nfc


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Quân khu 2 ", "Quân khu 2"),
        ("Quân\t\tkhu\n2", "Quân khu 2"),
        ("Quân\u00a0khu  2", "Quân khu 2"),
        ("", ""),
        (" \n\t ", ""),
        (nfd(LAO_CAI), LAO_CAI),
        (nfd(" Đồng   Nai "), "Đồng Nai"),
    ],
)
def test_nfc(raw: str, expected: str) -> None:
    assert nfc(raw) == expected
    assert unicodedata.is_normalized("NFC", nfc(raw))


def test_nfc_of_nfd_is_the_nfc_string() -> None:
    assert nfd(LAO_CAI) != LAO_CAI  # the test means something
    assert nfc(nfd(LAO_CAI)) == LAO_CAI


@given(any_text)
def test_nfc_is_idempotent_and_normal(s: str) -> None:
    once = nfc(s)
    assert nfc(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip()
    assert "  " not in once


# fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Quân khu 2", "quan khu 2"),
        ("Đồng Nai", "dong nai"),
        ("ĐỒNG NAI", "dong nai"),
        ("đường", "duong"),
        (LAO_CAI, "bo chi huy quan su tinh lao cai"),
        ("Ban CHQS huyện Bảo Thắng", "ban chqs huyen bao thang"),
        ("Thừa Thiên  Huế\t", "thua thien hue"),
        ("Nghệ An", "nghe an"),
        ("Bà Rịa – Vũng Tàu", "ba ria – vung tau"),
        ("QK2-LAOCAI", "qk2-laocai"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected
    assert fold(nfd(raw)) == expected


def test_fold_of_nfc_and_nfd_forms_are_equal() -> None:
    assert nfd(LAO_CAI) != LAO_CAI
    assert fold(nfd(LAO_CAI)) == fold(LAO_CAI)


@given(any_text)
@example("\u1fb3")  # ᾳ: casefolds to two letters, one of which NFD would otherwise keep apart
@example("\u0345")
@example("ǰ̣")
@example("İ")
def test_fold_is_idempotent(s: str) -> None:
    assert fold(fold(s)) == fold(s)


@given(any_text)
def test_fold_is_invariant_under_nfc_and_nfd(s: str) -> None:
    folded = fold(s)
    assert fold(unicodedata.normalize("NFC", s)) == folded
    assert fold(unicodedata.normalize("NFD", s)) == folded
    assert fold(s.upper()) == fold(s.lower()) or not s.isascii()


@given(vietnamese)
def test_fold_leaves_no_marks_no_capitals_no_dd(s: str) -> None:
    folded = fold(s)
    assert not any(unicodedata.combining(c) for c in folded)
    assert "đ" not in folded
    assert folded == folded.lower()
    assert folded.isascii()


# matches


@pytest.mark.parametrize(
    ("query", "texts", "expected"),
    [
        ("quan khu 2", ("Quân khu 2",), True),
        ("dong nai", ("Đồng Nai",), True),
        ("Đồng Nai", ("dong nai",), True),
        ("DONG", ("Đồng Nai",), True),
        ("nai dong", ("Đồng Nai",), True),  # words in any order
        ("lao cai", ("Ban CHQS huyện Bảo Thắng", "QK2-LAOCAI"), False),
        ("laocai", ("Ban CHQS huyện Bảo Thắng", "QK2-LAOCAI"), True),
        ("lao", ("Ban CHQS huyện Bảo Thắng", "QK2-LAOCAI"), True),
        ("qk2 bao thang", ("Ban CHQS huyện Bảo Thắng", "QK2-LAOCAI"), True),
        ("qk 2", ("QK2-LAOCAI",), True),  # a letter/digit change starts a word
        ("2", ("QK2-LAOCAI",), True),
        ("k2", ("QK2-LAOCAI",), False),
        ("cai", ("QK2-LAOCAI",), False),
        ("bao", ("Ban CHQS huyện Bảo Thắng",), True),
        ("thang", ("Ban CHQS huyện Bảo Thắng",), True),
        ("thắng", ("Ban CHQS huyện Bao Thang",), True),
        ("ang", ("Ban CHQS huyện Bảo Thắng",), False),
        ("huyen", ("Ban CHQS huyện Bảo Thắng",), True),
        ("xa", ("Ban CHQS huyện Bảo Thắng",), False),
        ("bao thang hanoi", ("Ban CHQS huyện Bảo Thắng",), False),  # every word must occur
        ("", ("Anything",), True),
        ("   ", ("Anything",), True),
        ("", (), True),
        ("x", (), False),
        ("a b", ("a", "b"), True),  # words may be in different texts
        ("ab", ("a", "b"), False),  # but a word never spans two texts
        ("dien bien", (nfd("Điện Biên"),), True),
        ("-laocai", ("QK2-LAOCAI",), True),
    ],
)
def test_matches(query: str, texts: tuple[str, ...], expected: bool) -> None:
    assert matches(query, *texts) is expected


@given(any_text)
@example("a-b")
@example("2x")
@example("ᾳ")
def test_text_matches_itself(s: str) -> None:
    assert matches(s, s)
    assert matches(nfd(s), s)
    assert matches(s, "other", s)


@given(any_text, any_text)
def test_empty_query_matches_anything(s: str, t: str) -> None:
    assert matches("", s, t)
    assert matches(" \t", s)


@given(st.lists(st.text(st.characters(categories=["L", "N"]), min_size=1), min_size=1))
def test_each_word_of_a_text_matches_it(words: list[str]) -> None:
    text = " ".join(words)
    for word in words:
        assert matches(word, text)


# normalise_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("qk2-laocai", "QK2-LAOCAI"),
        ("  QK2-LAOCAI\n", "QK2-LAOCAI"),
        ("a.b_c/d-1", "A.B_C/D-1"),
        ("X", "X"),
        ("0", "0"),
        ("a" * 64, "A" * 64),
    ],
)
def test_normalise_code(raw: str, expected: str) -> None:
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("x y", "x y"),
        ("", ""),
        ("   ", ""),
        ("a" * 65, "a" * 60 + "…"),
        ("QK2 LAOCAI", "QK2 LAOCAI"),
        ("lào-cai", "lào-cai"),
        ("straße", "straße"),  # would upper-case to STRASSE
        ("ı", "ı"),  # would upper-case to I
        ("ａ", "ａ"),  # full-width
        ("a+b", "a+b"),
        ("a\nb", r"a\nb"),
        ("a\x00", r"a\x00"),
        ("١٢", "١٢"),
    ],
)
def test_invalid_code(raw: str, shown: str) -> None:
    with pytest.raises(InvalidCodeError) as info:
        normalise_code(raw)
    assert str(info.value) == (
        f"invalid unit code '{shown}': use letters A-Z, digits and - _ . / (at most 64)"
    )
    assert isinstance(info.value, IsotrackError)
    assert info.value.exit_code == 1


@given(st.text())
def test_normalise_code_is_idempotent_or_refuses(s: str) -> None:
    try:
        code = normalise_code(s)
    except InvalidCodeError:
        return
    assert normalise_code(code) == code
    assert 1 <= len(code) <= 64
    assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")


# quoted


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "'abc'"),
        ("Lào Cai", "'Lào Cai'"),
        ("a\tb", r"'a\tb'"),
        ("\u2028", r"'\u2028'"),
        ("x" * 61, "'" + "x" * 60 + "…'"),
    ],
)
def test_quoted(raw: str, expected: str) -> None:
    assert quoted(raw) == expected


@given(st.text())
def test_quoted_is_one_line(s: str) -> None:
    assert len(quoted(s).splitlines()) == 1


# near_duplicates


def test_near_duplicates_table() -> None:
    names = {
        "A1": "Ban CHQS huyện Bảo Thắng",
        "A2": "BAN CHQS HUYỆN BẢO THẮNG",  # same folded name
        "A3": nfd("Ban CHQS huyện Bảo Thắng "),  # same folded name
        "A4": "Ban CHQS huyện Bảo Thắn",  # a letter missing: near
        "A5": "Ban CHQS huyện Bát Xát",  # another district
        "B1": "Trung đoàn 101",
        "B2": "Trung đoàn 102",  # different numbers: two units
        "B3": "Trung doan 101",  # same folded name as B1
        "C1": "Đồn Biên phòng Lũng Cú",
        "C2": "Đồn Biên phòng Lũng Cu",  # same folded name
        "D1": "Kho K1",
        "D2": "Kho K2",  # short and different numbers
        "E1": "Ban ABC",
        "E2": "Ban ABD",  # under 8 characters: never near
        "E3": "ban abc",  # ... but equal folded names always count
        "F1": "Trạm ra đa 30",
        "F2": "Trạm rada 30",  # near: a space missing
    }
    assert near_duplicates(names) == [
        ("A1", "A2"),
        ("A1", "A3"),
        ("A1", "A4"),
        ("A2", "A3"),
        ("A2", "A4"),
        ("A3", "A4"),
        ("B1", "B3"),
        ("C1", "C2"),
        ("E1", "E3"),
        ("F1", "F2"),
    ]


def test_near_duplicates_empty_and_single() -> None:
    assert near_duplicates({}) == []
    assert near_duplicates({"A": "Ban CHQS huyện Bảo Thắng"}) == []


@pytest.mark.parametrize(
    ("a", "b", "ratio", "near"),
    [
        # 25 characters, two substituted: 23 matched, 46/50 = 0.92 exactly.
        ("abcdefghijklmnopqrstuvwxy", "abcdefghijklmnopqrstuvwYZ", 0.92, True),
        # 24 characters, two substituted: 22 matched, 44/48 = 0.9166...
        ("abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvYZ", 44 / 48, False),
        # 25 and 26 characters, one added: 50/51.
        ("abcdefghijklmnopqrstuvwxy", "abcdefghijklmnopqrstuvwxyz", 50 / 51, True),
        # 12 and 13 characters with one added: 24/25 = 0.96.
        ("abcd efghijk", "abcd efghijkl", 0.96, True),
        # 8 characters, one substituted: 14/16.
        ("abcdefgh", "abcdefgX", 14 / 16, False),
    ],
)
def test_near_duplicates_threshold(a: str, b: str, ratio: float, near: bool) -> None:
    assert SequenceMatcher(None, a, b).ratio() == ratio
    assert near_duplicates({"X": a, "Y": b}) == ([("X", "Y")] if near else [])


def _brute_force(names: dict[str, str]) -> list[tuple[str, str]]:
    """The definition, pair by pair."""
    pairs = []
    codes = sorted(names)
    for i, x in enumerate(codes):
        for y in codes[i + 1 :]:
            a, b = fold(names[x]), fold(names[y])
            if a == b or (
                len(a) >= 8
                and len(b) >= 8
                and re.findall("[0-9]+", a) == re.findall("[0-9]+", b)
                and max(
                    SequenceMatcher(None, a, b, autojunk=False).ratio(),
                    SequenceMatcher(None, b, a, autojunk=False).ratio(),
                )
                >= 0.92
            ):
                pairs.append((x, y))
    return pairs


names_strategy = st.dictionaries(
    st.text("ABCDEFGHIJ0123456789", min_size=1, max_size=4),
    st.one_of(
        st.builds(
            lambda prefix, rest: prefix + rest,
            st.sampled_from(["Ban CHQS huyện ", "Ban chqs xã ", "Trạm ", "Bộ "]),
            st.text("abcđôơ ̀1 ", max_size=12),
        ),
        st.text("aăbcđ 12", max_size=10),
    ),
    max_size=25,
)


@given(names_strategy)
def test_near_duplicates_agrees_with_the_definition(names: dict[str, str]) -> None:
    assert near_duplicates(names) == _brute_force(names)


@given(names_strategy)
def test_near_duplicates_pairs_are_ordered_unique_and_sorted(names: dict[str, str]) -> None:
    pairs = near_duplicates(names)
    assert pairs == sorted(set(pairs))
    assert all(a < b and a in names and b in names for a, b in pairs)


SYLLABLES = """
    an ba bac binh cai cao chau dong duc giang ha hai hoa hung khanh lam lao long minh nam ngoc
    phu phong quang son tan thai thanh thuan tien trung van vinh xuan yen nghia loc
"""


def test_near_duplicates_is_fast_for_3000_similar_names() -> None:
    rng = random.Random(7)
    syllables = SYLLABLES.split()
    names: dict[str, str] = {}
    while len(names) < 3000:
        words = " ".join(rng.choice(syllables).capitalize() for _ in range(rng.randint(2, 3)))
        names[f"U{len(names):04d}"] = "Ban CHQS huyện " + words  # all in one bucket
    names["DUP"] = names["U0000"].upper()
    start = time.perf_counter()
    pairs = near_duplicates(names)
    elapsed = time.perf_counter() - start
    assert ("DUP", "U0000") in pairs
    assert elapsed < 15, f"near_duplicates took {elapsed:.1f} s for 3,001 names"
