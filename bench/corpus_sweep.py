"""Parse the public mail corpora and print crash counts and agreement with expected results.

Usage: python bench/corpus_sweep.py [CORPORA_DIR]   (default: ../shared/corpora from the repo)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.parse import ParsedMessage, ReplyParts, parse_message, split_reply
from gateway.parse.filenames import safe_filename
from gateway.parse.html import html_to_text

REPO = Path(__file__).resolve().parent.parent
SWEEP = {
    "zammad": "zammad/test/data/mail",
    "stalwart": "stalwart_mail_parser",
    "spamscope": "mailparser_spamscope/tests/mails",
    "rt": "rt_emails/t/data/emails",
}
SKIP_SUFFIXES = (".yml", ".json", ".txt")
SKIP_NAMES = {"LICENSE", "COPYING", "SOURCE.txt"}


def norm(text: str) -> str:
    return " ".join(text.split())


def same(expected: str, ours: str) -> bool:
    """Whitespace-insensitive equality; U+FFFD in the expected text (a reference parser
    that gave up on a charset) matches any one character of ours."""
    pattern = ".".join(re.escape(p) for p in norm(expected).split("\ufffd"))
    return re.fullmatch(pattern, norm(ours)) is not None


def corpus_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in SKIP_SUFFIXES and p.name not in SKIP_NAMES
    )


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


def sweep(root: Path, verbose: bool) -> int:
    expecters = {"zammad": expect_zammad, "stalwart": expect_stalwart,
                 "spamscope": expect_spamscope}  # fmt: skip
    crashes = 0
    for corpus, rel in SWEEP.items():
        tally: Tally = Counter()
        files = corpus_files(root / rel)
        for path in files:
            try:
                msg = parse_message(path.read_bytes())
            except Exception as exc:
                crashes += 1
                tally["crashes"] += 1
                print(f"  CRASH {path}: {exc!r}")
                continue
            tally["fallback"] += any("used mail-parser" in p for p in msg.problems)
            CURRENT[0] = str(path.relative_to(root))
            if corpus in expecters:
                expecters[corpus](path, msg, tally)
        figures = [f"files {len(files)}", f"crashes {tally['crashes']}",
                   f"mail-parser fallbacks {tally['fallback']}"]  # fmt: skip
        for key in sorted(k[:-2] for k in tally if k.endswith("_n")):
            figures.append(f"{key} {tally[key + '_ok']}/{tally[key + '_n']}")
        print(f"{corpus:10s} " + ", ".join(figures))
        if verbose:
            for key in sorted(k for k in tally if k.startswith("failed ")):
                print(f"    {key}")
    return crashes


# --- the same corpora through `deliver` and the runner, compared on what was stored ------
def deliver_sweep(root: Path, verbose: bool) -> int:
    """Every file through `helpdesk deliver`'s code path and the real pipeline.

    Counts messages that did not become (or join) a ticket, and compares the stored
    ticket's subject, requester and attachment names with the expected files.
    """
    import tempfile

    from sqlalchemy import select

    from gateway.daemon.runner import Runner
    from gateway.daemon.supervisor import prepare_database
    from gateway.intake.pipe import deliver
    from gateway.parse import Address, ParsedAttachment
    from gateway.services import Services
    from gateway.settings import config as config_mod
    from gateway.store.model import Attachment, Inbound, Message, Ticket

    expecters = {"zammad": expect_zammad, "stalwart": expect_stalwart}
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "helpdesk.toml").write_text(
            '[helpdesk]\naddress = "support@helpdesk.example"\n'
            '[database]\nurl = "sqlite:///var/helpdesk.db"\n'
            "[loop]\nmax_auto_replies_per_day = 1000000\n"
        )
        cfg = config_mod.load(Path(tmp) / "helpdesk.toml")
        db = prepare_database(cfg)
        runner = Runner(db, Services.from_config(cfg))
        for corpus, rel in SWEEP.items():
            tally: Tally = Counter()
            files = corpus_files(root / rel)
            rows: dict[int, Path] = {}
            for path in files:
                result = deliver(cfg, db, path.read_bytes(), [], "")
                if result.row_id is None:
                    tally["refused"] += 1
                    print(f"  REFUSED {path}: {result.message}")
                    continue
                rows[result.row_id] = path
            runner.drain()
            with db.read() as s:
                for row_id, path in rows.items():
                    row = s.get(Inbound, row_id)
                    assert row is not None
                    if row.state == "quarantined":
                        tally["quarantined"] += 1
                        print(f"  QUARANTINED {path}: {(row.error or '').splitlines()[-1:]}")
                        continue
                    message = s.scalar(select(Message).where(Message.inbound_id == row_id))
                    ticket = s.get(Ticket, row.ticket_id) if row.ticket_id else None
                    if message is None or ticket is None:
                        tally[f"state {row.state}"] += 1
                        continue
                    tally["tickets"] += 1
                    names = s.scalars(
                        select(Attachment.filename).where(Attachment.message_id == message.id)
                    ).all()
                    author = message.author
                    stored = ParsedMessage(
                        subject=message.subject,
                        sender=Address(
                            author.name if author else "", author.email if author else ""
                        ),
                        attachments=[
                            ParsedAttachment(filename=n, content_type="", data=b"") for n in names
                        ],
                    )
                    CURRENT[0] = str(path.relative_to(root))
                    if corpus in expecters:
                        expecters[corpus](path, stored, tally)
            problems += tally["refused"] + tally["quarantined"]
            figures = [
                f"files {len(files)}",
                f"stored as messages {tally['tickets']}",
                f"refused {tally['refused']}",
                f"quarantined {tally['quarantined']}",
            ]
            figures += [f"{k} {v}" for k, v in sorted(tally.items()) if k.startswith("state ")]
            for key in sorted(k[:-2] for k in tally if k.endswith("_n")):
                if key in ("subject", "sender", "attachments"):
                    figures.append(f"{key} {tally[key + '_ok']}/{tally[key + '_n']}")
            print(f"deliver {corpus:10s} " + ", ".join(figures))
            if verbose:
                for key in sorted(k for k in tally if k.startswith("failed ")):
                    print(f"    {key}")
        db.dispose()
    return problems


# --- reply splitting ------------------------------------------------------------------
# Checks translated from the libraries' own test assertions (expected_assertions.json) into
# our three-way split: what they show as the visible reply must be our body, hidden
# quoted fragments our quoted, signature fragments our signature.
Split = Callable[[str], ReplyParts]
BODY_HAS, BODY_LACKS, BODY_EQ, QUOTED_HAS, SIG_HAS, SIG_EQ, QUOTED_EQ, BODY_STARTS = (
    "body_has", "body_lacks", "body_eq", "quoted_has", "sig_has", "sig_eq", "quoted_eq",
    "body_starts")  # fmt: skip
ZAPIER = {
    "email_1_1": [(BODY_HAS, "folks"), (SIG_HAS, "riak-users"), (BODY_LACKS, "riak-users")],
    "email_1_2": [(BODY_HAS, "Hi,"), (BODY_HAS, "You can list the keys for the bucket"),
                  (SIG_HAS, "riak-users")],
    "email_1_8": [(BODY_HAS, "I will reply under this one"), (BODY_HAS, "and under this."),
                  (SIG_HAS, "Hey there, this is my signature")],
    "email_1_6": [(BODY_HAS, "I get"), (QUOTED_HAS, "On")],
    "email_1_4": [(BODY_HAS, "Awesome"), (QUOTED_HAS, "Loader")],
    "email_1_5": [(QUOTED_EQ, ""), (SIG_EQ, "")],
    "correct_sig": [(SIG_HAS, "--"), (QUOTED_EQ, "")],
    "email_1_7": [(BODY_HAS, ":+1:"), (QUOTED_HAS, "Steps 0-2")],
    "email_gmail": [(BODY_EQ, "This is a test for inbox replying to a github message.")],
    "email_2_1": [(BODY_EQ, "Outlook with a reply")],
    "email_2_2": [(BODY_EQ, "Outlook with a reply directly above line")],
    "email_2_3": [(BODY_EQ, "Outlook with a reply above headers using unusual format")],
    "email_iPhone": [(BODY_LACKS, "Sent from my iPhone")],
    "email_one_is_not_on": [(BODY_LACKS, "On Oct 1, 2012, at 11:55 PM, Dave Tapley wrote:")],
    "email_partial_quote_header": [(BODY_HAS, "On your remote host you can run:"),
                                   (BODY_HAS, "telnet 127.0.0.1 52698"),
                                   (BODY_HAS, "This should connect to TextMate")],
    "email_headers_no_delimiter": [(BODY_EQ, "And another reply!")],
    "greedy_on": [(BODY_STARTS, "On your remote host"), (QUOTED_HAS, "On 9 Jan 2014"),
                  (SIG_EQ, "")],
    "email_sig_delimiter_in_middle_of_line": [(QUOTED_EQ, ""), (SIG_EQ, "")],
}  # fmt: skip
MPR = {
    "email_1_1": [(SIG_HAS, "riak-users"), (BODY_LACKS, "riak-users"),
                  (SIG_HAS, "-Abhishek Kona")],
    "email_1_3": [(QUOTED_HAS, "On 01/03/11 7:07 PM, Russell Brown wrote:"),
                  (SIG_HAS, "-Abhishek Kona"), (BODY_LACKS, "-Abhishek Kona"),
                  (QUOTED_HAS, ">> -Abhishek Kona")],
    "email_1_4": [(QUOTED_HAS, "defunkt<reply@reply.github.com>")],
    "email_1_5": [(QUOTED_EQ, "")],
    "email_1_6": [(QUOTED_HAS, "<reply@reply.github.com>")],
    "email_1_7": [(QUOTED_HAS, "<notifications@github.com>wrote:")],
    "email_2_1": [(BODY_EQ, "Outlook with a reply"),
                  (QUOTED_HAS, "Google Apps Sync Team [mailto:mail-noreply@google.com]")],
    "email_2_3": [(BODY_EQ, "Outlook with a reply above headers using unusual format"),
                  (QUOTED_HAS, "Ei tale aliquam eum, at vel tale sensibus")],
    "email_headers_no_delimiter": [(BODY_EQ, "And another reply!"), (QUOTED_HAS, "A reply"),
                                   (QUOTED_HAS, "This is a message.\nWith a second line.")],
    "email_sent_from_iPhone": [(BODY_EQ, "Here is another email"),
                               (SIG_EQ, "Sent from my iPhone")],
    "email_sent_from_multi_word_mobile_device": [
        (BODY_EQ, "Here is another email"),
        (SIG_EQ, "Sent from my Verizon Wireless BlackBerry")],
    "email_sent_from_BlackBerry": [(BODY_EQ, "Here is another email"),
                                   (SIG_EQ, "Sent from my BlackBerry")],
    "email_sent_from_not_signature": [
        (BODY_EQ, "Here is another email\n\nSent from my desk, is much easier than my mobile "
                  "phone."), (SIG_EQ, "")],
}  # fmt: skip


def _passes(parts: ReplyParts, kind: str, arg: str) -> bool:
    body, quoted, sig = parts.body.strip(), parts.quoted, parts.signature.strip()
    return {
        BODY_HAS: arg in body, BODY_LACKS: arg not in body, BODY_EQ: body == arg,
        BODY_STARTS: body.startswith(arg), QUOTED_HAS: arg in quoted,
        QUOTED_EQ: quoted.strip() == arg, SIG_HAS: arg in sig, SIG_EQ: sig == arg,
    }[kind]  # fmt: skip


def fixture_checks(folder: Path, table: dict[str, list[tuple[str, str]]], split: Split,
                   fails: list[str]) -> tuple[int, int]:  # fmt: skip
    ok = n = 0
    for name, checks in table.items():
        parts = split((folder / f"{name}.txt").read_text("utf-8", "replace"))
        for kind, arg in checks:
            n += 1
            good = _passes(parts, kind, arg)
            ok += good
            if not good:
                fails.append(f"{folder.parent.parent.name}/{name}: {kind} {arg[:40]!r}")
    return ok, n


def unquoted(parts: ReplyParts) -> str:
    """Talon keeps signatures in its output: compare with body plus signature."""
    return "\n".join(p for p in (parts.body, parts.signature) if p.strip())


def talon_checks(root: Path, split: Split, fails: list[str]) -> tuple[int, int]:
    exp = json.loads((root / "expected.json").read_text("utf-8"))
    fixtures = root / "tests/fixtures"
    ok = n = 0
    results: list[tuple[str, bool]] = []
    for rel, want in exp["standard_replies"].items():
        text = parse_message((fixtures / rel).read_bytes()).text
        results.append((rel, norm(unquoted(split(text))) == norm(want)))
    for rel, want in exp["html_replies"].items():
        text = html_to_text((fixtures / rel).read_text("utf-8", "replace"))
        got = re.sub(r"\s+", "", unquoted(split(text)))
        results.append((rel, got == re.sub(r"\s+", "", want)))
    for case in exp["inline_plain_cases"]:
        results.append((case["test"], norm(unquoted(split(case["input"]))) ==
                        norm(case["expected"])))  # fmt: skip
    stripped = fixtures / "signature/emails/stripped"
    for body in sorted(stripped.glob("*_body")):
        want = (stripped / body.name.replace("_body", "_signature")).read_text("utf-8")
        got = split(body.read_text("utf-8")).signature
        results.append((body.name, norm(got) == norm(want)))
    for name, good in results:
        n += 1
        ok += good
        if not good:
            fails.append(f"talon/{name}")
    return ok, n


def library_split(text: str) -> ReplyParts:
    """mail-parser-reply's answer mapped onto ReplyParts, for comparison."""
    from mailparser_reply import EmailReplyParser

    mail = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl", "pl", "sv"]).read(text)
    if not mail.replies:
        return ReplyParts(text, "", "")
    first = mail.replies[0]
    rest = "\n".join(r.content for r in mail.replies[1:])
    return ReplyParts(first.body, rest, first.signatures)


def reply_agreement(root: Path, verbose: bool) -> None:
    for label, split in (("split_reply", split_reply), ("mail-parser-reply", library_split)):
        fails: list[str] = []
        start = time.perf_counter()
        figures = {
            "talon": talon_checks(root / "talon", split, fails),
            "zapier": fixture_checks(root / "email_reply_parser_zapier/test/emails", ZAPIER,
                                     split, fails),
            "mail_parser_reply": fixture_checks(root / "mail_parser_reply/test/emails", MPR,
                                                split, fails),
        }  # fmt: skip
        took = time.perf_counter() - start
        text = ", ".join(f"{k} {ok}/{n}" for k, (ok, n) in figures.items())
        print(f"reply split [{label}]: {text} ({took:.2f} s)")
        if verbose:
            for fail in fails:
                print(f"    fail: {fail}")


def _beside(name: str) -> Any:
    """A bench script beside this one, as a module (bench/ is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="?", type=Path, default=REPO.parent / "shared/corpora")
    parser.add_argument("-v", "--verbose", action="store_true", help="list failed checks")
    parser.add_argument(
        "--deliver",
        action="store_true",
        help="also put every file through deliver and the pipeline",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    crashes = sweep(args.corpora, args.verbose)
    if args.deliver:
        crashes += deliver_sweep(args.corpora, args.verbose)
    reply_agreement(args.corpora, args.verbose)
    bounce_sweep = _beside("bounce_sweep")
    bounce_sweep.direct(args.corpora / "sisimai_bounces", args.verbose)
    if args.deliver:
        bounce_sweep.delivered(args.corpora / "sisimai_bounces", args.verbose)
    print(f"total {time.perf_counter() - start:.1f} s, crashes {crashes}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
