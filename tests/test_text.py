"""Tests for isotrack.text: NFC/NFD, folding, matching, unit codes and near-duplicate names."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from isotrack.errors import IsotrackError
from isotrack.text import (
    SPACES,
    InvalidCodeError,
    escaped,
    fold,
    has_control,
    matches,
    name_key,
    near_duplicates,
    nfc,
    normalise_code,
    normalise_codes,
    plain_texts,
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


def _code_or_none(raw: str) -> str | None:
    try:
        return normalise_code(raw)
    except InvalidCodeError:
        return None


# Codes as sheets hold them: mostly good, now and then with spaces, lower case, a bad character
# or a line break inside a cell.
CODES = st.text(alphabet="AbQ09-_./ \n\tđ", min_size=0, max_size=8)


@given(st.lists(CODES, max_size=12))
@example(["A", "B\nC"])  # a line break inside a cell is not a second code
@example(["A", ""])
def test_normalise_codes_is_normalise_code_of_each(raw: list[str]) -> None:
    one_by_one = [_code_or_none(code) for code in raw]
    together = normalise_codes(raw)
    if raw and None not in one_by_one:
        assert together == one_by_one
    else:
        assert together is None


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=8))
def test_a_control_character_is_any_of_unicodes_cc_but_line_breaks_and_tabs(text: str) -> None:
    expected = any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\x0b\x0c\r" for ch in text)
    assert has_control(text) == expected


def test_cells_are_stripped_of_white_space_but_not_of_control_characters() -> None:
    everything = map(chr, range(sys.maxunicode + 1))
    assert set(SPACES) == {ch for ch in everything if ch.isspace() and not has_control(ch)}


# Texts as name cells hold them: Vietnamese in NFC or NFD, odd spaces, control characters.
TEXTS = st.text(
    alphabet=st.sampled_from("aĐđ ễ\u0301\u0323\xa0\u2003\t\x01\ud800Q"), min_size=0, max_size=6
)


@given(st.lists(TEXTS, max_size=6), st.integers(min_value=0, max_value=5))
@example(["a", " b"], 5)  # a space starting a text in the middle of the column
@example(["a ", "b"], 5)
@example(["e\u0301"], 5)  # NFD
def test_plain_texts_means_nfc_changes_nothing(texts: list[str], longest: int) -> None:
    def plain(text: str) -> bool:
        try:
            same = nfc(text) == text
        except IsotrackError:  # lone surrogates
            return False
        control = any(ord(ch) < 32 or ord(ch) == 127 for ch in text)
        return same and bool(text) and not control and len(text) <= longest

    # Exactly, for text without format characters (see the next test).
    assert plain_texts(texts, longest) == (bool(texts) and all(map(plain, texts)))


def test_plain_texts_leaves_format_characters_to_a_closer_look() -> None:
    joined = "Trạm ra\u200dđa"  # a zero-width joiner: not printable, yet nfc leaves it
    assert nfc(joined) == joined
    assert not plain_texts([joined], 300)
    assert plain_texts([LAO_CAI, "Trạm ra đa 30"], 300)


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


@given(st.text())
def test_escaped_text_is_printable_and_keeps_printable_text(s: str) -> None:
    shown = escaped(s)
    assert shown.isprintable()
    if s.isprintable():
        assert shown == s


def test_nfc_refuses_text_holding_bytes_that_were_not_utf8() -> None:
    with pytest.raises(IsotrackError, match=r"'T\\udcffn' is not valid text.*not UTF-8"):
        nfc("T\udcffn")


# near_duplicates


def test_near_duplicates_table() -> None:
    names = {
        "A1": "Ban CHQS huyện Bảo Thắng",
        "A2": "BAN CHQS HUYỆN BẢO THẮNG",  # case
        "A3": nfd("Ban CHQS huyện Bảo Thắng "),  # NFD and a trailing space
        "A4": "Ban CHQS huyện Bảo Thắn",  # a letter missing: another name as far as we know
        "A5": "Ban CHQS huyện Bát Xát",
        "B1": "Trung đoàn 101",
        "B2": "Trung đoàn 102",  # different numbers: two units
        "B3": "Trung doan 101",  # diacritics
        "C1": "Đồn Biên phòng Lũng Cú",
        "C2": "Đồn Biên phòng Lũng Cu",
        "D1": "Ban CHQS huyện Nghĩa Bình",
        "D2": "Ban CHQS huyện Nghĩa Minh",  # one letter apart, two real districts
        "F1": "Trạm ra đa 30",
        "F2": "Trạm rada 30.",  # spacing and punctuation
    }
    assert near_duplicates(names) == [
        ("A1", "A2"),
        ("A1", "A3"),
        ("A2", "A3"),
        ("B1", "B3"),
        ("C1", "C2"),
        ("F1", "F2"),
    ]


def test_near_duplicates_empty_and_single() -> None:
    assert near_duplicates({}) == []
    assert near_duplicates({"A": "Ban CHQS huyện Bảo Thắng"}) == []


names_strategy = st.dictionaries(
    st.text("ABCDEFGHIJ0123456789", min_size=1, max_size=4),
    st.text("aăbcđ 12.-", max_size=10),
    max_size=25,
)


@given(names_strategy)
def test_near_duplicates_agrees_with_the_definition(names: dict[str, str]) -> None:
    codes = sorted(names)
    expected = [
        (x, y)
        for i, x in enumerate(codes)
        for y in codes[i + 1 :]
        if name_key(names[x]) == name_key(names[y])
    ]
    assert near_duplicates(names) == expected


@given(names_strategy)
def test_near_duplicates_pairs_are_ordered_unique_and_sorted(names: dict[str, str]) -> None:
    pairs = near_duplicates(names)
    assert pairs == sorted(set(pairs))
    assert all(a < b and a in names and b in names for a, b in pairs)
