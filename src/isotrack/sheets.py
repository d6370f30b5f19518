"""Snapshot sheets: one row per unit, read from and written to CSV, XLSX and JSON.

Units send their status as spreadsheets saved by whatever they have: Excel's "CSV UTF-8" (with a
byte-order mark), plain "CSV" with ``;`` in locales that use a decimal comma, "Unicode text"
(UTF-16, tab-separated), LibreOffice's defaults, XLSX. Headers come in English or Vietnamese,
text may be in NFD (macOS, PDF copy-paste), dates are written day first. This module turns any of
those into plain rows ``{column key: value}`` with spreadsheet row numbers, and writes exports
that read back the same. What the values mean is ``isotrack.importer``'s business.

Cells that begin with ``=``, ``+``, ``-`` or ``@`` are neutralised on export (a leading
apostrophe, which spreadsheets show as text) and the apostrophe is taken off again on import, so
a value survives the round trip exactly.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson

from isotrack import forked
from isotrack.errors import IsotrackError, UsageError
from isotrack.text import FORMULA_TRIGGERS, SPACES, fold, quoted, safe_cell

if TYPE_CHECKING:
    from isotrack.timeline import UnitState
    from isotrack.tracker import Tracker

Value = str | int | float | bool | date | datetime | None
Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``: called now and then by long imports and exports."""

FORMATS = ("csv", "xlsx", "json", "jsonl")
SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
PROGRESS_EVERY = 2000  # rows between progress calls
HEADER_SEARCH_ROWS = 10  # title rows above the header are skipped, up to this many
_RISKY = frozenset((*FORMULA_TRIGGERS, "'"))  # first characters neutralise() may change


@dataclass(frozen=True)
class Column:
    """A column of a snapshot sheet: its key (the English header), the Vietnamese header written
    in Vietnamese exports, and every other name it is recognised by."""

    key: str
    vi: str
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("code", "mã đơn vị", ("unit code", "mã", "mã đv", "mã số")),
    Column("name", "tên đơn vị", ("unit name", "tên", "tên đv")),
    Column("kind", "loại", ("loại đơn vị", "loại hình")),
    Column(
        "parent",
        "đơn vị cấp trên",
        ("parent code", "cấp trên", "mã cấp trên", "mã đơn vị cấp trên", "trực thuộc"),
    ),
    Column("founded", "ngày thành lập", ("founded on",)),
    Column("stage", "giai đoạn", ("giai đoạn iso", "qms stage")),
    Column("stage_date", "ngày", ("stage since", "ngày giai đoạn")),
    Column("edition", "phiên bản", ("phiên bản iso", "iso edition")),
    Column("edition_date", "ngày phiên bản", ("edition since", "ngày chuyển đổi")),
    Column("consultant", "tư vấn", ("đơn vị tư vấn",)),
    Column("model", "mô hình", ("mô hình khung", "framework model")),
    Column("scope", "phạm vi", ()),
    Column("decision", "quyết định công bố", ("quyết định", "announcement decision")),
    Column("tthc", "tthc", ("thủ tục hành chính", "quy trình tthc")),
    Column("internal", "nội bộ", ("quy trình nội bộ",)),
    Column("product", "sản phẩm", ("quy trình sản phẩm", "chất lượng sản phẩm")),
    Column("procedures_date", "ngày quy trình", ("procedures since",)),
    Column("date", "ngày báo cáo", ("ngày cập nhật", "report date", "as of")),
)
EXPORT_COLUMNS = tuple(c.key for c in COLUMNS)
COUNT_COLUMNS = ("tthc", "internal", "product")
DATE_COLUMNS = ("founded", "stage_date", "edition_date", "procedures_date", "date")


def header_key(text: str) -> str:
    """What a header is compared by: no diacritics or case, ``_ - .`` as spaces, without a
    trailing ``(...)`` note or ``*`` and ``:`` marks (``Mã đơn vị (*)`` reads as ``ma don vi``)."""
    bare = re.sub(r"\([^)]*\)", " ", fold(text))
    bare = re.sub(r"[*:_.\-/]", " ", bare)
    return " ".join(bare.split())


_BY_HEADER: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.key, _column.vi, *_column.aliases):
        _BY_HEADER.setdefault(header_key(_name), _column.key)


def column_for(header: str) -> str | None:
    """The key of the column a header names, or ``None``."""
    return _BY_HEADER.get(header_key(header))


def letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


# --------------------------------------------------------------------------------------------
# Neutralising formulas


def neutralise(value: Value) -> Value:
    """A cell value a spreadsheet will not run: ``safe_cell``, and one more apostrophe on text that
    already starts with apostrophes before a trigger, so that ``restore`` undoes exactly this."""
    if isinstance(value, str) and value[:1] == "'" and value.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return safe_cell(value)  # type: ignore[return-value]


def restore(text: str) -> str:
    """The value ``neutralise`` was given: one apostrophe off text like ``'=x`` or ``''-y``."""
    if text[:1] == "'" and text.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


# --------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class Sheet:
    """What a snapshot file holds, column by column: ``numbers`` are the rows that are not
    blank (numbered as a spreadsheet shows them), ``columns`` map each column key to one cell
    per such row (``None`` where blank), in the file's order of columns; ``headers`` map each
    key to the header as written (to name it in messages).

    Columns, not rows: sheets repeat their values (kinds, stages, dates, counts), so the
    importer reads each distinct value of a column once."""

    source: str
    format: str
    numbers: list[int]
    columns: dict[str, list[Value]]
    headers: dict[str, str]
    ignored: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    # A JSON sheet's objects each name their keys in their own order (a row of a table
    # follows its columns): the keys each holds, in order, one tuple per row.
    key_order: list[tuple[str, ...]] | None = None

    @property
    def rows(self) -> list[tuple[int, dict[str, Value]]]:
        """The rows as (row number, {column key: value}) with blank cells left out."""
        keys = list(self.columns)
        rows = zip(*self.columns.values(), strict=True)
        return [
            (number, {k: v for k, v in zip(keys, cells, strict=True) if v is not None})
            for number, cells in zip(self.numbers, rows, strict=True)
        ]

    def where(self, row: int, key: str | None = None) -> str:
        """Where a problem is, as the user finds it: ``row 5, column giai đoạn``."""
        if self.format == "json":
            return f"unit {row}" + (f", key {key}" if key else "")
        if key is None:
            return f"row {row}"
        return f"row {row}, column {self.headers.get(key, key)}"

    @property
    def described(self) -> str:
        """How the file was read, e.g. ``CSV, UTF-8 with BOM, separator ';'``."""
        parts = [self.format.upper()]
        if self.encoding:
            parts.append(ENCODING_NAMES.get(self.encoding, self.encoding))
        if self.delimiter:
            parts.append("separator " + ("tab" if self.delimiter == "\t" else repr(self.delimiter)))
        return ", ".join(parts)


ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16 (big-endian)",
}
SAVE_AS = (
    "save it as CSV UTF-8 (Excel: File > Save As > 'CSV UTF-8 (Comma delimited)'; "
    "LibreOffice: Save As > Text CSV, character set 'Unicode (UTF-8)') or as .xlsx"
)


def read_input(path: Path) -> bytes:
    """The bytes of a file to import, or one clear line saying why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise IsotrackError(f"no file {path}") from None
    except IsADirectoryError:
        raise IsotrackError(f"{path} is a folder, not a file") from None
    except OSError as error:
        raise IsotrackError(f"cannot read {path}: {error.strerror or error}") from None


def guess_format(path: Path, given: str | None, data: bytes | None = None) -> str:
    """The format named by ``--format``, else by the file's extension, else (import) by its
    first bytes. Exports need a known extension or ``--format``."""
    if given is not None:
        fmt = given.strip().lower()
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {quoted(given)}: use {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if data is None:
        raise UsageError(
            f"cannot tell the format of {path.name} from its extension: "
            f"give --format {', '.join(FORMATS)}"
        )
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return {b"[": "json", b"{": "jsonl"}.get(head, "csv")


def read_sheet(source: str, data: bytes, fmt: str) -> Sheet:
    """Read a snapshot sheet (``csv``, ``xlsx`` or ``json``); any file that is not one is a
    clear ``IsotrackError``, never a crash."""
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise IsotrackError(
            f"{source} is an Excel 97-2003 workbook (.xls), which isotrack does not read: "
            "open it and save it as .xlsx or as CSV UTF-8"
        )
    if data[:4] == b"PK\x03\x04" and b"application/vnd.oasis.opendocument" in data[:100]:
        # (An OpenDocument file begins with its uncompressed "mimetype" entry.)
        raise IsotrackError(
            f"{source} is an OpenDocument spreadsheet (.ods), which isotrack does not read: "
            "save it as .xlsx or as CSV UTF-8"
        )
    if fmt == "json":
        return _read_json(source, data)
    if fmt == "xlsx":
        if data[:4] != b"PK\x03\x04":
            raise IsotrackError(
                f"{source} is not an XLSX workbook (an .xlsx file is a zip archive): "
                "give --format csv if it is a CSV file"
            )
        return _table(source, "xlsx", _xlsx_rows(source, data))
    if data[:4] == b"PK\x03\x04":
        raise IsotrackError(
            f"{source} is an XLSX workbook, not CSV: give --format xlsx or name it .xlsx"
        )
    text, encoding = decode(source, data)
    delimiter = _delimiter(text)
    split = _halfway(text)
    if split is None:
        sheet = _table(source, "csv", _csv_rows(source, text, delimiter), text_only=True)
    else:
        rest = text[split:]
        sheet = _table(
            source,
            "csv",
            _csv_rows(source, text[:split], delimiter),
            text_only=True,
            beside=lambda columns: forked.Beside(lambda: _read_rows(
                _csv_rows(source, rest, delimiter), columns, 0, text_only=True
            )),
        )  # fmt: skip
    return replace(sheet, encoding=encoding, delimiter=delimiter)


# A CSV text this long (about 10,000 rows) is read in two halves at once (see ``_halfway``).
READ_BESIDE_FROM = 1_000_000


def _halfway(text: str) -> int | None:
    """Where a CSV text is split to read its halves at once, on two cores: after the first
    line end from its middle on. Only a long text (``READ_BESIDE_FROM``) in which a row is a
    line: one without a quote character, so that no cell runs over a line end (a spreadsheet
    quotes such cells, and cells holding the separator: rare in sheets saved with ``;`` or
    tabs). The first half holds every row the header may be on. ``None``: read it all here."""
    if len(text) < READ_BESIDE_FROM or '"' in text or not forked.can_fork():
        return None
    split = text.find("\n", len(text) // 2) + 1
    header_rows_end = 0
    for _ in range(HEADER_SEARCH_ROWS):
        header_rows_end = text.find("\n", header_rows_end) + 1
        if header_rows_end == 0:
            return None
    if not header_rows_end <= split < len(text):
        return None
    return split


def _csv_rows(source: str, text: str, delimiter: str) -> Iterator[list[str]]:
    """The CSV's rows one at a time (a list of them all would double an import's memory). A
    cell may be as long as the text: too long a cell is the column's to refuse, by row."""
    if len(text) > csv.field_size_limit():
        csv.field_size_limit(len(text))
    try:
        yield from csv.reader(io.StringIO(text), delimiter=delimiter)
    except csv.Error as error:
        raise IsotrackError(f"cannot read {source} as CSV ({error}); {SAVE_AS}") from None


def decode(source: str, data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (with or without a byte-order
    mark) or UTF-16 (Excel's "Unicode text"). Anything else is refused, saying what to do:
    a Windows code page cannot be told apart from UTF-8 mistakes reliably."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = _bare_utf16(data) or "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        what = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
        raise IsotrackError(
            f"cannot read {source}: it is not {what} text (byte 0x{bad} at offset "
            f"{error.start}; probably saved in a Windows code page or an old Vietnamese font "
            f"encoding); {SAVE_AS}"
        ) from None
    if "\x00" in text:
        raise IsotrackError(f"cannot read {source}: it holds NUL characters, so it is not text")
    return text, encoding


def _bare_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly-ASCII text has a zero in every other byte."""
    sample = data[:400]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _delimiter(text: str) -> str:
    """``,``, ``;`` or tab: the one that splits the first rows into the most known headers
    (a header row says more than csv.Sniffer's character counts), then the most columns."""
    sample = text[:20000].splitlines()[: HEADER_SEARCH_ROWS + 2]
    best, best_score = ",", (-1, -1)
    for candidate in (",", ";", "\t"):
        try:
            rows = list(csv.reader(sample, delimiter=candidate))
        except csv.Error:
            continue
        known = max((sum(1 for c in row if column_for(c)) for row in rows), default=0)
        width = max((len(row) for row in rows), default=0)
        if (known, width) > best_score:
            best, best_score = candidate, (known, width)
    return best


def _xlsx_rows(source: str, data: bytes) -> Iterator[Sequence[Value]]:
    """The rows of the first worksheet that has a header row (else the first worksheet)."""
    # openpyxl imports numpy where it is installed (matplotlib brings it), and numpy's OpenBLAS
    # starts a pool of threads, which would keep a large import from forking the child that
    # writes its file (see ``forked.can_fork``). isotrack does no linear algebra: one thread.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise IsotrackError(
            f"cannot read {source} as an XLSX workbook ({_reason(error)}); "
            "open it in Excel or LibreOffice and save it again"
        ) from None
    try:
        sheets = list(book.worksheets)
        chosen = sheets[0] if sheets else None
        for sheet in sheets:
            sheet.reset_dimensions()  # some writers record wrong dimensions
            head = list(itertools.islice(sheet.iter_rows(), HEADER_SEARCH_ROWS))
            if any(column_for(str(c.value)) == "code" for row in head for c in row if c.value):
                chosen = sheet
                break
        if chosen is None:
            return
        uncomputed = _uncomputed(data, getattr(chosen, "_worksheet_path", None))
        if uncomputed:
            more = f" and {len(uncomputed) - 5} more" if len(uncomputed) > 5 else ""
            cells, hold = ("cells", "hold") if len(uncomputed) > 1 else ("cell", "holds")
            raise IsotrackError(
                f"{source}: {cells} {', '.join(uncomputed[:5])}{more} of sheet "
                f"{quoted(chosen.title)} {hold} a formula whose value was never computed (the "
                "workbook was written by a program that does not calculate); open it in Excel "
                "or LibreOffice and save it again"
            )
        chosen.reset_dimensions()
        yield from chosen.iter_rows(values_only=True)  # type: ignore[misc]
    except IsotrackError:
        raise
    except Exception as error:
        raise IsotrackError(
            f"cannot read {source} as an XLSX workbook ({_reason(error)}); "
            "open it in Excel or LibreOffice and save it again"
        ) from None
    finally:
        with suppress(Exception):
            book.close()


# In a worksheet's XML: a formula element (``<f>``, ``<f t="shared" .../>``, perhaps prefixed),
# the end of a cell, a cell's type and reference, and a value.
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_CELL_TYPE = re.compile(rb'\st="(\w+)"')
_CELL_REF = re.compile(rb'\sr="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")


def _uncomputed(data: bytes, path: str | None) -> list[str]:
    """The cells of the worksheet at ``path`` in the workbook (every worksheet if its path is
    unknown) that hold a formula but no value: a workbook written by a program that does not
    calculate (openpyxl, some exporters). Read as values, such a cell is blank, and the fact
    it gives would be silently left out. (A formula whose value is text may be empty text.)
    One pass over the sheet's XML, from formula to formula: most sheets have none."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        wanted = path.lstrip("/") if path else ""
        sheets = [wanted] if wanted in names else [n for n in names if "worksheets/" in n]
        found: list[str] = []
        for name in sheets:
            xml = archive.read(name)
            at = 0
            while formula := _FORMULA.search(xml, at):
                end = _CELL_END.search(xml, formula.end())
                if end is None:
                    break
                start = max(
                    xml.rfind(b"<c ", 0, formula.start()), xml.rfind(b":c ", 0, formula.start())
                )
                head = xml[start : xml.find(b">", start)]
                kind = _CELL_TYPE.search(head)
                text = kind is not None and kind[1] in (b"str", b"inlineStr")
                if not text and not _VALUE.search(xml, formula.end(), end.start()):
                    ref = _CELL_REF.search(head)
                    found.append(ref[1].decode() if ref else "?")
                at = end.end()
        return found


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())[:120]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _clean(value: Value) -> Value:
    """A cell as read: text stripped, in NFC, with an export's apostrophe taken off."""
    if isinstance(value, str):
        text = value.strip(SPACES)
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
        if text[:1] == "'":
            text = restore(text)
        return text or None
    return value


# The rows a sheet keeps, read: their numbers, each column's cells (by key), and the number of
# the last row read (blank or not).
_Body = tuple[list[int], dict[str, list[Value]], int]


def _table(
    source: str,
    fmt: str,
    rows: Iterable[Sequence[Value]],
    *,
    text_only: bool = False,
    beside: Callable[[list[tuple[int, str]]], forked.Beside[_Body]] | None = None,
) -> Sheet:
    """Rows of cells -> a Sheet: find the header row, map its columns, keep the rows that are
    not blank. ``text_only``: every cell is text (a CSV file's). ``beside``: the rows that
    follow ``rows``, read at the same time given the columns to read (see ``_halfway``)."""
    body = iter(rows)
    header: Sequence[Value] | None = None
    number = 0  # of the row last read
    for at, row in enumerate(itertools.islice(body, HEADER_SEARCH_ROWS), start=1):
        if any(isinstance(c, str) and column_for(c) == "code" for c in row):
            header, number = row, at
            break
    if header is None:
        raise IsotrackError(
            f"{source}: no header row with a 'code' (mã đơn vị) column in its first "
            f"{HEADER_SEARCH_ROWS} rows; the first row should name the columns, e.g. code, "
            "name, kind, parent, stage, stage_date, edition (see README, 'Import and export')"
        )
    columns: list[tuple[int, str]] = []
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        text = str(_clean(cell) or "")
        if not text:
            continue
        key = column_for(text)
        if key is None:
            ignored.append(text)
            continue
        if key in headers:
            first = next(i for i, k in columns if k == key)
            raise IsotrackError(
                f"{source}: columns {letter(first)} ({headers[key]}) and {letter(index)} "
                f"({text}) both mean '{key}'; keep one"
            )
        headers[key] = text
        columns.append((index, key))
    rest = beside(columns) if beside is not None else None
    try:
        numbers, cells, last = _read_rows(body, columns, number, text_only=text_only)
        if rest is not None:
            more, more_cells, _ = rest.result()
            numbers.extend(last + at for at in more)  # (numbered from 1 in its part)
            for key, column in more_cells.items():
                cells[key].extend(column)
    finally:
        if rest is not None:
            rest.close()
    return Sheet(source, fmt, numbers, cells, headers, ignored)


def _read_rows(
    body: Iterator[Sequence[Value]], columns: list[tuple[int, str]], number: int, *, text_only: bool
) -> _Body:
    """The rows that are not blank of ``body`` (whose first row is ``number`` + 1), cells of
    ``columns`` (index in the row, key) read (see ``_clean``)."""
    numbers: list[int] = []
    cells: dict[str, list[Value]] = {key: [] for _, key in columns}
    # Sheets repeat their cells (kinds, stages, dates, counts): one string object for each
    # distinct text keeps a 100,000-row sheet tens of megabytes smaller. Blank is None.
    same: dict[str, str | None] = {"": None}
    blank = (None,) * len(columns)
    # A few thousand rows at a time, turned into columns (a list of every row would double
    # the memory an import needs), taking only the columns read out of each row: a row may
    # run on for thousands of empty cells (a spreadsheet's used range), which must cost nothing.
    indexes = [index for index, _ in columns]
    width = max(indexes) + 1
    padding: list[Value] = [""] * width
    take = itemgetter(*indexes, indexes[0])  # one more: a tuple even for one column
    while chunk := list(itertools.islice(body, _CHUNK_ROWS)):
        first, number = number + 1, number + len(chunk)
        rows_read = [row if len(row) >= width else [*row, *padding[len(row) :]] for row in chunk]
        by_column = list(zip(*map(take, rows_read), strict=True))
        read = [_clean_cells(cells, same, text_only) for cells in by_column[:-1]]
        filled = list(map(blank.__ne__, zip(*read, strict=True)))
        if all(filled):
            numbers.extend(range(first, number + 1))
            for (_, key), column in zip(columns, read, strict=True):
                cells[key].extend(column)
        else:
            numbers.extend(itertools.compress(range(first, number + 1), filled))
            for (_, key), column in zip(columns, read, strict=True):
                cells[key].extend(itertools.compress(column, filled))
    return numbers, cells, number


_CHUNK_ROWS = 4096
_nfc = functools.partial(unicodedata.normalize, "NFC")


def _clean_cells(
    cells: Sequence[Value], same: dict[str, str | None], text_only: bool
) -> list[Value]:
    """A column's cells as ``_clean`` reads them, each distinct text one object from ``same``
    (which maps "" to ``None``: blank)."""
    if not text_only:
        read = list(map(_clean, cells))
        return [same.setdefault(v, v) if type(v) is str else v for v in read]
    # Text only: the same steps, a column at a time (a step per cell would be most of the
    # time taken to read a large sheet).
    texts = list(map(str.strip, cast("Sequence[str]", cells), itertools.repeat(SPACES)))
    joined = "\x00".join(texts)  # no cell holds NUL (decode refuses it)
    # NUL combines with nothing, so the column is in NFC exactly when each cell is.
    if not joined.isascii() and not unicodedata.is_normalized("NFC", joined):
        texts = list(map(_nfc, texts))
        joined = "\x00".join(texts)
    if joined.startswith("'") or "\x00'" in joined:
        texts = [restore(text) if text[:1] == "'" else text for text in texts]
    return list(map(same.setdefault, texts, texts))


def _read_json(source: str, data: bytes) -> Sheet:
    """A JSON snapshot: a list of unit objects (as ``export`` and ``unit list --json`` write),
    or ``{"units": [...]}``. Keys are column names in English or Vietnamese."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, _ = decode(source, data)
        data = text.encode("utf-8")
    try:
        document = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as error:
        raise IsotrackError(f"cannot read {source} as JSON: {error}") from None
    if isinstance(document, dict) and isinstance(document.get("units"), list):
        document = document["units"]
    if not isinstance(document, list):
        raise IsotrackError(
            f"{source}: expected a JSON list of units (objects with code, name, kind...) "
            'or {"units": [...]}'
        )
    rows: list[tuple[int, dict[str, Value]]] = []
    headers: dict[str, str] = {}
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise IsotrackError(f"{source}: unit {number} is not a JSON object")
        values: dict[str, Value] = {}
        for name, raw in _flatten(item).items():
            key = column_for(str(name))
            if key is None or raw is None or raw == "":
                continue
            headers.setdefault(key, str(name))
            values[key] = _json_value(raw)
        if values:
            rows.append((number, values))
    columns = {key: [values.get(key) for _, values in rows] for key in headers}
    order = [tuple(values) for _, values in rows]
    return Sheet(source, "json", [n for n, _ in rows], columns, headers, key_order=order)


def _flatten(item: dict[str, Any]) -> dict[str, Any]:
    """``unit list --json`` objects: procedure counts nested, "no consultant" as a flag."""
    flat = dict(item)
    procedures = flat.pop("procedures", None)
    if isinstance(procedures, dict):
        for key in COUNT_COLUMNS:
            if key in procedures:
                flat.setdefault(key, procedures[key])
    if flat.get("consultant_used") is False and not flat.get("consultant"):
        flat["consultant"] = "none"
    return flat


def _json_value(raw: Any) -> Value:
    if isinstance(raw, str):
        text = raw.strip(SPACES)
        return unicodedata.normalize("NFC", text) if not text.isascii() else text
    if isinstance(raw, bool | int | float):
        return raw
    return orjson.dumps(raw).decode()  # a list or object where a value belongs: shown as is


# --------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    rows: int
    changesets: int = 0


def snapshot_row(unit: UnitState, as_of: str, *, parent: bool = True) -> dict[str, Value]:
    """A unit as a snapshot row: the columns ``import`` reads, typed (counts as numbers, dates
    as ISO text, blanks as ``None``). ``date`` is the snapshot's date: importing the row dates
    the facts it holds without a date of their own on it. ``parent=False`` leaves the parent
    blank (the root of an ``--under`` export: its parent is not in the file)."""
    consultant = (
        unit.consultant
        if unit.consultant_used
        else ("none" if unit.consultant_used is False else None)
    )
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent if parent else None,
        "founded": unit.founded,
        "stage": unit.stage,
        "stage_date": unit.stage_since,
        "edition": unit.edition,
        "edition_date": unit.edition_since,
        "consultant": consultant,
        "model": unit.model,
        "scope": unit.scope,
        "decision": unit.decision,
        "tthc": unit.procedures["tthc"],
        "internal": unit.procedures["internal"],
        "product": unit.procedures["product"],
        "procedures_date": unit.procedures_since,
        "date": as_of,
    }


def export_snapshot(
    tracker: Tracker,
    path: Path,
    fmt: str,
    *,
    as_of: date,
    under: str | None,
    lang: str,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the live units (under ``under``) as they stood on ``as_of``, one row each, in
    hierarchy order (a parent before its sub-units)."""
    units = tracker.list_units(as_of, under=under)
    root = tracker.unit(under, as_of) if under else None
    day = as_of.isoformat()
    if root is not None and root.ended is not None:
        after = ", ".join(link.code for link in root.successors)
        raise IsotrackError(
            f"{root.code} {root.end_reason} on {root.ended}"
            + (f" (into {after})" if after else "")
            + f": a snapshot holds the units that exist on {day}; export it with an --as-of "
            "before that date, or its history with --events"
        )
    top = root.code if root is not None else None
    rows = [snapshot_row(unit, day, parent=unit.code != top) for unit in units]
    if fmt == "json":
        data = orjson.dumps(rows, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
        write_atomic(path, lambda tmp: tmp.write_bytes(data))
    elif fmt == "csv":
        write_atomic(path, lambda tmp: _write_csv(tmp, rows, lang, progress))
    elif fmt == "xlsx":
        write_atomic(path, lambda tmp: _write_xlsx(tmp, rows, lang, progress))
    else:
        raise UsageError(f"a snapshot is written as csv, xlsx or json, not {fmt}")
    return ExportResult(path, fmt, len(rows))


def _headers(lang: str) -> list[str]:
    by_key = {c.key: c for c in COLUMNS}
    return [by_key[key].vi if lang == "vi" else key for key in EXPORT_COLUMNS]


def _each(rows: list[dict[str, Value]], progress: Progress | None) -> Iterator[dict[str, Value]]:
    for index, row in enumerate(rows):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress("writing rows", index, len(rows))
        yield row
    if progress is not None:
        progress("writing rows", len(rows), len(rows))


def _write_csv(
    path: Path, rows: list[dict[str, Value]], lang: str, progress: Progress | None
) -> None:
    # A byte-order mark, or Excel reads UTF-8 as the local code page.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(_headers(lang))
        for row in _each(rows, progress):
            # neutralise() only where it can matter: a call per cell is most of the time here.
            writer.writerow(
                [
                    neutralise(value) if type(value) is str and value[:1] in _RISKY else value
                    for value in map(row.__getitem__, EXPORT_COLUMNS)
                ]
            )


def _write_xlsx(
    path: Path, rows: list[dict[str, Value]], lang: str, progress: Progress | None
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("units")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in _headers(lang):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    dated = set(DATE_COLUMNS)
    for row in _each(rows, progress):
        cells: list[Any] = []
        for key in EXPORT_COLUMNS:
            value = row[key]
            if key in dated and isinstance(value, str):
                day = date.fromisoformat(value)
                cell = WriteOnlyCell(sheet, value=datetime(day.year, day.month, day.day))
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(neutralise(value))
        sheet.append(cells)
    book.save(path)


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file whole or not at all: into a temporary file beside it, then renamed."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        os.close(fd)
    except OSError as error:
        raise IsotrackError(f"cannot write {path}: {error.strerror or error}") from None
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as error:
        raise IsotrackError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        with suppress(OSError):
            tmp.unlink()
