"""Outgoing mail byte for byte: rendered, built and serialised as the runner does it.

The files in tests/data/outgoing/ were written by the renderer, `compose.build` and
`to_bytes` before their fast paths (Jinja attribute look-ups on dicts, payload line
endings, base64 lines): any change to what a recipient receives shows here. The random
parts (boundaries, Message-ID) come from a counter and the date is fixed, so the bytes
are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from pathlib import Path
from typing import Any

import pytest

from gateway.outgoing import compose
from gateway.outgoing.render import Renderer, default_templates_dir

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "outgoing"
WHEN = dt.datetime(2026, 11, 22, 10, 15, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 7


def _ticket(name: str, email: str, subject: str) -> dict[str, Any]:
    return {
        "id": 12, "tag": "HD-12", "subject": subject, "status": "new",
        "criticality": "high", "category": "Printers", "created_at": WHEN,
        "requester_name": name, "requester_email": email,
        "assignee_name": "", "assignee_email": "",
    }  # fmt: skip


def _message(subject: str, body: str, files: list[tuple[str, str, bytes]]) -> dict[str, Any]:
    return {
        "message": {
            "body": body, "full_text": body, "subject": subject, "created_at": WHEN,
            "author_name": "", "author_email": "",
            "attachments": [
                {"filename": f, "content_type": t, "size": len(d)} for f, t, d in files
            ],
            "automatic": False,
        }
    }  # fmt: skip


def _card(name: str, email: str) -> dict[str, Any]:
    return {
        "name": name, "email": email, "found": True,
        "fields": [{"name": "Отдел", "value": "Бухгалтерия"}, {"name": "Phone", "value": "+7 1"}],
        "secret": ["pin"], "equipment": ["HP LaserJet 400 <SN 77>"],
        "open_tickets": [{"tag": "HD-3", "subject": "VPN & mail", "status": "open"}],
    }  # fmt: skip


RU_BODY = (
    "Здравствуйте!\n\nПринтер на третьем этаже не печатает: «Ошибка 0x41».\n"
    "From the log: paper jam\n\n-- \nИван Петров\nБухгалтерия"
)
CJK_BODY = "打印机坏了。请帮忙。\r\nプリンターが壊れました。\r\n\r\n프린터가 고장났습니다.\n"
HTML_BODY = 'Line 1 & <script>alert("x")</script>\n<b>bold</b> ' + "word " * 40 + "\n\tend"
ASCII_BODY = "Hello,\n\nthe VPN drops every 5 minutes.\nFrom here on it is worse.\n\nBob"

# (file name, event, locale, requester (name, email), subject, body, attachments, Cc)
CASES = [
    ("confirmation-ru", "confirmation", "ru", ("Иван Петров", "ivan@example.com"),
     "Не работает принтер на третьем этаже, очень длинная тема письма", RU_BODY, [], []),
    ("agent-new-ticket-ru", "agent_new_ticket", "ru", ("Иван Петров", "ivan@example.com"),
     "Не работает принтер", RU_BODY, [("фото принтера.png", "image/png", PNG)], []),
    ("confirmation-cjk", "confirmation", "en", ("王小明", "wang@example.cn"),
     "打印机坏了 プリンター", CJK_BODY, [], []),
    ("agent-new-ticket-cjk", "agent_new_ticket", "en", ("王小明", "wang@example.cn"),
     "打印机坏了", CJK_BODY, [("報告.pdf", "application/pdf", b"%PDF-1.4\n" * 50)], []),
    ("agent-new-ticket-html", "agent_new_ticket", "en", ("Smith, John", "john@example.com"),
     "Printer <b>broken</b> & more", HTML_BODY, [], []),
    ("answer-attachments", "answer", "en", ("", "bob@example.org"),
     "Re: VPN", ASCII_BODY,
     [("log.txt", "text/plain", b"From x\nline\n" * 30), ("a.bin", "", bytes(range(256)))],
     [("Анна", "anna@example.org"), ("", "carl@example.org")]),
    ("confirmation-ascii", "confirmation", "en", ("Bob", "bob@example.org"),
     "VPN", ASCII_BODY, [], []),
    ("answer-ascii", "answer", "en", ("Bob", "bob@example.org"),
     "VPN", ASCII_BODY + "\r\nFrom me\rto you", [("n.txt", "text/plain", b"From a\n")], []),
]  # fmt: skip


def outgoing(case: tuple[Any, ...], renderer: Renderer) -> bytes:
    """One case's mail as the runner queues it (gateway.outgoing.copies.queue_copy)."""
    key, event, locale, (name, email), subject, body, files, cc = case
    # An ASCII mail (its parts 7-bit, "From " lines escaped) needs an ASCII signature.
    desk = "IT Support" if key.endswith("ascii") else "Служба ИТ"
    context: dict[str, Any] = {
        "helpdesk": {"name": desk, "address": "support@example.com"},
        "ticket": _ticket(name, email, subject),
        "recipient": {"name": name, "email": email, "is_agent": event.startswith("agent")},
        **_message(subject, body, files),
        "agent": {"name": "Alice", "email": "alice@example.com"},
    }
    if event.startswith("agent"):
        context.update(
            card=_card(name, email),
            suggestions={"category": "Printers", "category_set": False, "faq": [], "similar": []},
            automatic_reason="",
            spam_suspect=0,
            proposed_cc=["x@example.com"],
            proposed_more=0,
            unauthenticated="",
        )
    rendered = renderer.render(event, locale, **context)
    return compose.to_bytes(
        compose.build(
            from_name=desk,
            from_addr="support@example.com",
            to=[(name, email)],
            cc=cc,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id="<hd.12.20261122T101500.0123456789abcdef@example.com>",
            in_reply_to="<client-1@mail.example.net>",
            references=["<client-1@mail.example.net>"],
            reply_to="support+r12.abc@example.com",
            auto_submitted="auto-replied" if event == "confirmation" else None,
            headers={compose.LOOP_HEADER: "support@example.com"},
            attachments=files,
            date=WHEN,
        )
    )


def _count_from_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """Boundaries from a counter instead of random bits."""
    counter = itertools.count()
    monkeypatch.setattr(secrets, "token_hex", lambda n: f"{next(counter):0{2 * n}x}")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_outgoing_bytes_are_those_before(
    case: tuple[Any, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = Renderer(default_templates_dir(), "ru", tz=dt.UTC)
    _count_from_zero(monkeypatch)
    assert outgoing(case, renderer) == (GOLDEN / f"{case[0]}.eml").read_bytes()
    # The next mail of the process (compiled templates, cached addresses) is the same.
    _count_from_zero(monkeypatch)
    assert outgoing(case, renderer) == (GOLDEN / f"{case[0]}.eml").read_bytes()
