"""Directory files read into records: CSV (one person a row), TOML or JSON (people and
organisations). Malformed rows are named with their line (CSV) or entry number and left
out; the rest is read.

CSV columns: email,name,department,phone,location,organisation,equipment,licences,notes
(equipment and licences `;`-separated); any other column is kept as an extra field, and a
column headed `secret:NAME` is an extra field never put in mail.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.errors import HelpdeskError

LIST_FIELDS = ("equipment", "licences")
TEXT_FIELDS = ("department", "phone", "location", "organisation", "notes")
# Fields that are secret whatever the file says: a password never goes out by mail.
_SECRET_NAME = re.compile(r"password|passwd|пароль|secret|pin\b|ключ|key$", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+")


class DirectoryFileError(HelpdeskError):
    """The file as a whole cannot be read (format, encoding, no email column)."""


@dataclass
class Record:
    """One person or organisation as a file describes it."""

    kind: str  # "person" or "organisation"
    key: str
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    equipment: list[str] = field(default_factory=list)
    licences: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    secret: list[str] = field(default_factory=list)
    where: str = ""


@dataclass
class Problem:
    where: str  # "line 7" or "people[3]"
    reason: str


@dataclass
class Parsed:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def is_secret(name: str, declared: list[str]) -> bool:
    return name in declared or bool(_SECRET_NAME.search(name))


_PAIR = re.compile(r"(?P<key>[\w-]+)=(?P<value>.*?)(?=\s+[\w-]+=|$)")


def redact(line: str) -> str:
    """`#card set pin=4321` as `#card set pin=***`: a command line quoted back in mail."""
    return _PAIR.sub(lambda m: f"{m['key']}=***" if is_secret(m["key"].lower(), []) else m[0], line)


def valid_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value))


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(";") if part.strip()]


def person(data: dict[str, Any], where: str) -> Record:
    """A person record from one row or entry; ValueError says what is wrong."""
    email = str(data.get("email") or "").strip().strip("<>").lower()
    if not email:
        raise ValueError("no email")
    if not valid_email(email):
        raise ValueError(f"not an email address: {email!r}")
    declared = [str(s) for s in _split(data.get("secret", []))]
    record = Record("person", email, str(data.get("name") or "").strip(), where=where)
    for key, value in data.items():
        if key in ("email", "name", "secret"):
            continue
        if key in LIST_FIELDS:
            setattr(record, key, _split(value))
            continue
        if isinstance(value, (dict, list)):
            raise ValueError(f"field {key!r} must be text")
        text = str(value if value is not None else "").strip()
        if text:
            record.fields[str(key)] = text
    record.secret = sorted(k for k in record.fields if is_secret(k, declared))
    return record


def organisation(data: dict[str, Any], where: str) -> Record:
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValueError("an organisation needs a name")
    domains = [d.lower().lstrip("@") for d in _split(data.get("domains", []))]
    plain = {k: v for k, v in data.items() if k not in ("name", "domains", "members")}
    record = person({**plain, "email": "x@x.invalid"}, where)
    record.kind, record.key, record.name, record.domains = (
        "organisation",
        name.lower(),
        name,
        domains,
    )
    record.fields["members"] = ", ".join(_split(data.get("members", [])))
    if not record.fields["members"]:
        del record.fields["members"]
    return record


def read_csv(text: str) -> Parsed:
    parsed = Parsed()
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if header is None:
        return parsed
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "email" not in names:
        raise DirectoryFileError("the first line must name the columns, `email` among them")
    secret_cols = {n.removeprefix("secret:") for n in names if n.startswith("secret:")}
    names = [n.removeprefix("secret:") for n in names]
    for row in reader:
        where = f"line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            parsed.problems.append(
                Problem(where, f"{len(row)} fields, the header names {len(names)}")
            )
            continue
        data: dict[str, Any] = dict(zip(names, row, strict=False))
        data["secret"] = sorted(secret_cols)
        try:
            parsed.records.append(person(data, where))
        except ValueError as exc:
            parsed.problems.append(Problem(where, str(exc)))
    return parsed


def read_tree(data: Any) -> Parsed:
    """TOML or JSON: `people` and `organisations` lists of tables."""
    parsed = Parsed()
    if isinstance(data, list):
        data = {"people": data}
    if not isinstance(data, dict):
        raise DirectoryFileError("expected `people` and `organisations` lists")
    unknown = set(data) - {"people", "organisations"}
    if unknown:
        raise DirectoryFileError(f"unknown section(s): {', '.join(sorted(unknown))}")
    for section, make in (("organisations", organisation), ("people", person)):
        entries = data.get(section, [])
        if not isinstance(entries, list):
            raise DirectoryFileError(f"`{section}` must be a list of tables")
        for number, entry in enumerate(entries, 1):
            where = f"{section}[{number}]"
            if not isinstance(entry, dict):
                parsed.problems.append(Problem(where, "not a table"))
                continue
            try:
                parsed.records.append(make(entry, where))
            except ValueError as exc:
                parsed.problems.append(Problem(where, str(exc)))
    return parsed


def read_file(path: Path) -> Parsed:
    """Read a directory file by its suffix (.csv, .toml, .json)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DirectoryFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1251")  # what Russian spreadsheets save as "CSV"
        except UnicodeDecodeError:
            raise DirectoryFileError(f"{path}: neither UTF-8 nor cp1251 text") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(text)
    try:
        if suffix == ".toml":
            return read_tree(tomllib.loads(text))
        if suffix == ".json":
            return read_tree(json.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryFileError(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise DirectoryFileError(f"{path}: line {exc.lineno}: {exc.msg}") from None
    raise DirectoryFileError(f"{path}: use a .csv, .toml or .json file")
