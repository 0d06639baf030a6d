"""Lenders' own portfolios: reading and validating a portfolio file, starting a simulation from it, and
writing a synthetic copy that can be shared without personal data.

A portfolio is a CSV (UTF-8, comma, semicolon or tab separated) or Parquet file with one row per
account; ``docs/portfolio.md`` documents the schema (:data:`SCHEMA`), the allowed ranges and the
distributions that fill optional columns a file does not have.

Everything here treats a file as data: nothing read is evaluated or unpickled, pickle-based formats
are refused, and every malformed input ends in a :class:`PortfolioError` (a
:class:`~sim.config.ScenarioError`) whose message names the problem in one line, or in a list of
:class:`Problem` rows with their line numbers. Reading is vectorised (numpy and pyarrow): a
one-million-row file loads in a few seconds.

Public API (used by the command line and the app)::

    load_portfolio(source, name="portfolio", strict=True) -> Portfolio
    validate_portfolio(source, name="portfolio") -> list[Problem]
    synthesize_portfolio(portfolio, rows=None, seed=0) -> pandas.DataFrame
    write_portfolio(frame, path)

``source`` is a path or the raw bytes of an upload. To run a scenario from an upload, validate the
bytes, write them to a file and set the scenario's ``portfolio`` field to its path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.config import ScenarioError
from sim.loans import level_payment

MAX_PORTFOLIO_BYTES = 300_000_000  # about 3 million rows of a typical CSV; Streamlit uploads stop at 200 MB
MAX_PORTFOLIO_ROWS = 5_000_000
MAX_AMOUNT = 10_000_000.0  # largest balance, original amount or monthly income, $
MAX_RATE = 10.0  # APR as a fraction: 10 = 1,000% (the scenario's own APR limit)
MAX_TERM = 600  # months
MAX_DPD = 3_650  # days
MAX_SCORE = 1_000.0
MAX_ID_LENGTH = 64
MAX_TEXT_LENGTH = 80
PRODUCTS = {"card": "card", "instalment": "instalment", "installment": "instalment"}


class PortfolioError(ScenarioError):
    """A portfolio file cannot be used; the message names the problem in one line.

    ``problems`` holds every problem found (file-level ones have ``line`` None)."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [Problem(None, None, message)]


@dataclass(frozen=True)
class Column:
    """One column of the portfolio schema."""

    name: str
    kind: str  # id, text, product, number, integer, band
    required: bool
    unit: str
    allowed: str
    description: str
    fill: str = ""  # how a missing optional value is filled
    low: float = 0.0
    high: float = 0.0
    low_open: bool = False  # the lower bound itself is not allowed


SCHEMA: dict[str, Column] = {c.name: c for c in [
    Column("account_id", "id", True, "text", f"non-empty, unique, at most {MAX_ID_LENGTH} characters",
           "The lender's account number (pseudonymised)."),
    Column("lender", "text", True, "text", f"non-empty, at most {MAX_TEXT_LENGTH} characters",
           "Lender holding the account; matched to the names of the scenario's `[[lenders]]`."),
    Column("product", "product", True, "text", "`card` or `instalment` (also `installment`), any case",
           "Revolving card (minimum payment) or amortising instalment loan."),
    Column("balance", "number", True, "$", f"> 0 and <= {MAX_AMOUNT:,.0f}",
           "Amount owed today (principal, interest and fees), in dollars.", low=0.0, high=MAX_AMOUNT,
           low_open=True),
    Column("rate", "number", True, "annual fraction", f"0 to {MAX_RATE:g} (0.199 means 19.9% APR)",
           "Annual percentage rate as a fraction.", low=0.0, high=MAX_RATE),
    Column("remaining_term", "integer", True, "months", f"whole number, 0 to {MAX_TERM}",
           "Months left until the loan matures (cards: months the balance is expected to take to repay).",
           low=0, high=MAX_TERM),
    Column("days_past_due", "integer", True, "days", f"whole number, 0 to {MAX_DPD}",
           "Days past due today; 0 for a current account.", low=0, high=MAX_DPD),
    Column("income", "number", False, "$ a month", f"> 0 and <= {MAX_AMOUNT:,.0f}",
           "Household's monthly income before tax, where the lender knows it.",
           "the band's slice of the scenario's log-normal income distribution where `income_band` is "
           "given, else the whole distribution (`population.income_median`, `population.income_sigma`; "
           "US CPS 2006)", low=0.0, high=MAX_AMOUNT, low_open=True),
    Column("income_band", "band", False, "$ a month", "`LOW-HIGH` or `LOW+` with 0 <= LOW < HIGH",
           "Band of monthly income, used where `income` is empty.", "see `income`"),
    Column("score", "number", False, "any scale", f"0 to {MAX_SCORE:g}, higher = more creditworthy",
           "The lender's credit score (FICO 300-850, VantageScore, or an internal scale).",
           "the household keeps the creditworthiness the population model draws for it",
           low=0.0, high=MAX_SCORE),
    Column("region", "text", False, "text", f"at most {MAX_TEXT_LENGTH} characters",
           "Region of the household; carried in `Portfolio.frame` and synthetic copies, not used by "
           "the model yet.", "`unknown`"),
    Column("borrower_id", "text", False, "text", f"at most {MAX_TEXT_LENGTH} characters",
           "Household (customer) identifier; accounts with the same id belong to one household.",
           "one household per account"),
    Column("months_on_book", "integer", False, "months", f"whole number, 0 to {MAX_TERM}",
           "Months since the account was opened.",
           "missed cycles plus a uniform draw of 0-23 months (as the model's synthetic starting book)",
           low=0, high=MAX_TERM),
    Column("original_amount", "number", False, "$", f"> 0 and <= {MAX_AMOUNT:,.0f}",
           "Amount first lent (instalment loans) or credit drawn (cards).",
           "the current balance (principal lent = balance)", low=0.0, high=MAX_AMOUNT, low_open=True),
]}
REQUIRED = [name for name, col in SCHEMA.items() if col.required]
OPTIONAL = [name for name, col in SCHEMA.items() if not col.required]
NUMERIC = [name for name, col in SCHEMA.items() if col.kind in ("number", "integer")]
CATEGORICAL = ["lender", "product", "region", "income_band"]

# household attributes lenders never have: always drawn by the population model
NEVER_IN_FILE = ("savings", "essential spending", "employment", "financial literacy", "attention",
                 "willingness to pay", "misunderstanding", "complaint propensity", "reachability")

_NUMBER_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NAN_RE = r"^[+-]?nan$"
_INF_RE = r"^[+-]?inf(inity)?$"
_BAND_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*(?:-\s*([0-9]+(?:\.[0-9]*)?)|(\+))\s*$")
_MAGIC = [
    (b"\x80\x02", "a Python pickle"), (b"\x80\x03", "a Python pickle"), (b"\x80\x04", "a Python pickle"),
    (b"\x80\x05", "a Python pickle"), (b"\x93NUMPY", "a numpy .npy file"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)"), (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook"),
    (b"\x1f\x8b", "gzip-compressed"), (b"BZh", "bzip2-compressed"), (b"\xfd7zXZ", "xz-compressed"),
    (b"ARROW1", "an Arrow/Feather file"), (b"\x00\x00\xfe\xff", "UTF-32 text"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"), (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text"),
    (b"SQLite format 3", "an SQLite database"), (b"%PDF", "a PDF document"),
]


# --------------------------------------------------------------------------------------------------
# Problems and the loaded portfolio
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a portfolio file.

    ``line`` is the physical line of a CSV file (the header is line 1) or the data row of a Parquet
    file (the first row is 1), as ``unit`` says; None for a problem with the whole file."""

    line: int | None
    column: str | None
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        where = "" if self.line is None else f"{self.unit} {self.line}: "
        col = "" if self.column is None else f"{self.column}: "
        return f"{where}{col}{self.message}"


@dataclass
class Portfolio:
    """A validated portfolio: one row per usable account.

    Attributes:
        name: where it came from (file name or the name given for bytes).
        frame: the accounts, typed (strings, float64 and int64 columns), plus ``line``: the account's
            line (CSV) or row (Parquet) in the file. Optional columns the file lacks are absent;
            empty optional cells are NaN or "".
        problems: every bad row and file-level problem; rows with a problem are not in ``frame``.
        columns: the schema columns present in the file, in file order.
        filled_columns: optional column -> number of accounts whose value the model fills
            (absent columns count every account).
        sha256: hash of the file's bytes.
        rows_in_file: data rows in the file, good and bad.
    """

    name: str
    frame: pd.DataFrame
    problems: list[Problem]
    columns: tuple[str, ...]
    filled_columns: dict[str, int]
    sha256: str
    rows_in_file: int
    unit: str = "line"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def n_accounts(self) -> int:
        return len(self.frame)

    def household_keys(self) -> np.ndarray:
        """Household index (0..H-1) of every account: one per ``borrower_id``, else one per account."""
        n = len(self.frame)
        if "borrower_id" not in self.frame:
            return np.arange(n)
        bid = self.frame["borrower_id"].to_numpy(dtype=object)
        codes, _ = pd.factorize(bid)
        has_id = bid != ""
        # accounts without a borrower_id get households of their own, numbered after the others
        codes = np.where(has_id, codes, -1)
        _, dense = np.unique(codes[has_id], return_inverse=True)
        out = np.empty(n, dtype=np.int64)
        out[has_id] = dense
        out[~has_id] = (dense.max() + 1 if has_id.any() else 0) + np.arange(int((~has_id).sum()))
        return out

    def summary(self) -> dict[str, Any]:
        """Plain facts about the file (JSON-ready)."""
        return {"file": self.name, "sha256": self.sha256, "rows_in_file": self.rows_in_file,
                "accounts": self.n_accounts, "columns_in_file": list(self.columns),
                "filled_columns": dict(self.filled_columns)}


# --------------------------------------------------------------------------------------------------
# Reading bytes
# --------------------------------------------------------------------------------------------------
def _read_source(source: str | Path | bytes | bytearray | memoryview, name: str) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > MAX_PORTFOLIO_BYTES:
            raise PortfolioError(f"{name}: file is {len(data):,} bytes, more than the limit of "
                                 f"{MAX_PORTFOLIO_BYTES:,}")
        return data, name
    if not isinstance(source, (str, Path)):
        raise PortfolioError(f"{name}: expected a file path or bytes, got {type(source).__name__}")
    path = Path(source)
    origin = str(source)
    try:
        is_file, is_dir = path.is_file(), path.is_dir()
    except (OSError, ValueError) as exc:  # e.g. an embedded NUL or an over-long name
        raise PortfolioError(f"{origin}: not a usable path ({_first_line(exc)})") from None
    if not is_file:
        raise PortfolioError(f"{origin}: {'a folder, not a file' if is_dir else 'no such file'}")
    try:
        size = path.stat().st_size
        if size <= MAX_PORTFOLIO_BYTES:
            with path.open("rb") as fh:
                data = fh.read(MAX_PORTFOLIO_BYTES + 1)
    except OSError as exc:
        raise PortfolioError(f"{origin}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if size > MAX_PORTFOLIO_BYTES:
        raise PortfolioError(f"{origin}: file is {size:,} bytes, more than the limit of {MAX_PORTFOLIO_BYTES:,}")
    if len(data) > MAX_PORTFOLIO_BYTES:
        raise PortfolioError(f"{origin}: file is more than the limit of {MAX_PORTFOLIO_BYTES:,} bytes")
    return data, origin


def _sniff(data: bytes, origin: str) -> str:
    """'csv' or 'parquet', or a PortfolioError naming what the bytes are."""
    if not data[:4096].strip() and not data.strip():
        raise PortfolioError(f"{origin}: file is empty")
    if data[:4] == b"PAR1":
        return "parquet"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            hint = ("pickled files are never loaded because they can run code; " if "pickle" in what or
                    "numpy" in what else "")
            raise PortfolioError(f"{origin}: this is {what}, not a CSV or Parquet portfolio; {hint}"
                                 "export it as CSV (UTF-8) or Parquet")
    return "csv"


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _check_text(data: bytes, origin: str) -> bytes:
    """Strip a UTF-8 byte-order mark and refuse binary data or text that is not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        head = data[:2000]
        if head.count(b"\x00") * 3 >= len(head):
            raise PortfolioError(f"{origin}: looks like UTF-16 text (NUL bytes between characters); "
                                 "save the file as CSV UTF-8")
        raise PortfolioError(f"{origin}: binary data (a NUL byte) on line {_line_of(data, nul)}; "
                             "a portfolio is a CSV (UTF-8) or Parquet file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise PortfolioError(
            f"{origin}: not UTF-8 text: byte 0x{byte:02x} on line {_line_of(data, exc.start)} "
            "(Latin-1 or Windows-1252?); save the file as CSV UTF-8") from None
    return data


# --------------------------------------------------------------------------------------------------
# CSV: records, line numbers and field counts, vectorised
# --------------------------------------------------------------------------------------------------
@dataclass
class _Raw:
    """The columns of a file as pyarrow string arrays, with each row's line (or row) number."""

    names: list[str]
    columns: dict[str, pa.Array]
    lines: np.ndarray
    problems: list[Problem]
    unit: str
    rows_in_file: int


def _records(buf: np.ndarray, origin: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Split CSV bytes into records, honouring quotes (a quoted field may hold a line break): return
    the start, end and physical line of every non-empty record, or None if the quotes do not pair up
    (a stray quote: the exact reader decides)."""
    nl = np.flatnonzero(buf == 10)
    q = np.flatnonzero(buf == 34)
    if len(q) % 2:
        return None
    ends = nl[(np.searchsorted(q, nl) % 2) == 0] if len(q) else nl
    if len(buf) and buf[-1] != 10:
        ends = np.append(ends, len(buf))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    length = ends - starts
    last = np.maximum(ends - 1, 0)
    length = length - ((length > 0) & (buf[last] == 13))
    keep = length > 0
    starts, ends = starts[keep], ends[keep]
    return starts, ends, np.searchsorted(nl, starts) + 1


def _header(text: str, delim: str, origin: str) -> list[str]:
    try:
        names = next(csv.reader([text], delimiter=delim, strict=True))
    except (csv.Error, StopIteration) as exc:
        raise PortfolioError(f"{origin}: cannot read the header line ({exc})") from None
    return [n.strip().lower() for n in names]


def _read_csv(data: bytes, origin: str) -> _Raw:
    import pyarrow.csv as pacsv

    data = _check_text(data, origin)
    first_nl = data.find(b"\n")
    head = data[: first_nl if first_nl >= 0 else len(data)]
    delim = next((c for c in (",", ";", "\t") if c.encode() in head), ",")
    buf = np.frombuffer(data, dtype=np.uint8)
    records = _records(buf, origin)
    if records is None:
        first_line = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
        names = _header(first_line, delim, origin)
        _check_names(names, origin, "line 1")
        return _read_csv_python(data, origin, delim, names)
    starts, ends, lines = records
    if len(starts) == 0:
        raise PortfolioError(f"{origin}: file is empty")
    header_text = data[starts[0]:ends[0]].decode("utf-8").rstrip("\r")
    names = _header(header_text, delim, origin)
    _check_names(names, origin, "line 1")
    k = len(names)
    body_lines = lines[1:]
    n_records = len(body_lines)
    if n_records == 0:
        raise PortfolioError(f"{origin}: the header has no rows under it")
    if n_records > MAX_PORTFOLIO_ROWS:
        raise PortfolioError(f"{origin}: {n_records:,} rows, more than the limit of {MAX_PORTFOLIO_ROWS:,}")

    invalid: list[tuple[int | None, int]] = []  # (record number counted by pyarrow, fields found)

    def skip(row) -> str:
        invalid.append((row.number, row.actual_columns))
        return "skip"

    body = pa.py_buffer(memoryview(data)[int(starts[1]):])
    cols = [f"c{i}" for i in range(k)]
    consistent = False
    try:  # single-threaded, so that pyarrow numbers the rows it skips
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=cols, block_size=1 << 24, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=skip, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in cols}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=False))
        numbers = np.array([nb if nb is not None else -1 for nb, _ in invalid], dtype=np.int64)
        consistent = (table.num_rows + len(invalid) == n_records
                      and bool(np.all((numbers >= 1) & (numbers <= n_records))))
    except (pa.ArrowException, OSError, ValueError):
        pass
    if consistent and invalid and b'"' in data:
        consistent = False  # quotes and broken rows: make sure each problem gets its exact line
    if not consistent:  # an unusual quoting or line ending: the slow, exact parser
        return _read_csv_python(data, origin, delim, names)
    bad = np.zeros(n_records, dtype=bool)
    bad[numbers - 1] = True
    problems = [Problem(int(body_lines[nb - 1]), None, f"has {nf} field{'s' * (nf != 1)}, expected {k} (one per "
                        "header column)") for nb, nf in invalid]
    columns = {name: _as_string(table.column(i)) for i, name in enumerate(names)}
    return _Raw(names, columns, body_lines[~bad], problems, "line", n_records)


def _read_csv_python(data: bytes, origin: str, delim: str, names: list[str]) -> _Raw:
    """Exact but slow CSV reading with Python's csv module (for files the fast path disagrees on)."""
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    k = len(names)
    rows, lines, problems = [], [], []
    prev = 0
    header_seen = False
    try:
        for row in reader:
            start = prev + 1
            prev = reader.line_num
            if not row:  # a blank line
                continue
            if not header_seen:
                header_seen = True
                continue
            if len(row) != k:
                span = f"; a quoted field runs on to line {prev}" if prev > start else ""
                problems.append(Problem(start, None, f"has {len(row)} field{'s' * (len(row) != 1)}, expected {k} "
                                        f"(one per header column){span}"))
                continue
            rows.append(row)
            lines.append(start)
            if len(rows) + len(problems) > MAX_PORTFOLIO_ROWS:
                raise PortfolioError(f"{origin}: more than the limit of {MAX_PORTFOLIO_ROWS:,} rows")
    except csv.Error as exc:
        raise PortfolioError(f"{origin}: not a readable CSV file near line {prev + 1} ({exc})") from None
    if not rows and not problems:
        raise PortfolioError(f"{origin}: the header has no rows under it")
    columns = {name: pa.array([r[i] for r in rows], type=pa.string()) for i, name in enumerate(names)}
    return _Raw(names, columns, np.asarray(lines, dtype=np.int64), problems, "line", len(rows) + len(problems))


def _as_column(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array: numbers stay numbers (nulls are empty cells), the rest becomes text."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], type=col.type)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_decimal(col.type):
        return col
    return _as_string(col)


def _is_text(arr: pa.Array) -> bool:
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)


def _as_string(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], type=col.type)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    return pc.fill_null(col, "")


# --------------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------------
def _read_parquet(data: bytes, origin: str) -> _Raw:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        schema = pf.schema_arrow
        n = pf.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError, IndexError, TypeError) as exc:
        raise PortfolioError(f"{origin}: not a readable Parquet file ({_first_line(exc)})") from None
    names = [str(nm).strip().lower() for nm in schema.names]
    _check_names(names, origin, "the Parquet schema")
    if n > MAX_PORTFOLIO_ROWS:
        raise PortfolioError(f"{origin}: {n:,} rows, more than the limit of {MAX_PORTFOLIO_ROWS:,}")
    if n == 0:
        raise PortfolioError(f"{origin}: the Parquet file has no rows")
    for fld, name in zip(schema, names, strict=True):
        t = fld.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
                or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_null(t)
                or pa.types.is_decimal(t)):
            raise PortfolioError(f"{origin}: column {name!r} has Parquet type {fld.type}; expected text or numbers")
    try:
        table = pf.read(use_pandas_metadata=False)
        columns = {name: _as_column(table.column(i)) for i, name in enumerate(names)}
    except (pa.ArrowException, OSError, ValueError, IndexError, TypeError, MemoryError) as exc:
        raise PortfolioError(f"{origin}: not a readable Parquet file ({_first_line(exc)})") from None
    if any(len(c) != n for c in columns.values()):
        raise PortfolioError(f"{origin}: the Parquet columns have different lengths")
    return _Raw(names, columns, np.arange(1, n + 1), [], "row", n)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _check_names(names: list[str], origin: str, where: str) -> None:
    import difflib

    problems = []
    seen: set[str] = set()
    for nm in names:
        if nm in seen:
            problems.append(f"column {nm!r} appears twice in {where}")
        seen.add(nm)
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        problems.append(f"missing required column{'s' * (len(missing) > 1)} {', '.join(missing)} (in {where}: "
                        f"{', '.join(repr(_short(n, 30)) for n in names[:20])}{', ...' if len(names) > 20 else ''})")
    for nm in names:
        if nm not in SCHEMA and nm:
            close = difflib.get_close_matches(nm, list(SCHEMA), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown column {_short(nm, 40)!r}{hint}; the schema is in docs/portfolio.md")
        elif not nm:
            problems.append(f"a column in {where} has no name")
    if problems:
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PortfolioError(f"{origin}: {problems[0]}{extra}", [Problem(None, None, p) for p in problems])


# --------------------------------------------------------------------------------------------------
# Validation, vectorised; messages are built for bad rows only
# --------------------------------------------------------------------------------------------------
def _short(value: Any, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


class _Collector:
    def __init__(self, lines: np.ndarray) -> None:
        self.lines = lines
        self.parts: list[tuple[np.ndarray, int, list[str], str]] = []
        self.bad = np.zeros(len(lines), dtype=bool)

    def add(self, mask: np.ndarray, column: str, values: np.ndarray | None, template: str,
            messages: list[str] | None = None) -> None:
        """Record a problem for the rows in ``mask``: ``template`` with ``{v}`` replaced by each row's
        value, or the ready ``messages`` (one per row in the mask)."""
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return
        self.bad[idx] = True
        if messages is not None:
            msgs = list(messages)
        elif values is None:
            msgs = [template] * len(idx)
        elif isinstance(values, pa.Array):
            taken = _as_string(pc.take(values, pa.array(idx)))
            msgs = [template.format(v=repr(_short(v))) for v in pc.utf8_trim_whitespace(taken).to_pylist()]
        else:
            msgs = [template.format(v=repr(_short(v))) for v in values[idx]]
        self.parts.append((idx, list(SCHEMA).index(column), msgs, column))

    def problems(self, unit: str) -> list[Problem]:
        if not self.parts:
            return []
        idx = np.concatenate([p[0] for p in self.parts])
        colpos = np.concatenate([np.full(len(p[0]), p[1]) for p in self.parts])
        msgs = [m for p in self.parts for m in p[2]]
        cols = [p[3] for p in self.parts for _ in p[0]]
        order = np.lexsort((colpos, idx))
        lines = self.lines[idx]
        return [Problem(int(lines[i]), cols[i], msgs[i], unit) for i in order]


def _parse_numbers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Floats of a column, with masks: empty, not a number, NaN, infinite."""
    n = len(arr)
    none = np.zeros(n, dtype=bool)
    if not _is_text(arr):  # a numeric Parquet column: nulls are empty cells
        empty = arr.is_null().to_numpy(zero_copy_only=False)
        # unsafe: integers beyond 2**53 become the nearest float (then out of range), not an ArrowInvalid
        values = np.array(pc.fill_null(pc.cast(arr, pa.float64(), safe=False), np.nan)
                          .to_numpy(zero_copy_only=False), dtype=np.float64)
        values[empty] = np.nan
        return values, empty, none, np.isnan(values) & ~empty, np.isinf(values)
    try:  # the usual case: every cell is a plain number
        values = np.array(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        return values, none, none, np.isnan(values), np.isinf(values)
    except (pa.ArrowException, ValueError):
        pass
    trimmed = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(pc.utf8_length(trimmed), 0).to_numpy(zero_copy_only=False)
    is_num = pc.match_substring_regex(trimmed, _NUMBER_RE)
    candidates = pc.if_else(is_num, trimmed, "nan")
    try:
        values = pc.cast(candidates, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, ValueError):  # a number pyarrow will not parse: pandas decides
        values = pd.to_numeric(pd.Series(candidates.to_numpy(zero_copy_only=False), dtype=object),
                               errors="coerce").to_numpy(dtype=float)
    is_num = is_num.to_numpy(zero_copy_only=False)
    lower = pc.utf8_lower(trimmed)
    nan = pc.match_substring_regex(lower, _NAN_RE).to_numpy(zero_copy_only=False)
    inf = pc.match_substring_regex(lower, _INF_RE).to_numpy(zero_copy_only=False)
    values = np.array(values, dtype=np.float64)  # writable
    values[inf] = np.inf
    not_number = ~is_num & ~empty & ~nan & ~inf
    inf = inf | (is_num & ~np.isfinite(values))  # an overflow such as 1e400
    return values, empty, not_number, nan, inf


def _validate(raw: _Raw) -> tuple[pd.DataFrame, list[Problem]]:
    bag = _Collector(raw.lines)
    out: dict[str, Any] = {}
    for name in raw.names:
        spec = SCHEMA[name]
        arr = raw.columns[name]
        if spec.kind not in ("number", "integer") and not _is_text(arr):
            arr = _as_string(arr)
        if spec.kind in ("id", "text"):
            trimmed = pc.utf8_trim_whitespace(arr)
            length = pc.utf8_length(trimmed).to_numpy(zero_copy_only=False)
            limit = MAX_ID_LENGTH if spec.kind == "id" else MAX_TEXT_LENGTH
            need = (length > limit) | ((length == 0) if spec.required else False)
            if need.any():
                if spec.required:
                    bag.add(length == 0, name, None, "is empty")
                bag.add(length > limit, name, arr, f"{{v}} is longer than {limit} characters")
            out[name] = trimmed
        elif spec.kind == "product":
            lower = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
            known = pc.is_in(lower, value_set=pa.array(list(PRODUCTS))).to_numpy(zero_copy_only=False)
            if not known.all():
                bag.add(~known, name, arr, "{v} is not a product (card or instalment)")
            out[name] = pc.replace_substring(lower, "installment", "instalment")
        elif spec.kind in ("number", "integer"):
            values, empty, not_number, nan, inf = _parse_numbers(arr)
            finite = np.isfinite(values) & ~empty
            with np.errstate(invalid="ignore"):
                low = finite & ((values <= spec.low) if spec.low_open else (values < spec.low))
                high = finite & (values > spec.high)
                fraction = finite & (np.floor(values) != values) if spec.kind == "integer" else low & False
            required_empty = empty if spec.required else np.zeros(len(values), dtype=bool)
            if (required_empty | not_number | nan | inf | low | high | fraction).any():
                shown = arr
                unit = f" {spec.unit}" if spec.unit in ("months", "days") else ""
                rel = "must be above" if spec.low_open else "must be at least"
                hint = " (rate is an annual fraction: 0.199 means 19.9%)" if name == "rate" else ""
                bag.add(required_empty, name, None, "is empty")
                bag.add(not_number, name, shown, "{v} is not a number")
                bag.add(nan, name, None, "is NaN (not a number)")
                bag.add(inf, name, shown, "{v} is infinite")
                bag.add(low, name, shown, f"{{v}} {rel} {spec.low:g}{unit}")
                bag.add(high, name, shown, f"{{v}} is above the limit of {spec.high:,g}{unit}{hint}")
                bag.add(fraction, name, shown, f"{{v}} is not a whole number of {spec.unit}")
            out[name] = values
        elif spec.kind == "band":
            trimmed = pc.utf8_trim_whitespace(arr)
            encoded = trimmed.dictionary_encode()
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            bands = encoded.dictionary.to_pylist()
            lo_u = np.full(len(bands), np.nan)
            hi_u = np.full(len(bands), np.nan)
            malformed = np.zeros(len(bands), dtype=bool)
            for j, band in enumerate(bands):  # one loop per distinct band, not per row
                m = _BAND_RE.match(band)
                if m:
                    lo_u[j] = float(m.group(1))
                    hi_u[j] = np.inf if m.group(3) else float(m.group(2))
                else:
                    malformed[j] = band != ""
            low, high = lo_u[codes], hi_u[codes]
            bag.add(malformed[codes], name, arr, "{v} is not a band like 2000-4000 or 8000+ ($ a month)")
            with np.errstate(invalid="ignore"):
                order = ~np.isnan(low) & ((high <= low) | (low > MAX_AMOUNT))
            bag.add(order, name, arr, "{v}: the band's upper end must be above its lower end "
                    f"(and the lower end at most {MAX_AMOUNT:,.0f})")
            out[name] = trimmed
            out["_income_low"], out["_income_high"] = low, high
    # duplicate account ids (reported on every later occurrence, with the first line)
    encoded = out["account_id"].dictionary_encode()
    if len(encoded.dictionary) < len(encoded):
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        _, first = np.unique(codes, return_index=True)
        first_row = first[codes]
        dup = first_row != np.arange(len(codes))
        idx = np.flatnonzero(dup)
        texts = out["account_id"].take(pa.array(idx)).to_pylist()
        msgs = [f"duplicate account id {_short(v)!r} (first on {raw.unit} {int(raw.lines[f])})"
                for v, f in zip(texts, first_row[idx], strict=True)]
        bag.add(dup, "account_id", None, "", messages=msgs)
    problems = bag.problems(raw.unit)
    good = ~bag.bad
    frame = {}
    for name, value in out.items():
        if isinstance(value, (pa.Array, pa.ChunkedArray)):
            kept = value if good.all() else value.filter(pa.array(good))
            frame[name] = pd.Series(kept.to_pandas(), dtype="str")
        else:
            frame[name] = value[good]
    df = pd.DataFrame(frame, copy=False)
    for name in ("remaining_term", "days_past_due"):
        df[name] = df[name].astype(np.int64)
    df["line"] = raw.lines[good]
    return df, problems


def _filled(frame: pd.DataFrame, names: list[str]) -> dict[str, int]:
    n = len(frame)
    filled: dict[str, int] = {}
    for name in OPTIONAL:
        if name == "income_band":
            continue
        if name not in names:
            count = n
        elif SCHEMA[name].kind in ("number", "integer"):
            count = int(np.isnan(frame[name].to_numpy()).sum())
        else:
            count = int((frame[name] == "").sum())
        if count:
            filled[name] = count
    return filled


# --------------------------------------------------------------------------------------------------
# Public reading API
# --------------------------------------------------------------------------------------------------
_CACHE: OrderedDict[tuple, Portfolio] = OrderedDict()


def load_portfolio(source: str | Path | bytes, *, name: str = "portfolio", strict: bool = True) -> Portfolio:
    """Read and validate a portfolio file (CSV or Parquet) from a path or from bytes.

    Args:
        source: a path, or the file's bytes (an app upload).
        name: how to call bytes in messages (a path names itself).
        strict: raise if any row is bad; with ``strict=False`` the bad rows are returned in
            ``Portfolio.problems`` (and left out of ``Portfolio.frame``) for display.

    Raises:
        PortfolioError: the file cannot be read (size, encoding, format, missing or unknown columns,
            no rows), or, when ``strict``, a row is bad. The message is one line; ``exc.problems``
            lists everything found, with line numbers.
    """
    key = None
    if isinstance(source, (str, Path)):
        try:
            st = Path(source).stat()
            key = (str(Path(source).resolve()), st.st_mtime_ns, st.st_size)
        except (OSError, ValueError):
            key = None
    if key is not None and key in _CACHE:
        portfolio = _CACHE[key]
        _CACHE.move_to_end(key)
    else:
        portfolio = _load(source, name)
        if key is not None:
            _CACHE[key] = portfolio
            while len(_CACHE) > 2:
                _CACHE.popitem(last=False)
    if strict and portfolio.problems:
        n_bad = len({p.line for p in portfolio.problems})
        first = portfolio.problems[0]
        more = (f"; {n_bad:,} bad rows in all, listed by `python -m sim portfolio validate`" if n_bad > 1
                else "")
        raise PortfolioError(f"{portfolio.name}: {first}{more}", list(portfolio.problems))
    return portfolio


def _load(source: str | Path | bytes, name: str) -> Portfolio:
    data, origin = _read_source(source, name)
    kind = _sniff(data, origin)
    raw = _read_parquet(data, origin) if kind == "parquet" else _read_csv(data, origin)
    frame, problems = _validate(raw)
    problems = sorted(raw.problems + problems, key=lambda p: p.line or 0)
    columns = tuple(raw.names)
    return Portfolio(name=origin, frame=frame, problems=problems, columns=columns,
                     filled_columns=_filled(frame, list(columns)), sha256=hashlib.sha256(data).hexdigest(),
                     rows_in_file=raw.rows_in_file, unit=raw.unit)


def validate_portfolio(source: str | Path | bytes, *, name: str = "portfolio") -> list[Problem]:
    """Every problem of a portfolio file: bad rows with their line numbers, or one file-level problem.
    An empty list means the file is clean. Never raises for bad input."""
    try:
        return list(load_portfolio(source, name=name, strict=False).problems)
    except PortfolioError as exc:
        return list(exc.problems)


def schema_table() -> str:
    """The schema as a Markdown table (docs/portfolio.md carries it verbatim)."""
    lines = ["| column | required | type and unit | allowed values | meaning | filled, when missing, with |",
             "| --- | --- | --- | --- | --- | --- |"]
    kinds = {"id": "text", "text": "text", "product": "text", "number": "number", "integer": "whole number",
             "band": "text"}
    for c in SCHEMA.values():
        unit = kinds[c.kind] + ("" if c.unit in ("text",) else f", {c.unit}")
        lines.append(f"| `{c.name}` | {'yes' if c.required else 'no'} | {unit} | {c.allowed} | {c.description} | "
                     f"{c.fill or '-'} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Starting a simulation from a portfolio
# --------------------------------------------------------------------------------------------------
def portfolio_path(value: str, scenario: Any = None) -> Path:
    """Where a scenario's ``portfolio`` file is: an absolute path as it is; a relative one in the
    folder of the scenario file (when ``scenario`` is a path or a built-in name), then the working
    folder, then ``scenarios/`` (so that built-in scenarios work as dicts too).

    Raises:
        PortfolioError: no candidate exists (the message lists where it looked).
    """
    from sim.config import SCENARIO_DIR, resolve_path

    try:
        path = Path(value)
        if path.is_absolute():
            return path
        folders = []
        if isinstance(scenario, (str, Path)):
            try:
                folders.append(resolve_path(scenario).resolve().parent)
            except (ScenarioError, OSError, ValueError):
                pass
        folders += [Path.cwd(), SCENARIO_DIR]
        for folder in folders:
            if (folder / path).is_file():
                return folder / path
    except (OSError, ValueError) as exc:
        raise PortfolioError(f"portfolio {_short(value)!r}: not a usable path ({_first_line(exc)})") from None
    looked = ", ".join(dict.fromkeys(str(f) for f in folders))
    raise PortfolioError(f"portfolio {_short(value, 200)!r}: no such file (looked in {looked})")


def lender_indices(portfolio: Portfolio, lender_names: list[str]) -> tuple[np.ndarray, dict[str, str]]:
    """Scenario lender index of every account, and the mapping used (file name -> scenario name).

    Accounts go to the scenario lender of the same name. A scenario with a single lender takes every
    account whatever its name; otherwise an unknown name is an error."""
    file_lenders = portfolio.frame["lender"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(file_lenders)
    names = list(lender_names)
    if all(u in names for u in uniques):
        mapping = {str(u): str(u) for u in uniques}
        lut = np.array([names.index(u) for u in uniques], dtype=np.int16)
    elif len(names) == 1:
        mapping = {str(u): names[0] for u in uniques}
        lut = np.zeros(len(uniques), dtype=np.int16)
    else:
        unknown = [str(u) for u in uniques if u not in names]
        raise PortfolioError(
            f"{portfolio.name}: lender{'s' * (len(unknown) > 1)} "
            f"{', '.join(repr(_short(u)) for u in unknown[:5])}{' ...' if len(unknown) > 5 else ''} "
            f"not in the scenario (its lenders: {', '.join(repr(n) for n in names)}); name them in "
            "[[lenders]] or use a scenario with one lender")
    return lut[codes], mapping


def build_households(portfolio: Portfolio, population, economy, u0: float, rng: np.random.Generator):
    """The households of a portfolio, as a BorrowerTable, with the household index of every account
    and a report of what came from the file and what was filled.

    Every household is first drawn by the population model (``BorrowerTable.sample``); then, where the
    file knows it, its income is set (essential spending and savings scale with it) and households are
    matched to the drawn creditworthiness by the rank of their score.
    """
    from scipy.special import ndtr, ndtri

    from sim.borrowers import COLUMNS, BorrowerTable, _risk_score

    frame = portfolio.frame
    household = portfolio.household_keys()
    n_h = int(household.max()) + 1 if len(household) else 0
    if n_h == 0:
        raise PortfolioError(f"{portfolio.name}: no usable accounts")
    t = BorrowerTable.sample(population.model_copy(update={"n_borrowers": n_h}), economy, u0, rng)
    u_band = rng.random(n_h)
    pick = rng.permutation(n_h)
    report_filled: dict[str, str] = {}

    def per_household(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = np.isfinite(values)
        count = np.bincount(household[known], minlength=n_h)
        total = np.bincount(household[known], weights=values[known], minlength=n_h)
        return np.divide(total, count, out=np.full(n_h, np.nan), where=count > 0), count > 0

    # creditworthiness: households with a score take drawn profiles in the order of their score
    score_known = np.zeros(n_h, dtype=bool)
    if "score" in frame:
        score, score_known = per_household(frame["score"].to_numpy(dtype=float))
        k = int(score_known.sum())
        if k:
            known_idx = np.flatnonzero(score_known)
            profiles = pick[:k][np.argsort(t.risk_score[pick[:k]], kind="stable")]
            perm = np.empty(n_h, dtype=np.int64)
            perm[known_idx[np.argsort(score[known_idx], kind="stable")]] = profiles
            perm[np.flatnonzero(~score_known)] = pick[k:]
            for col in COLUMNS:
                setattr(t, col, getattr(t, col)[perm])
    n_unscored = n_h - int(score_known.sum())
    if n_unscored:
        report_filled["score"] = (f"{n_unscored:,} of {n_h:,} households without a score keep the "
                                  "creditworthiness drawn by the population model")

    # income: from the file, else the band's slice of the log-normal, else the whole log-normal
    income = np.full(n_h, np.nan)
    if "income" in frame:
        income, _ = per_household(frame["income"].to_numpy(dtype=float))
    n_band = 0
    if "_income_low" in frame:
        lo, _ = per_household(frame["_income_low"].to_numpy(dtype=float))
        hi_acc = frame["_income_high"].to_numpy(dtype=float)
        hi_acc = np.where(np.isinf(hi_acc), 1e12, hi_acc)
        hi, _ = per_household(hi_acc)
        use = np.isnan(income) & np.isfinite(lo)
        n_band = int(use.sum())
        if n_band:
            mu, sigma = np.log(population.income_median), max(population.income_sigma, 1e-9)
            f_lo = ndtr((np.log(np.maximum(lo[use], 1e-9)) - mu) / sigma)
            f_hi = ndtr((np.log(np.maximum(hi[use], 1e-9)) - mu) / sigma)
            p = np.clip(f_lo + u_band[use] * (f_hi - f_lo), 1e-12, 1 - 1e-12)
            drawn = np.exp(mu + sigma * ndtri(p))
            income[use] = np.clip(drawn, np.maximum(lo[use], 1.0), hi[use])
    known_income = np.isfinite(income)
    n_from_file = int(known_income.sum()) - n_band
    if n_band:
        report_filled["income_band"] = (f"{n_band:,} of {n_h:,} households with only an income band: drawn "
                                        "from the scenario's log-normal income (median "
                                        f"{population.income_median:,.0f} $/month, sigma "
                                        f"{population.income_sigma:g}) truncated to the band")
    if n_h - n_from_file - n_band:
        report_filled["income"] = (f"{n_h - n_from_file - n_band:,} of {n_h:,} households without income: "
                                   f"drawn from the scenario's log-normal income (median "
                                   f"{population.income_median:,.0f} $/month, sigma {population.income_sigma:g}; "
                                   "US CPS 2006)")
    if known_income.any():
        t.rescale_income(known_income, income[known_income], economy.unemployment_insurance_replacement)
        recompute = ~score_known
        t.risk_score[recompute] = _risk_score(t)[recompute]
    if "borrower_id" not in frame:
        report_filled["borrower_id"] = "one household per account"
    elif (frame["borrower_id"] == "").any():
        report_filled["borrower_id"] = (f"{int((frame['borrower_id'] == '').sum()):,} accounts without a "
                                        "borrower_id are households of their own")
    report = {
        **portfolio.summary(),
        "households": n_h,
        "filled": report_filled,
        "always_from_population_model": list(NEVER_IN_FILE),
    }
    return t, household, report


def seed_book(model, portfolio: Portfolio, household: np.ndarray) -> dict[str, Any]:
    """Put the portfolio's accounts on the model's loan book, exactly as the file describes them, with
    the accounting identity holding from month 0, through the model's public hook
    (``CollectionModel.open_accounts``). Returns the part of the report about the book."""
    from sim.loans import IN_COLLECTION_AFTER_CHARGE_OFF, Status

    frame = portfolio.frame
    n = len(frame)
    rng = model.streams["origination"]
    lender, mapping = lender_indices(portfolio, [lc.name for lc in model.cfg.lenders])
    balance = frame["balance"].to_numpy(dtype=float)
    apr = frame["rate"].to_numpy(dtype=float)
    remaining = frame["remaining_term"].to_numpy(dtype=np.int64)
    dpd = frame["days_past_due"].to_numpy(dtype=np.int64)
    is_card = (frame["product"] == "card").to_numpy()
    cycles = np.where(dpd > 0, dpd // 30 + 1, 0)
    # fixed-size draws, whatever the file holds
    age_draw = rng.integers(0, 24, n)
    noise = rng.normal(0.0, 1.0, n)
    goodwill = np.clip(0.2 + 0.2 * rng.standard_normal(n), -1, 1)
    day_draw = rng.integers(1, 29, n)
    error_draw = rng.random(n)
    filled: dict[str, str] = {}
    mob = np.maximum(cycles, age_draw)
    if "months_on_book" in frame:
        known = np.isfinite(frame["months_on_book"].to_numpy(dtype=float))
        mob = np.where(known, np.nan_to_num(frame["months_on_book"].to_numpy(dtype=float)), mob)
        n_fill = int((~known).sum())
    else:
        n_fill = n
    if n_fill:
        filled["months_on_book"] = (f"{n_fill:,} of {n:,} accounts: missed cycles plus a uniform draw of "
                                    "0-23 months")
    mob = np.clip(mob, 0, MAX_TERM).astype(np.int64)
    original = balance.copy()
    if "original_amount" in frame:
        o = frame["original_amount"].to_numpy(dtype=float)
        known = np.isfinite(o)
        original = np.where(known, o, balance)
        n_fill = int((~known).sum())
    else:
        n_fill = n
    if n_fill:
        filled["original_amount"] = f"{n_fill:,} of {n:,} accounts: principal lent is the current balance"
    if "region" not in frame:
        filled["region"] = "'unknown' (the model does not use region)"
    owner = household.astype(np.int64)
    due_day = np.where(dpd > 0, np.clip(30 - dpd % 30, 1, 28), day_draw)
    rows = model.open_accounts(owner, lender, balance, apr, goodwill, due_day, mob, noise)
    book = model.book
    terms = model.terms
    r = apr / 12.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        annuity = level_payment(balance, r, np.maximum(remaining, 1))
    instalment = np.where(remaining > 0, annuity, balance)
    card_min = np.maximum(terms.min_payment_floor[lender], terms.min_payment_share[lender] * balance + balance * r)
    reference = np.where(is_card, card_min, np.maximum(instalment, 1.0))
    arrears = np.minimum(cycles * reference, balance)
    book.is_card[rows] = is_card
    book.term[rows] = (mob + remaining).astype(np.int16)
    book.instalment[rows] = instalment
    book.principal_lent[rows] = original
    book.repaid[rows] = np.maximum(original - balance, 0.0)
    book.interest_charged[rows] = np.maximum(balance - original, 0.0)  # capitalised interest and fees
    book.arrears[rows] = arrears
    book.cycles[rows] = cycles
    book.dpd[rows] = dpd.clip(0, 32000)
    delinquent = cycles > 0
    book.status[rows[delinquent]] = Status.DELINQUENT
    book.episode_exposure[rows[delinquent]] = balance[delinquent]
    book.in_episode[rows[delinquent]] = True  # the episode the file shows is already under way
    # accounts at or past their charge-off age start charged off (and are still collected)
    cod = book.chargeoff_days[rows].astype(np.int64)
    gone = dpd >= cod
    co = rows[gone]
    book.status[co] = Status.CHARGED_OFF
    book.written_off[co] = balance[gone]
    book.arrears[co] = 0.0  # charged-off claims keep their cycles (the borrower's hope does not come back)
    book.months_since_chargeoff[co] = np.minimum((dpd[gone] - cod[gone]) // 30, IN_COLLECTION_AFTER_CHARGE_OFF)
    # as for any new loan: the lender's record errors (the champion/challenger split is open_accounts')
    error_rate = np.array([lc.record_error_rate for lc in model.cfg.lenders])[lender]
    book.record_error[rows] = error_draw < error_rate
    # the credit record already shows what the file shows: a mark at 60 days past due, two more at
    # charge-off (as the model reports them month by month)
    marks = (dpd >= 60).astype(float) + 2.0 * gone
    t = model.borrowers
    t.derogatory += np.bincount(owner, weights=marks, minlength=t.n).astype(t.derogatory.dtype)
    return {"lenders": mapping, "filled": filled, "charged_off_at_start": int(gone.sum()),
            "delinquent_at_start": int((delinquent & ~gone).sum())}


# --------------------------------------------------------------------------------------------------
# Synthetic copies: a Gaussian copula over the numeric columns, categorical columns by frequency
# --------------------------------------------------------------------------------------------------
def synthesize_portfolio(portfolio: Portfolio, rows: int | None = None, seed: int = 0) -> pd.DataFrame:
    """A synthetic portfolio with the original's marginal distributions and main correlations, and
    no row of the original.

    Method: the categorical columns (lender, product, region, income band) and the pattern of empty
    cells are drawn together from their joint frequencies in the original. Within each product, the
    numeric columns follow a Gaussian copula fitted to their normal scores (pairwise Spearman-like
    correlations), with each column's empirical distribution as its marginal (linear interpolation
    between order statistics, so values are new, not copied). Households (``borrower_id``) keep the
    original's distribution of accounts per household, and share their income, score and region.
    Any synthetic row equal to an original row on every column is drawn again.

    Raises:
        PortfolioError: the portfolio has no usable accounts or ``rows`` is out of range.
    """
    from scipy.special import ndtr, ndtri

    src = portfolio.frame
    if len(src) == 0:
        raise PortfolioError(f"{portfolio.name}: no usable accounts to learn from")
    n = len(src) if rows is None else int(rows)
    if not 1 <= n <= MAX_PORTFOLIO_ROWS:
        raise PortfolioError(f"rows must be between 1 and {MAX_PORTFOLIO_ROWS:,}, got {n}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    present = [c for c in portfolio.columns if c in SCHEMA]
    numeric = [c for c in NUMERIC if c in present]
    categorical = [c for c in CATEGORICAL if c in present]
    # joint draw of the categories and the pattern of empty numeric cells
    pattern = pd.DataFrame({c: src[c].astype(str) for c in categorical})
    for c in numeric:
        pattern[f"_na_{c}"] = np.isnan(src[c].to_numpy(dtype=float))
    if "borrower_id" in present:
        pattern["_na_borrower_id"] = (src["borrower_id"] == "").to_numpy()
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pattern))
    freq = np.bincount(codes) / len(codes)
    draw = rng.choice(len(uniques), size=n, p=freq)
    first_of = np.unique(codes, return_index=True)[1]
    out = pattern.iloc[first_of[draw]].reset_index(drop=True)
    result = pd.DataFrame({"account_id": [f"S{i + 1:07d}" for i in range(n)]})
    for c in categorical:
        result[c] = out[c].to_numpy()
    first = np.arange(n)  # the first account of each row's household
    if "borrower_id" in present:
        result["borrower_id"], first = _synthetic_households(src, out["_na_borrower_id"].to_numpy(), rng)
    # numeric columns: a Gaussian copula per product, with empirical marginals
    household_cols = [j for j, c in enumerate(numeric) if c in ("income", "score")]
    account_cols = [j for j, c in enumerate(numeric) if c not in ("income", "score")]
    groups = src["product"].to_numpy(dtype=object)
    dst_groups = result["product"].to_numpy(dtype=object)
    fits = {}
    z = np.zeros((n, len(numeric)))
    for product in np.unique(dst_groups):
        src_rows = np.flatnonzero(groups == product)
        if len(src_rows) < 30:  # too few to fit: learn from the whole file
            src_rows = np.arange(len(src))
        data = np.column_stack([src[c].to_numpy(dtype=float)[src_rows] for c in numeric])
        corr = _normal_score_correlation(data, ndtri)
        fits[product] = (corr, [np.sort(data[np.isfinite(data[:, j]), j]) for j in range(len(numeric))])
        dst = np.flatnonzero(dst_groups == product)
        z[dst] = rng.standard_normal((len(dst), len(numeric))) @ np.linalg.cholesky(corr).T
    # later accounts of a household share its income and score; their own columns are drawn from the
    # copula conditional on those, so that correlations survive the sharing
    later = np.flatnonzero(first != np.arange(n))
    if len(later) and household_cols and account_cols:
        h, a = np.array(household_cols), np.array(account_cols)
        for product, (corr, _) in fits.items():
            rows_g = later[dst_groups[later] == product]
            if len(rows_g) == 0:
                continue
            zh = z[first[rows_g]][:, h]
            b = corr[np.ix_(a, h)] @ np.linalg.inv(corr[np.ix_(h, h)])
            cov = corr[np.ix_(a, a)] - b @ corr[np.ix_(h, a)]
            cov = (cov + cov.T) / 2 + 1e-9 * np.eye(len(a))
            z[np.ix_(rows_g, h)] = zh
            z[np.ix_(rows_g, a)] = zh @ b.T + rng.standard_normal((len(rows_g), len(a))) @ np.linalg.cholesky(cov).T
    u = ndtr(z)
    values = {c: np.full(n, np.nan) for c in numeric}
    for product, (_, marginals) in fits.items():
        dst = np.flatnonzero(dst_groups == product)
        for j, c in enumerate(numeric):
            known = marginals[j]
            if len(known):
                values[c][dst] = np.interp(u[dst, j] * (len(known) - 1), np.arange(len(known)), known)
    for c in numeric:
        v = values[c]
        src_known = src[c].to_numpy(dtype=float)
        src_known = src_known[np.isfinite(src_known)]
        if SCHEMA[c].kind == "integer" or (len(src_known) and np.all(src_known == np.round(src_known))):
            v = np.round(v)
        elif c in ("balance", "income", "original_amount"):
            v = np.round(v, 2)
        else:
            v = np.round(v, 4)
        v[out[f"_na_{c}"].to_numpy()] = np.nan
        if c in ("balance", "income", "original_amount"):
            v = np.where(np.isnan(v), np.nan, np.maximum(v, 0.01))
        result[c] = v
    for c in ("income", "income_band", "score", "region"):  # exactly one value per household
        if c in result:
            col = result[c].to_numpy(copy=True)
            col[later] = col[first[later]]
            result[c] = col
    _redraw_copies(src, result, present, rng)
    order = [c for c in portfolio.columns if c in result]
    return result[order]


def _normal_score_correlation(data: np.ndarray, ndtri) -> np.ndarray:
    """Correlation of the normal scores of each column (pairwise over known cells), made positive
    definite."""
    scores = np.full(data.shape, np.nan)
    for j in range(data.shape[1]):
        known = np.isfinite(data[:, j])
        if known.sum():
            ranks = pd.Series(data[known, j]).rank(method="average").to_numpy()
            scores[known, j] = ndtri(ranks / (known.sum() + 1))
    corr = pd.DataFrame(scores).corr(min_periods=10).to_numpy()
    corr = np.where(np.isfinite(corr), corr, 0.0)
    np.fill_diagonal(corr, 1.0)
    w, v = np.linalg.eigh(corr)
    corr = (v * np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(corr))
    return corr / np.outer(d, d)


def _synthetic_households(src: pd.DataFrame, no_id: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Household ids for synthetic accounts, with the original's distribution of accounts per
    household, and the first account of each account's household."""
    with_id = src["borrower_id"].to_numpy(dtype=object)
    with_id = with_id[with_id != ""]
    sizes_src = pd.Series(with_id).value_counts().to_numpy() if len(with_id) else np.array([1])
    n = len(no_id)
    rows = np.flatnonzero(~no_id)
    sizes = rng.choice(sizes_src, size=len(rows) + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), len(rows)) + 1]
    hh = np.repeat(np.arange(len(sizes)), sizes)[: len(rows)]
    ids = np.full(n, "", dtype=object)
    ids[rows] = [f"H{h + 1:07d}" for h in hh]
    first = np.arange(n)
    if len(rows):
        first[rows] = rows[np.unique(hh, return_index=True)[1]][hh]
    return ids, first


def _redraw_copies(src: pd.DataFrame, result: pd.DataFrame, present: list[str], rng) -> None:
    """Make sure that no synthetic row equals an original row on every non-id column."""
    cols = [c for c in present if c not in ("account_id", "borrower_id")]
    for _ in range(20):
        copied = copied_rows(src, result, cols)
        if not copied.any():
            return
        idx = np.flatnonzero(copied)
        bal = result["balance"].to_numpy(copy=True)
        bal[idx] = np.round(bal[idx] * (1 + rng.uniform(-0.01, 0.01, len(idx))) + 0.01, 2)
        result["balance"] = bal
    raise PortfolioError("could not make a synthetic portfolio without copying a row")


def copied_rows(original: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Mask of synthetic rows equal to some original row on every one of ``columns`` (numbers compared
    to 6 decimals, empty cells equal to empty cells)."""
    def keys(frame: pd.DataFrame) -> np.ndarray:
        parts = {}
        for c in columns:
            col = frame[c]
            if col.dtype.kind in ("f", "i", "u", "b"):
                parts[c] = pd.Series(np.round(col.to_numpy(dtype=float), 6)).fillna(-1e300)
            else:
                parts[c] = pd.Series(col.to_numpy(dtype=object)).fillna("").astype(str)
        return pd.util.hash_pandas_object(pd.DataFrame(parts), index=False).to_numpy()

    return np.isin(keys(synthetic), keys(original))


def write_portfolio(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a portfolio frame as CSV, or as Parquet if the path ends in .parquet."""
    path = Path(path)
    frame = frame[[c for c in frame.columns if c in SCHEMA]]
    if path.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, float_format="%.10g")
    return path

