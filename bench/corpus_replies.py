"""Reply splitting against the libraries' own fixtures (email_reply_parser, mail-parser-reply,
talon): their assertions read as our body / quoted / signature split."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus_expect import norm
from gateway.parse import ReplyParts, parse_message, split_reply
from gateway.parse.html import html_to_text

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
