"""XLSX workbooks -> the text records of one sheet (the first non-empty by default), for reading.read_xlsx."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from analysis.ingest.table import IngestError


def sheet_records(data: bytes, filename: str, sheet: str | None = None) -> tuple[list[list[str]], list[int], str, list[str]]:
    """A sheet's cells as text records (dates as ISO dates, whole numbers without '.0'), each row's number, the
    sheet read and every sheet's name."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise IngestError(f"{filename} is a ZIP archive but not a readable Excel workbook ({exc}). "
                          "Save it as .xlsx or export CSV.") from exc
    names = list(book.sheetnames)
    chosen = _choose_sheet(book, names, sheet)
    records, lines = [], []
    for number, row in enumerate(book[chosen].iter_rows(values_only=True), start=1):
        records.append([_cell_text(v) for v in row])
        lines.append(number)
    book.close()
    return records, lines, chosen, names


def _choose_sheet(book, names: list[str], sheet: str | None) -> str:
    if sheet is not None:
        if sheet not in names:
            raise IngestError(f"The workbook has no sheet '{sheet}'; it has: {', '.join(names)}.")
        return sheet
    for name in names:
        if book[name].max_row and book[name].max_row > 1:
            return name
    return names[0]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
