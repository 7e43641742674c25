"""What the parsing corpora expect, read from their own files (Zammad's Ruby-tagged YAML,
Stalwart's JSON trees, mail-parser's assertions), and the tally of our agreement with it."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from gateway.parse import ParsedMessage
from gateway.parse.filenames import safe_filename


def norm(text: str) -> str:
    return " ".join(text.split())


def same(expected: str, ours: str) -> bool:
    """Whitespace-insensitive equality; U+FFFD in the expected text (a reference parser
    that gave up on a charset) matches any one character of ours."""
    pattern = ".".join(re.escape(p) for p in norm(expected).split("\ufffd"))
    return re.fullmatch(pattern, norm(ours)) is not None


# --- a tolerant reader for the scalars we need from Zammad's Ruby-tagged YAML ----------
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "/": "/", "0": "\0",
            "e": "\x1b", " ": " ", "_": "\xa0", "N": "\x85"}  # fmt: skip


def _unescape(s: str) -> str:
    def sub(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "xuU":
            return chr(int(e[1:], 16))
        return _ESCAPES.get(e, e)

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", sub, s)


def _fold(lines: list[str]) -> str:
    out = ""
    for i, line in enumerate(lines):
        piece = line if i == 0 else line.strip()
        if i and not piece:
            out += "\n"
        elif i and out and not out.endswith("\n"):
            out += " " + piece
        else:
            out += piece
    return out


def yaml_scalar(lines: list[str], start: int, first: str) -> tuple[str, int]:
    """Read the scalar whose first line text is ``first``; return (value, next line)."""
    first = re.sub(r"^!\S+\s*", "", first)
    if first.startswith('"'):
        buf, i = [first[1:]], start + 1
        while not re.search(r'(?<!\\)(?:\\\\)*"\s*$', buf[-1]) and i < len(lines):
            buf.append(lines[i])
            i += 1
        raw = _fold([b.rstrip() if not b.rstrip().endswith("\\") else b.rstrip()[:-1] + "\x00"
                     for b in buf])  # fmt: skip
        return _unescape(raw.replace("\x00 ", "").rstrip()[:-1]), i
    if first.startswith("'"):
        buf, i = [first[1:]], start + 1
        while not re.search(r"(?<!')(?:'')*'\s*$", buf[-1]) and i < len(lines):
            buf.append(lines[i])
            i += 1
        return _fold(buf).rstrip()[:-1].replace("''", "'"), i
    buf, i = [first], start + 1
    indent = len(lines[start]) - len(lines[start].lstrip())
    while i < len(lines) and (len(lines[i]) - len(lines[i].lstrip()) > indent + 1 or (
            first in ("|-", "|", ">") and lines[i].strip())):  # fmt: skip
        buf.append(lines[i])
        i += 1
    return _fold(buf).strip(), i


def read_zammad_yml(path: Path) -> dict[str, object]:
    lines = path.read_text("utf-8", "replace").splitlines()
    top: dict[str, object] = {}
    attachments: list[dict[str, str]] = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(- )?(\s*)([\w-]+):\s?(.*)$", lines[i])
        if not m:
            i += 1
            continue
        key, rest = m.group(3), m.group(4)
        if m.group(1):
            attachments.append({})
        depth = len(m.group(2)) + (2 if m.group(1) else 0)
        value, nxt = yaml_scalar(lines, i, rest)
        if depth == 0 and not m.group(1):
            top[key] = value
        elif attachments and key in ("filename", "content-alternative", "Mime-Type"):
            attachments[-1][key] = value
        i = max(nxt, i + 1)
    top["attachments"] = attachments
    return top


# --- per-corpus expectations ----------------------------------------------------------
Tally = Counter[str]


def check(tally: Tally, what: str, ok: bool) -> None:
    tally[what + "_n"] += 1
    tally[what + "_ok"] += ok
    if not ok:
        tally["fail:" + what] += 1
        tally["failed " + what + " in " + CURRENT[0]] += 1


CURRENT = [""]  # the file being checked, for the verbose listing of failures


def names_agree(expected: list[str], msg: ParsedMessage) -> bool:
    ours = [a.filename for a in msg.attachments]
    for name in expected:
        want = safe_filename(name, "", 0)
        hit = next((o for o in ours if same(want, o)), None)
        if hit is None:
            return False
        ours.remove(hit)
    return True


def expect_zammad(path: Path, msg: ParsedMessage, tally: Tally) -> None:
    yml = path.with_suffix(".yml")
    if not yml.exists():
        return
    exp = read_zammad_yml(yml)
    check(tally, "subject", same(str(exp.get("subject", "")), msg.subject))
    if "from_email" in exp:
        check(tally, "sender", str(exp["from_email"]).lower() == msg.sender.email)
    check(tally, "sender_name", same(str(exp.get("from_display_name", "")), msg.sender.name))
    atts = exp["attachments"]
    assert isinstance(atts, list)
    names = [a["filename"] for a in atts if "filename" in a and "content-alternative" not in a]
    check(tally, "attachments", names_agree(names, msg))


def _stalwart_name(part: dict[str, object]) -> str:
    for header in part["headers"]:  # type: ignore[attr-defined]
        if header["name"] in ("content_disposition", "content_type") and isinstance(
            header["value"], dict
        ):
            for attr in header["value"].get("ContentType", {}).get("attributes") or []:
                if attr["name"] in ("filename", "name"):
                    return str(attr["value"])
    return ""


def expect_stalwart(path: Path, msg: ParsedMessage, tally: Tally) -> None:
    exp_path = path.with_suffix(".json")
    if not exp_path.exists():
        return
    exp = json.loads(exp_path.read_text("utf-8"))
    top = exp["parts"][0]["headers"]
    subj = [h["value"].get("Text", "") for h in top if h["name"] == "subject"]
    if subj:
        check(tally, "subject", same(str(subj[0]), msg.subject))
    frm = [h["value"] for h in top if h["name"] == "from"]
    if frm and isinstance(frm[0], dict) and "Address" in frm[0]:
        addr = frm[0]["Address"]
        lst = addr.get("List") or (addr.get("Group") or [{}])[0].get("addresses") or [{}]
        check(tally, "sender", str(lst[0].get("address") or "").lower() == msg.sender.email)
    names = [_stalwart_name(exp["parts"][i]) for i in exp.get("attachments", [])]
    check(tally, "attachments", names_agree([n for n in names if n], msg))
    check(tally, "attachment_count", len(exp.get("attachments", [])) == len(msg.attachments))


# Transcribed from mailparser_spamscope/expected_assertions.json (the literal values only).
SPAMSCOPE: dict[str, list[tuple[str, Callable[[ParsedMessage], bool]]]] = {
    "mail_test_10": [("attachment_count", lambda m: len(m.attachments) == 4)],
    "mail_test_5": [("attachment_count", lambda m: len(m.attachments) == 5)],
    "mail_test_3": [("attachment_count", lambda m: len(m.attachments) == 1)],
    "mail_test_2": [("sender", lambda m: m.sender.email == "meteo@regione.vda.it")],
    "mail_test_19": [
        ("sender", lambda m: (m.sender.email, m.sender.name) == ("bob@example.com",
                                                                  "alice@example.com")),
        ("cc", lambda m: [(a.email, a.name) for a in m.cc] == [("frank@example.com",
                                                                "eve@example.com")]),
        ("to", lambda m: [(a.email, a.name) for a in m.to] == [
            ("charlie@example.com", "Charlie Brown"), ("dave@example.com", "")]),
    ],
    "mail_test_15": [("uuencode_md5", lambda m: any(
        __import__("hashlib").md5(a.data).hexdigest() == "4f2cf891e7cfb349fca812091f184ecc"
        for a in m.attachments))],
}  # fmt: skip


def expect_spamscope(path: Path, msg: ParsedMessage, tally: Tally) -> None:
    for what, test in SPAMSCOPE.get(path.name, []):
        check(tally, what, test(msg))
