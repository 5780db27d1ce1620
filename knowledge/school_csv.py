"""Schools from a spreadsheet: one row per school, one column per fact and per text and language.

Columns: `code`, `name`, `district` (required), `address`, `phone`, `email`, `website`,
`contact_person`, `staff_languages` (codes such as "uk ru"), `assistant` (yes/no, tak/nie),
and `who_can_join_<lang>`, `how_to_apply_<lang>`, `what_to_bring_<lang>` for any of the six
languages. Excel's UTF-8 with BOM and its ';'-separated variant are read as well.

Every row is checked before anything is written: one bad row means the file is refused with
every problem listed by row and column, and the database is untouched.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError

from knowledge.languages import LANGUAGES
from knowledge.schools import FACTS, INFO_FIELDS, SchoolDoc

REQUIRED = ("code", "name", "district")
INFO_COLUMNS = {f"{name}_{lang}": (name, lang) for lang in LANGUAGES for name in INFO_FIELDS}
COLUMNS = ("code", *FACTS, *INFO_COLUMNS)
TRUE = frozenset({"yes", "y", "tak", "t", "true", "1", "x", "так", "да"})
FALSE = frozenset({"no", "n", "nie", "false", "0", "", "ні", "нет"})
MAX_BYTES = 5_000_000


class CsvError(ValueError):
    """The file cannot be imported; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse(data: bytes, *, demo: bool = False) -> list[SchoolDoc]:
    """Validated schools from CSV bytes, or `CsvError` listing every problem."""
    if len(data) > MAX_BYTES:
        raise CsvError([f"the file is larger than {MAX_BYTES // 1_000_000} MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError(
            [f"the file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"]
        ) from exc
    if not text.strip():
        raise CsvError(["the file is empty"])
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, restkey="\0extra")
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    problems = _header_problems(header)
    if problems:
        raise CsvError(problems)
    docs: list[SchoolDoc] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any((value or "").strip() for key, value in row.items() if key != "\0extra"):
            continue
        doc = _row(number, row, problems, demo=demo)
        if doc is None:
            continue
        if doc.code in seen:
            problems.append(
                f"row {number}, column 'code': {doc.code!r} repeats row {seen[doc.code]}"
            )
            continue
        seen[doc.code] = number
        docs.append(doc)
    if problems:
        raise CsvError(problems)
    if not docs:
        raise CsvError(["the file has a header but no schools"])
    return docs


def _header_problems(header: list[str]) -> list[str]:
    problems = [f"missing column {name!r}" for name in REQUIRED if name not in header]
    problems += [
        f"unknown column {name!r} (known: {', '.join(COLUMNS[:10])}, who_can_join_uk, ...)"
        for name in header
        if name not in COLUMNS
    ]
    problems += [f"column {name!r} appears twice" for name in set(header) if header.count(name) > 1]
    return problems


def _row(number: int, row: dict[str, Any], problems: list[str], *, demo: bool) -> SchoolDoc | None:
    if row.get("\0extra"):
        problems.append(f"row {number}: more cells than columns (a separator inside a text?)")
        return None
    facts: dict[str, Any] = {"demo": demo}
    infos: dict[str, dict[str, str]] = {}
    for key, value in row.items():
        value = (value or "").strip()
        if key in INFO_COLUMNS:
            name, lang = INFO_COLUMNS[key]
            infos.setdefault(lang, {})[name] = value
        elif key == "assistant":
            if value.lower() not in TRUE | FALSE:
                problems.append(f"row {number}, column 'assistant': write yes or no, not {value!r}")
                return None
            facts[key] = value.lower() in TRUE
        else:
            facts[key] = value
    try:
        return SchoolDoc.model_validate({**facts, "infos": infos})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            column = _column(where)
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"row {number}, column {column!r}: {message}")
        return None


def _column(location: str) -> str:
    """`infos.uk.how_to_apply` → `how_to_apply_uk`: name the column a person sees."""
    parts = location.split(".")
    if parts[0] == "infos" and len(parts) == 3:
        return f"{parts[2]}_{parts[1]}"
    return parts[0]
