"""A TOML table into a dataclass, key by key: unknown keys and wrong types become problems
(named with their table), and nested tables and lists of tables are built the same way."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any


def _build(cls: type[Any], data: Any, where: str, problems: list[str]) -> Any:
    """Make dataclass `cls` from a TOML table, checking keys and types."""
    label = where or "top level"
    if not isinstance(data, dict):
        problems.append(f"{label}: expected a table")
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            problems.append(f"{label}: unknown key {key!r}")
            continue
        before = len(problems)
        coerced = _coerce(hints[key], value, _sub(where, key), problems)
        # A value of the wrong type is reported and replaced by the default, so that the
        # checks across keys still run and every problem is reported at once.
        nested = dataclasses.is_dataclass(hints[key]) or typing.get_origin(hints[key]) is list
        if nested or len(problems) == before:
            kwargs[key] = coerced
    return cls(**kwargs)


def _sub(where: str, key: str) -> str:
    return f"[{key}]" if not where else f"{where} {key}"


def _coerce(hint: Any, value: Any, where: str, problems: list[str]) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type[Any], hint), value, where, problems)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list")
            return []
        if dataclasses.is_dataclass(item):
            label = f"[[{where.strip('[]')}]]"
            return [
                _build(typing.cast(type[Any], item), v, f"{label} #{i + 1}", problems)
                for i, v in enumerate(value)
            ]
        return [_coerce(item, v, where, problems) for v in value]
    if origin is types.UnionType or origin is typing.Union:
        return value
    expected: tuple[type[Any], ...]
    if hint is float:
        expected = (int, float)
    elif hint is int:
        expected = (int,)
    else:
        expected = (hint,)
    if isinstance(value, bool) and hint is not bool:
        problems.append(f"{where}: expected {hint.__name__}, got a boolean")
        return value
    if not isinstance(value, expected):
        problems.append(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
    return value
