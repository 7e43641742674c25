"""Templates: both locales, fallback, escaping, and loud errors."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import jinja2
import pytest

from gateway.outgoing.render import Renderer, default_templates_dir

EVENTS = ("confirmation", "agent_new_ticket", "agent_requester_reply", "answer")


def context() -> dict[str, Any]:
    return {
        "helpdesk": {"name": "IT Support", "address": "support@example.com"},
        "ticket": {
            "id": 12, "tag": "HD-12", "subject": "Printer <b>broken</b>", "status": "new",
            "criticality": "high", "category": "Printers",
            "created_at": dt.datetime(2026, 11, 22, 10, 15, tzinfo=dt.UTC),
            "requester_name": "Иван Петров", "requester_email": "ivan@example.com",
            "assignee_name": "",
        },
        "message": {
            "subject": "Printer <b>broken</b>", "body": "Line 1 & <script>\nLine 2",
            "author_name": "Иван Петров", "author_email": "ivan@example.com",
            "attachments": [{"filename": "photo.jpg", "content_type": "image/jpeg",
                             "size": 1_300_000}],
        },
        "agent": {"name": "Alice", "email": "alice@example.com"},
    }  # fmt: skip


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("event", EVENTS)
def test_every_event_renders(event: str, locale: str) -> None:
    out = Renderer(default_templates_dir(), "ru").render(event, locale, **context())
    assert out.subject == "[HD-12] Printer <b>broken</b>"
    assert "Line 1 & <script>" in out.text
    assert "Line 1 &amp; &lt;script&gt;" in out.html and "<script>" not in out.html
    assert "photo.jpg" in out.text and "photo.jpg" in out.html
    assert "\n-- \n" in out.text
    word = "Вложения" if locale == "ru" else "Attachments"
    assert word in out.text


def test_agent_mail_has_the_facts() -> None:
    ru = Renderer(default_templates_dir(), "ru").render("agent_new_ticket", "ru", **context())
    assert "высокая" in ru.text and "22 ноября 2026, 10:15" in ru.text and "1,2 МБ" in ru.text
    en = Renderer(default_templates_dir(), "ru").render("agent_new_ticket", "en", **context())
    assert "22 November 2026" in en.text and "1.2 MB" in en.text
    assert "Иван Петров &lt;ivan@example.com&gt;" in en.html


def test_locale_fallback(tmp_path: Path) -> None:
    for loc, word in (("ru", "привет"), ("en", "hello")):
        (tmp_path / loc).mkdir()
        for part in ("subject", "txt", "html"):
            (tmp_path / loc / f"hi.{part}.j2").write_text(word, encoding="utf-8")
    (tmp_path / "en" / "only_en.subject.j2").write_text("en subject")
    (tmp_path / "en" / "only_en.txt.j2").write_text("en text")
    (tmp_path / "en" / "only_en.html.j2").write_text("<p>en</p>")
    assert Renderer(tmp_path, "ru").render("hi", "de_DE", **{}).text == "привет\n"
    assert Renderer(tmp_path, "ru").render("hi", "EN-us").subject == "hello"
    assert Renderer(tmp_path, "ru").render("hi", None).subject == "привет"
    assert Renderer(tmp_path, "ru").render("only_en", "ru").subject == "en subject"
    with pytest.raises(jinja2.TemplateNotFound):
        Renderer(tmp_path, "ru").render("missing", "ru")


def test_undefined_variables_are_loud() -> None:
    ctx = context()
    del ctx["message"]
    with pytest.raises(jinja2.UndefinedError):
        Renderer(default_templates_dir(), "ru").render("confirmation", "ru", **ctx)


def test_edited_templates_are_used_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import gateway.outgoing.render as render_mod

    folder = tmp_path / "en"
    folder.mkdir()
    for part, body in (("subject", "v1"), ("txt", "one"), ("html", "<p>one</p>")):
        (folder / f"hi.{part}.j2").write_text(body)
    renderer = Renderer(tmp_path, "en")
    assert renderer.render("hi", "en").subject == "v1"
    (folder / "hi.subject.j2").write_text("v2")
    # A clock that moved a second on, whatever the file system's time resolution.
    stat = (folder / "hi.subject.j2").stat()
    os.utime(folder / "hi.subject.j2", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert renderer.render("hi", "en").subject == "v1"  # cached until the next look
    monkeypatch.setattr(render_mod, "RECHECK_SECONDS", 0.0)
    assert renderer.render("hi", "en").subject == "v2"


def test_attributes_of_dicts_as_jinja_finds_them(tmp_path: Path) -> None:
    """`x.name` on a context dict: its key, but dict's own attributes (`keys`) still win,
    and a missing key is an undefined variable, loud."""
    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "hi.subject.j2").write_text("{{ ticket.tag }} {{ ticket['keys'] }}")
    (folder / "hi.txt.j2").write_text("{{ 'method' if ticket.keys is callable else 'key' }}")
    (folder / "hi.html.j2").write_text("{{ ticket.missing }}")
    (folder / "ok.subject.j2").write_text("{{ ticket.get('tag') }} {{ ticket.items()|list }}")
    (folder / "ok.txt.j2").write_text("{{ ticket.missing|default('none') }}")
    (folder / "ok.html.j2").write_text("{{ ticket.missing is defined }}")
    renderer = Renderer(tmp_path, "en")
    ticket = {"tag": "HD-1", "keys": "k"}
    with pytest.raises(jinja2.UndefinedError, match="missing"):
        renderer.render("hi", "en", ticket=ticket)
    (folder / "hi.html.j2").write_text("x")
    renderer.reload()
    out = renderer.render("hi", "en", ticket=ticket)
    assert (out.subject, out.text) == ("HD-1 k", "method\n")
    out = renderer.render("ok", "en", ticket=ticket)
    assert out.subject == "HD-1 [('tag', 'HD-1'), ('keys', 'k')]"
    assert (out.text, out.html) == ("none\n", "False\n")


def test_an_included_template_overridden_later_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin who adds an override of an included file (`_facts`) while the daemon runs
    sees it in the next notices, and in the templates that include it, not only its own."""
    import gateway.outgoing.render as render_mod

    renderer = Renderer(default_templates_dir(), "en", override_dir=tmp_path)
    before = renderer.render("agent_new_ticket", "en", **context())
    assert "Criticality:" in before.text and "FACTS" not in before.text
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "_facts.txt.j2").write_text("FACTS {{ ticket.tag }}\n")
    monkeypatch.setattr(render_mod, "RECHECK_SECONDS", 0.0)
    after = renderer.render("agent_new_ticket", "en", **context())
    assert "FACTS HD-12" in after.text and "Criticality:" not in after.text
    assert after.html == before.html  # the HTML facts are still the shipped ones
    edited = tmp_path / "en" / "_facts.txt.j2"
    edited.write_text("EDITED {{ ticket.tag }}\n")
    stat = edited.stat()
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert "EDITED HD-12" in renderer.render("agent_new_ticket", "en", **context()).text
