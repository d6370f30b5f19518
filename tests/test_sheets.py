"""Reading and writing snapshot sheets: encodings, separators, headers in either language,
the files Excel and LibreOffice make, formula neutralisation, and never a crash on any input."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from isotrack import forked, sheets
from isotrack.errors import IsotrackError, UsageError
from isotrack.sheets import (
    SAVE_AS,
    column_for,
    decode,
    guess_format,
    header_key,
    letter,
    neutralise,
    read_sheet,
    restore,
)
from isotrack.text import FORMULA_TRIGGERS, SPACES

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = ("excel-csv-utf8-semicolon.csv", "excel-unicode-text.txt", "libreoffice-nfd.csv")


def sheet_of(name: str, fmt: str = "csv"):  # type: ignore[no-untyped-def]
    return read_sheet(name, (FIXTURES / name).read_bytes(), fmt)


def csv_sheet(text: str, encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    return read_sheet("t.csv", text.encode(encoding), "csv")


# --------------------------------------------------------------------------------------------
# The fixtures: each read the same


@pytest.mark.parametrize("name", GOOD)
def test_every_good_csv_reads_to_the_same_rows(name: str) -> None:
    sheet = sheet_of(name)
    codes = [values["code"] for _, values in sheet.rows]
    assert codes == ["BQP", "QK2", "LC-BACHA", "QK2-LAOCAI", "LC-BATHANG"]
    laocai = dict(sheet.rows)[5]
    assert laocai["name"] == "Bộ CHQS tỉnh Lào Cai"
    assert unicodedata.is_normalized("NFC", str(laocai["name"]))
    assert laocai["consultant"] == "Công ty Vinacontrol, chi nhánh Hà Nội"
    assert laocai["stage_date"] == "01/06/2020"


def test_how_each_fixture_was_read() -> None:
    assert sheet_of(GOOD[0]).described == "CSV, UTF-8 with BOM, separator ';'"
    assert sheet_of(GOOD[1]).described == "CSV, UTF-16, separator tab"
    assert sheet_of(GOOD[2]).described == "CSV, UTF-8, separator ','"


def test_excel_csv_vietnamese_headers_serial_column_and_blank_tail() -> None:
    sheet = sheet_of("excel-csv-utf8-semicolon.csv")
    assert sheet.headers["code"] == "Mã đơn vị"
    assert sheet.headers["stage_date"] == "Ngày"
    assert sheet.ignored == ["STT"]
    assert [number for number, _ in sheet.rows] == [2, 3, 4, 5, 6]  # blank rows left out
    assert sheet.where(4, "stage") == "row 4, column Giai đoạn"


def test_xlsx_report_with_title_rows_typed_cells_and_gaps() -> None:
    sheet = sheet_of("units-report.xlsx", "xlsx")
    assert sheet.headers["code"] == "Mã đơn vị (*)"
    assert sheet.ignored == ["Ghi chú"]
    rows = dict(sheet.rows)
    assert sorted(rows) == [4, 5, 7, 8, 9]  # row 6 is empty; numbers as the sheet shows them
    assert rows[5]["stage_date"] == datetime(2019, 3, 15)
    assert rows[5]["edition"] == 2015
    assert rows[7]["stage_date"] == 2022  # a bare year typed as a number
    assert rows[5]["stage"] == "đã công bố"


def test_a_windows_code_page_is_refused_with_what_to_do() -> None:
    with pytest.raises(IsotrackError) as error:
        sheet_of("excel-ansi-cp1258.csv")
    assert str(error.value) == (
        "cannot read excel-ansi-cp1258.csv: it is not UTF-8 text (byte 0xf2 at offset 87; "
        "probably saved in a Windows code page or an old Vietnamese font encoding); " + SAVE_AS
    )
    assert "CSV UTF-8" in SAVE_AS


# --------------------------------------------------------------------------------------------
# Encodings and separators


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # with a byte-order mark
        ("utf-16-le", "utf-16-le"),  # without one: told by its zero bytes
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_encodings(encoding: str, name: str) -> None:
    text, found = decode("t.csv", "code,name\r\nQK2,Quân khu 2\r\n".encode(encoding))
    assert (text.splitlines()[1], found) == ("QK2,Quân khu 2", name)


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_separators_are_detected_from_the_header(separator: str) -> None:
    text = separator.join(["code", "name", "tthc"]) + "\n"
    text += separator.join(["QK2", '"Quân khu 2, Hà Nội"', "3"]) + "\n"
    sheet = csv_sheet(text)
    assert sheet.delimiter == separator
    assert sheet.rows == [(2, {"code": "QK2", "name": "Quân khu 2, Hà Nội", "tthc": "3"})]


def test_a_semicolon_file_with_commas_in_names_is_still_semicolon() -> None:
    sheet = csv_sheet("mã;tên\nA;Một, hai, ba\nB;Bốn, năm\n")
    assert sheet.delimiter == ";"
    assert [v["name"] for _, v in sheet.rows] == ["Một, hai, ba", "Bốn, năm"]


def test_nul_bytes_are_not_text() -> None:
    with pytest.raises(IsotrackError) as error:
        decode("t.csv", b"code\nQK2\x00\x00x\n")
    assert str(error.value) == "cannot read t.csv: it holds NUL characters, so it is not text"


def test_bad_utf16_says_so() -> None:
    with pytest.raises(IsotrackError) as error:
        decode("t.txt", b"\xff\xfec\x00o\x00\x00\xd8")  # a lone surrogate
    assert str(error.value).startswith("cannot read t.txt: it is not UTF-16 text (byte 0x00")


def test_a_quoted_cell_over_several_lines_is_one_row() -> None:
    sheet = csv_sheet('code,name\nA,"line one\nline two"\nB,b\n')
    assert [number for number, _ in sheet.rows] == [2, 3]  # as a spreadsheet numbers them


# --------------------------------------------------------------------------------------------
# Headers


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("code", "code"),
        ("Mã đơn vị", "code"),
        ("MÃ ĐƠN VỊ (*)", "code"),
        ("ma don vi", "code"),
        ("Tên đơn vị", "name"),
        ("Stage date", "stage_date"),
        ("stage_since", "stage_date"),
        ("Ngày", "stage_date"),
        ("edition-date", "edition_date"),
        ("Ngày chuyển đổi", "edition_date"),
        ("Đơn vị cấp trên", "parent"),
        ("Tư vấn:", "consultant"),
        ("Nội bộ", "internal"),
        ("Sản phẩm", "product"),
        ("TTHC", "tthc"),
        ("Ngày báo cáo", "date"),
        ("Quyết định công bố", "decision"),
        ("STT", None),
        ("Ghi chú", None),
    ],
)
def test_headers_in_either_language(header: str, key: str | None) -> None:
    assert column_for(header) == key
    assert column_for(unicodedata.normalize("NFD", header)) == key


def test_header_key_and_letters() -> None:
    assert header_key(" Mã  Đơn_vị (bắt buộc) * ") == "ma don vi"
    assert [letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_title_rows_above_the_header_are_skipped() -> None:
    sheet = csv_sheet("BÁO CÁO ISO 9001,,\n,,\nMã đơn vị,Tên đơn vị,Ghi chú\nQK2,Quân khu 2,x\n")
    assert sheet.rows == [(4, {"code": "QK2", "name": "Quân khu 2"})]
    assert sheet.ignored == ["Ghi chú"]


def test_no_header_row() -> None:
    with pytest.raises(IsotrackError) as error:
        csv_sheet("a,b\n1,2\n")
    assert str(error.value) == (
        "t.csv: no header row with a 'code' (mã đơn vị) column in its first 10 rows; the first "
        "row should name the columns, e.g. code, name, kind, parent, stage, stage_date, edition "
        "(see README, 'Import and export')"
    )


def test_two_columns_meaning_the_same() -> None:
    with pytest.raises(IsotrackError) as error:
        csv_sheet("code,stage,name,Giai đoạn\nA,planned,a,building\n")
    assert str(error.value) == (
        "t.csv: columns B (stage) and D (Giai đoạn) both mean 'stage'; keep one"
    )


def test_an_empty_file() -> None:
    with pytest.raises(IsotrackError, match="no header row"):
        csv_sheet("")


# --------------------------------------------------------------------------------------------
# Formats


def test_format_from_the_extension_or_the_content() -> None:
    assert guess_format(Path("a.CSV"), None) == "csv"
    assert guess_format(Path("a.txt"), None) == "csv"
    assert guess_format(Path("a.xlsx"), None) == "xlsx"
    assert guess_format(Path("a.jsonl"), None) == "jsonl"
    assert guess_format(Path("a.json"), " JSON ") == "json"
    assert guess_format(Path("a.dat"), None, b"PK\x03\x04...") == "xlsx"
    assert guess_format(Path("a.dat"), None, b'\xef\xbb\xbf[{"code": "A"}]') == "json"
    assert guess_format(Path("a.dat"), None, b'{"record": "event"}\n') == "jsonl"
    assert guess_format(Path("a.dat"), None, b"code,name\n") == "csv"
    assert guess_format(Path("a.csv"), None, b"PK\x03\x04...") == "csv"  # read_sheet says more


def test_unknown_formats_are_usage_errors() -> None:
    with pytest.raises(UsageError) as error:
        guess_format(Path("a.pdf"), None)
    assert str(error.value) == (
        "cannot tell the format of a.pdf from its extension: give --format csv, xlsx, json, jsonl"
    )
    with pytest.raises(UsageError) as error:
        guess_format(Path("a.csv"), "ods")
    assert str(error.value) == "unknown format 'ods': use csv, xlsx, json, jsonl"


def test_workbooks_in_the_wrong_clothes() -> None:
    xlsx = (FIXTURES / "units-report.xlsx").read_bytes()
    with pytest.raises(IsotrackError) as error:
        read_sheet("units.csv", xlsx, "csv")
    assert str(error.value) == (
        "units.csv is an XLSX workbook, not CSV: give --format xlsx or name it .xlsx"
    )
    with pytest.raises(IsotrackError) as error:
        read_sheet("units.xlsx", b"code,name\n", "xlsx")
    assert str(error.value) == (
        "units.xlsx is not an XLSX workbook (an .xlsx file is a zip archive): give --format csv "
        "if it is a CSV file"
    )
    with pytest.raises(IsotrackError) as error:
        read_sheet("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "xlsx")
    assert str(error.value) == (
        "old.xls is an Excel 97-2003 workbook (.xls), which isotrack does not read: open it and "
        "save it as .xlsx or as CSV UTF-8"
    )


FORMULAS = {"E2": "2+3", "D3": "1+1"}


def formula_workbook(stored: dict[str, str]) -> bytes:
    """A workbook whose cells E2 and D3 are formulas, with the values in ``stored`` kept in
    the file as Excel and LibreOffice keep them (openpyxl writes a formula with no value)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "đơn vị"
    sheet.append(["code", "name", "kind", "tthc", "internal"])
    sheet.append(["QK2", "Quân khu 2", "military-region", 3, "=" + FORMULAS["E2"]])
    sheet.append(["QK3", "Quân khu 3", "military-region", "=" + FORMULAS["D3"], 4])
    sheet.auto_filter.ref = "A1:E3"  # (<autoFilter>: an element that is not a formula)
    written = io.BytesIO()
    book.save(written)
    out = io.BytesIO()
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            for cell, value in stored.items():
                bare = f'<c r="{cell}"><f>{FORMULAS[cell]}</f><v /></c>'
                data = data.replace(
                    bare.encode(), bare.replace("<v />", f"<v>{value}</v>").encode()
                )
            target.writestr(name, data)
    return out.getvalue()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def edited(data: bytes, replacements: dict[str, str]) -> bytes:
    """The workbook ``data`` with texts of its first worksheet's XML replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                for old, new in replacements.items():
                    assert old.encode() in content
                    content = content.replace(old.encode(), new.encode())
            target.writestr(name, content)
    return out.getvalue()


def test_how_a_formula_without_a_value_is_told_from_one_with_a_value() -> None:
    """Found by a review: a formula whose value is empty text (Excel's =IF(...,"",...)) has
    an empty value, and is read as blank; a wrong recorded size of the sheet, a shared formula
    and a prefixed element hide no formula without a value."""
    base = formula_workbook({"E2": "5", "D3": "2"})
    empty_text = edited(
        base,
        {'<c r="D3"><f>1+1</f><v>2</v></c>': '<c r="D3" t="str"><f>IF(1=1,"","x")</f><v></v></c>'},
    )
    assert read_sheet("f.xlsx", empty_text, "xlsx").columns["tthc"] == [3, None]
    for hidden in (
        {'<dimension ref="A1:E3" />': '<dimension ref="A1" />', "<v>2</v>": "<v />"},
        {"<f>1+1</f><v>2</v>": '<f t="shared" ref="D3:D3" si="0">1+1</f><v />'},
        {
            '<c r="D3"><f>1+1</f><v>2</v></c>': '<x:c r="D3"><x:f>1+1</x:f></x:c>',
            "<worksheet ": f'<worksheet xmlns:x="{MAIN}" ',
        },
    ):
        with pytest.raises(IsotrackError, match=r"^f\.xlsx: cell D3 of sheet"):
            read_sheet("f.xlsx", edited(base, hidden), "xlsx")


def test_formulas_are_read_by_their_stored_values_and_never_left_blank() -> None:
    """Found trying the tool as a new user: a workbook written by a program that does not
    calculate holds formulas with no value, which read as blank cells: their facts were
    silently left out. Such a workbook is refused, naming the cells."""
    sheet = read_sheet("f.xlsx", formula_workbook({"E2": "5", "D3": "2"}), "xlsx")
    assert sheet.columns["tthc"] == [3, 2]
    assert sheet.columns["internal"] == [5, 4]
    with pytest.raises(IsotrackError) as error:
        read_sheet("f.xlsx", formula_workbook({"E2": "5"}), "xlsx")
    assert str(error.value) == (
        "f.xlsx: cell D3 of sheet 'đơn vị' holds a formula whose value was never computed (the "
        "workbook was written by a program that does not calculate); open it in Excel or "
        "LibreOffice and save it again"
    )
    with pytest.raises(IsotrackError, match=r"^f\.xlsx: cells E2, D3 of sheet 'đơn vị' hold a "):
        read_sheet("f.xlsx", formula_workbook({}), "xlsx")


def test_an_opendocument_spreadsheet_is_refused_saying_what_to_do() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # as LibreOffice writes one: mimetype first
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    for name, fmt in (("units.ods", "csv"), ("units.ods", "xlsx"), ("units.xlsx", "xlsx")):
        with pytest.raises(IsotrackError) as error:
            read_sheet(name, buffer.getvalue(), fmt)
        assert str(error.value) == (
            f"{name} is an OpenDocument spreadsheet (.ods), which isotrack does not read: save "
            "it as .xlsx or as CSV UTF-8"
        )


def test_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(IsotrackError) as error:
        read_sheet("x.xlsx", buffer.getvalue(), "xlsx")
    assert str(error.value).startswith("cannot read x.xlsx as an XLSX workbook (")
    assert str(error.value).endswith("open it in Excel or LibreOffice and save it again")


def test_json_snapshots_and_unit_list_output() -> None:
    data = (
        b'[{"code": "QK2", "name": "Qu\\u00e2n khu 2", "procedures": {"tthc": 3, "total": 3},'
        b' "consultant": null, "consultant_used": false, "stage_since": "2020-01-01",'
        b' "alive": true}, {"ma don vi": "A", "giai \\u0111o\\u1ea1n": "building"}]'
    )
    sheet = read_sheet("u.json", data, "json")
    assert sheet.rows == [
        (
            1,
            {
                "code": "QK2",
                "name": "Quân khu 2",
                "consultant": "none",
                "stage_date": "2020-01-01",
                "tthc": 3,
            },
        ),
        (2, {"code": "A", "stage": "building"}),
    ]
    assert sheet.where(2, "stage") == "unit 2, key stage"
    wrapped = read_sheet("u.json", b'{"units": [{"code": "A"}]}', "json")
    assert wrapped.rows == [(1, {"code": "A"})]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "cannot read u.json as JSON: "),
        (b'"text"', "u.json: expected a JSON list of units"),
        (b"[1]", "u.json: unit 1 is not a JSON object"),
    ],
)
def test_bad_json_snapshots(data: bytes, message: str) -> None:
    with pytest.raises(IsotrackError) as error:
        read_sheet("u.json", data, "json")
    assert str(error.value).startswith(message)


# --------------------------------------------------------------------------------------------
# Formula neutralisation


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+84 912 345 678", "'+84 912 345 678"),
        ("-", "'-"),
        ("@user", "'@user"),
        ("\tx", "'\tx"),  # a tab or a carriage return first: some spreadsheets run what follows
        ("\r=x", "'\r=x"),
        ("'=kept", "''=kept"),  # an apostrophe already there survives too
        ("Quân khu 2", "Quân khu 2"),
        ("'quoted", "'quoted"),
        (12, 12),
        (None, None),
    ],
)
def test_neutralise_and_restore(value: object, written: object) -> None:
    assert neutralise(value) == written  # type: ignore[arg-type]
    if isinstance(value, str):
        assert restore(str(written)) == value


@given(st.text())
def test_restore_undoes_neutralise_for_any_text(text: str) -> None:
    safe = neutralise(text)
    assert isinstance(safe, str)
    assert safe[:1] not in FORMULA_TRIGGERS
    assert restore(safe) == text


def test_a_neutralised_cell_reads_back_as_it_was() -> None:
    sheet = csv_sheet("code,name,decision\nA,'=HYPERLINK(\"x\"),'-\n")
    assert sheet.rows == [(2, {"code": "A", "name": '=HYPERLINK("x")', "decision": "-"})]


# --------------------------------------------------------------------------------------------
# Never a crash


@given(st.binary(max_size=400), st.sampled_from(["csv", "xlsx", "json"]))
def test_any_bytes_are_read_or_refused_cleanly(data: bytes, fmt: str) -> None:
    message = ""
    try:
        read_sheet("random.bin", data, fmt)
    except IsotrackError as error:
        message = str(error)
    assert "\n" not in message  # one line, whatever the bytes


@given(st.binary(max_size=300))
def test_any_bytes_after_a_zip_header_are_refused_cleanly(tail: bytes) -> None:
    with pytest.raises(IsotrackError):
        read_sheet("random.xlsx", b"PK\x03\x04" + tail, "xlsx")


# Cells that test the column-at-a-time reading: NFD and combining marks next to separators and
# quotes, odd spaces, line breaks, neutralised formulas, blanks.
CELLS = st.text(
    alphabet=st.sampled_from("aE\u0301\u0323ư\u031b ,;\t\"'\n=\xa0\u037e"), min_size=0, max_size=5
)


@given(st.lists(st.lists(CELLS, max_size=4), max_size=6), st.sampled_from([",", ";", "\t"]))
def test_cells_read_as_each_cell_cleaned_alone(rows: list[list[str]], separator: str) -> None:
    """The whole file is put in NFC at once and its columns cleaned together: each cell comes
    out as cleaning it alone would make it (stripped, in NFC, apostrophe taken off), blank
    cells and rows left out, rows numbered as a spreadsheet numbers them."""
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=separator).writerows([["code", "name", "x", "stage"], *rows])
    sheet = read_sheet("t.csv", out.getvalue().encode("utf-8"), "csv")
    keys = ["code", "name", None, "stage"]
    expected = []
    for number, row in enumerate(rows, start=2):
        values = {}
        for key, cell in zip(keys, row, strict=False):
            text = restore(unicodedata.normalize("NFC", cell.strip()))
            if key and text:
                values[key] = text
        if values:
            expected.append((number, values))
    assert sheet.rows == expected
    assert sheet.delimiter == separator


def test_control_characters_at_a_cells_ends_are_kept_for_its_reader_to_refuse() -> None:
    """Python counts U+001C to U+001F and U+0085 as white space: a cell is stripped of its
    spaces only, so that those reach the importer, which refuses them, instead of vanishing."""
    sheet = csv_sheet("code,name\nA1,\x1fX\x85 \n")
    assert sheet.rows == [(2, {"code": "A1", "name": "\x1fX\x85"})]


def test_a_character_whose_nfc_is_the_separator_stays_in_its_cell() -> None:
    """U+037E (Greek question mark) is ';' in NFC: cells are split first, then normalised."""
    sheet = csv_sheet("code;name;kind\nA1;Tr\u037em X;ministry\n")
    assert sheet.rows == [(2, {"code": "A1", "name": "Tr;m X", "kind": "ministry"})]


def test_a_mark_after_a_closing_quote_is_normalised_with_its_cell() -> None:
    sheet = csv_sheet('code,name,kind\nA1,X,"lo"\u0302\n')
    assert sheet.rows[0][1]["kind"] == unicodedata.normalize("NFC", "lo\u0302") == "lô"


def test_rows_running_on_for_empty_cells_cost_no_memory() -> None:
    """A used range far wider than the header (a stray cell far to the right) is not
    padded out row by row: only the columns read are taken."""
    import tracemalloc

    body = "code,name\n" + "".join(f"A{i},a\n" for i in range(3000)) + "Z" + "," * 20000 + "\n"
    tracemalloc.start()
    try:
        sheet = csv_sheet(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(sheet.numbers) == 3001
    assert sheet.columns["code"][-1] == "Z"
    assert peak < 20_000_000  # padding every row to the widest would take about 500 MB


def test_rows_are_numbered_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are read a few at a time: blank and short rows anywhere keep the numbering."""
    monkeypatch.setattr(sheets, "_CHUNK_ROWS", 3)
    text = "title\ncode,name,stage\nA,a\n,\n\nB\nC,c,applying\n,,\n,,\nD,,building\n"
    sheet = csv_sheet(text)
    assert sheet.rows == [
        (3, {"code": "A", "name": "a"}),
        (6, {"code": "B"}),
        (7, {"code": "C", "name": "c", "stage": "applying"}),
        (10, {"code": "D", "stage": "building"}),
    ]
    assert sheet.columns["stage"] == [None, None, "applying", "building"]


@given(
    st.lists(
        st.lists(st.text(max_size=8), min_size=1, max_size=5),
        max_size=6,
    ),
    st.sampled_from([",", ";", "\t"]),
)
def test_any_table_under_a_header_reads_cleanly(rows: list[list[str]], separator: str) -> None:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(["code", "name", "stage"])
    writer.writerows(rows)
    try:
        sheet = read_sheet("t.csv", out.getvalue().encode("utf-8"), "csv")
    except IsotrackError:
        return
    for _, values in sheet.rows:
        for value in values.values():
            assert isinstance(value, str)
            # Stripped of white space, but not of the control characters Python counts as
            # white space: those are kept for the cell's reader to refuse.
            assert value == value.strip(SPACES)
            assert unicodedata.is_normalized("NFC", value)


def test_dates_in_xlsx_cells_keep_their_type() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "stage_date", "tthc"])
    sheet.append(["A", date(2024, 5, 6), 3.0])
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_sheet("a.xlsx", buffer.getvalue(), "xlsx")
    assert read.rows == [(2, {"code": "A", "stage_date": datetime(2024, 5, 6), "tthc": 3})]


# --------------------------------------------------------------------------------------------
# A long CSV file, read in two halves at once


def read_both_ways(text: str) -> tuple[object, object]:
    """What reading ``text`` gives, as a sheet or an error's message: in two halves at once
    (the length from which that is done set to 0), then whole. (``can_fork`` says yes: the
    native threads other tests' libraries leave in this process, OpenBLAS under openpyxl and
    matplotlib, make it say no here; see ``children`` in test_forked.py.)"""

    def outcome() -> object:
        try:
            return csv_sheet(text)
        except IsotrackError as error:
            return str(error)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheets, "READ_BESIDE_FROM", 0)
        patch.setattr(forked, "can_fork", lambda: True)
        halves = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheets, "READ_BESIDE_FROM", 10**12)
        return halves, outcome()


LINE_CELLS = st.text(alphabet=st.sampled_from("aĐ\u0301 ,;\t'=\xa0"), max_size=6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(LINE_CELLS, max_size=5), min_size=24, max_size=60),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
    st.none() | st.integers(min_value=0, max_value=59),
)
def test_a_csv_read_in_two_halves_reads_as_read_whole(
    rows: list[list[str]], separator: str, end: str, broken: int | None
) -> None:
    """Rows numbered across the halves, blank rows left out, cells cleaned; and a file that
    cannot be read (a line end inside a row, in either half) is refused in the same words."""
    lines = [separator.join(["code", "name", "x", "stage"])] + [separator.join(r) for r in rows]
    if broken is not None and broken < len(rows):
        lines[broken + 1] += "\rX"
    text = end.join(lines) + end
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheets, "READ_BESIDE_FROM", 0)
        patch.setattr(forked, "can_fork", lambda: True)
        assume(sheets._halfway(text) is not None)  # (a text whose first lines are most of it)
    halves, whole = read_both_ways(text)
    assert halves == whole


def test_a_long_csv_is_read_by_two_processes_and_numbered_as_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers: list[bool] = []
    real = forked.Forked.answer

    def answer(self: forked.Forked) -> bytes | None:
        got = real(self)
        answers.append(got is not None)
        return got

    monkeypatch.setattr(forked.Forked, "answer", answer)
    lines = ["Báo cáo", "code;name;stage"] + [f"U{i};Đơn vị {i};building" for i in range(40)]
    lines[21:21] = ["", ";;", ""]  # blank rows about the middle
    text = "\n".join(lines) + "\n"
    halves, whole = read_both_ways(text)
    assert answers == [True]  # the second half came from a child
    assert halves == whole
    assert isinstance(halves, sheets.Sheet)
    assert halves.numbers[-1] == len(lines)
    assert halves.columns["code"][-1] == "U39"


def test_a_half_whose_child_fails_is_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def dead(self: forked.Forked) -> None:
        self.close()

    monkeypatch.setattr(forked.Forked, "answer", dead)
    text = "code,name\n" + "".join(f"A{i},a{i}\n" for i in range(50))
    halves, whole = read_both_ways(text)
    assert halves == whole


def test_an_error_in_the_second_half_is_the_error_of_the_whole() -> None:
    text = "code,name\n" + "".join(f"A{i},a{i}\n" for i in range(50)) + "B,b\rc\n"
    halves, whole = read_both_ways(text)
    assert isinstance(whole, str)
    assert "cannot read t.csv as CSV" in whole
    assert halves == whole


def test_a_title_row_longer_than_half_the_text_keeps_it_whole() -> None:
    """The header may be on any of the first rows: a text split before them would have no
    header in its first half."""
    text = "Báo cáo " + "x" * 500 + "\ncode,name\n" + "".join(f"A{i},a\n" for i in range(15))
    halves, whole = read_both_ways(text)
    assert isinstance(whole, sheets.Sheet)
    assert halves == whole


def test_only_a_long_text_without_quotes_is_read_in_halves() -> None:
    rows = "".join(f"A{i},a{i}\n" for i in range(50))
    assert sheets._halfway("code,name\n" + rows) is None  # short
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheets, "READ_BESIDE_FROM", 0)
        patch.setattr(forked, "can_fork", lambda: True)
        assert sheets._halfway("code,name\n" + rows) is not None
        assert sheets._halfway('code,name\nX,"a, b"\n' + rows) is None  # a quoted cell
        assert sheets._halfway("code,name\n" + "A,a\n" * 5) is None  # under 10 lines
