"""A parsed message whose headers are looked up by name in a dict, not by a scan.

Scoring a message asks for some forty headers by name (message, signals, relay), and the
email package's ``Message.get`` walks the whole header list for each, lower-casing every
name on the way: with the twenty to sixty headers of real mail, that was a tenth of a
message's scoring time. The index gives the same answers: the same values, through the
same policy call, in the same order.
"""

from __future__ import annotations

import email.message
import email.utils
from functools import lru_cache
from typing import Any

_Index = dict[str, list[tuple[str, Any]]]


class IndexedMessage(email.message.Message):
    """``email.message.Message`` with ``get``/``get_all`` served from a name index.

    The index is built on first use and is valid for the header list it was built from:
    every change of the email package either replaces that list or changes its length,
    except ``replace_header``, which drops the index.
    """

    _index: _Index | None = None
    _indexed: list[tuple[str, Any]] | None = None
    _indexed_len = 0

    def _by_name(self) -> _Index:
        headers: list[tuple[str, Any]] = self._headers  # type: ignore[attr-defined]
        index = self._index
        if index is None or self._indexed is not headers or self._indexed_len != len(headers):
            index = {}
            for k, v in headers:
                index.setdefault(k.lower(), []).append((k, v))
            self._index, self._indexed, self._indexed_len = index, headers, len(headers)
        return index

    def get(self, name: str, failobj: Any = None) -> Any:
        found = self._by_name().get(name.lower())
        if not found:
            return failobj
        k, v = found[0]
        return self.policy.header_fetch_parse(k, v)

    def get_all(self, name: str, failobj: Any = None) -> Any:
        found = self._by_name().get(name.lower())
        if not found:
            return failobj
        fetch = self.policy.header_fetch_parse
        return [fetch(k, v) for k, v in found]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name()

    def replace_header(self, _name: str, _value: Any) -> None:
        self._index = None
        super().replace_header(_name, _value)

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        # A part's Content-Type is split into its parameters for each get_param
        # (charset, filename, name, boundary): remembered by value, as the same few
        # values come in mail after mail. A copy each time: callers may keep the list.
        value = self.get(header)
        if type(value) is not str:  # missing, or a Header object (undecodable bytes)
            return super()._get_params_preserve(failobj, header)  # type: ignore[misc]
        params = _PARAMS.get(value)
        if params is None:
            if len(_PARAMS) >= _MAX_PARAMS:
                _PARAMS.clear()
            params = _PARAMS[value] = super()._get_params_preserve(  # type: ignore[misc]
                failobj, header
            )
        return list(params)


_PARAMS: dict[str, Any] = {}
_MAX_PARAMS = 4096


def message_from_bytes(raw: bytes) -> email.message.Message:
    """``email.message_from_bytes`` (compat32) with indexed headers in every part."""
    return email.message_from_bytes(raw, _class=IndexedMessage)


@lru_cache(maxsize=8192)
def parseaddr(value: str) -> tuple[str, str]:
    """``email.utils.parseaddr``, remembered: the same senders and lists come again and again."""
    return email.utils.parseaddr(value)


@lru_cache(maxsize=8192)
def count_addresses(values: tuple[str, ...]) -> int:
    """How many addresses ``email.utils.getaddresses`` finds in ``values``, remembered."""
    return len(email.utils.getaddresses(list(values)))
