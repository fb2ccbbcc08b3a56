"""CSV exports that are safe to open in a spreadsheet.

A cell beginning with =, +, -, @, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (CSV/formula injection: a candidate named =HYPERLINK(...) would become a link
on the reviewer's screen). Such a cell is prefixed with an apostrophe, OWASP's advice, which
spreadsheets show as plain text; every other value is written as it is.
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
