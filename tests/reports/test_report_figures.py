"""The report's figures against values computed by hand on a small fixture desk; the
CLI's JSON, CSV and table; charts as real PNG with Cyrillic the font can draw; --html."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gateway.cli.main import main
from gateway.reports.build import build
from gateway.reports.figures import Period
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Event, Message, Rating, Ticket, User
from tests.harness import write_config

UTC = dt.UTC


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


PERIOD = Period(at(11, 1, 0), at(12, 1, 0))


def _ticket(
    session: Any, requester: User, assignee: User, *, created: dt.datetime, **kw: Any
) -> Ticket:
    ticket = Ticket(
        subject=kw.pop("subject", "Не печатает принтер"),
        requester_id=requester.id,
        assignee_id=assignee.id,
        status=kw.pop("status", "closed" if kw.get("resolved_at") else "in_progress"),
        closed=kw.pop("closed", kw.get("resolved_at") is not None),
        criticality="high",
        category=kw.pop("category", "printers"),
        source=kw.pop("source", "smtp"),
        created_at=created,
        updated_at=created,
        sla_level="std",
        **kw,
    )
    session.add(ticket)
    session.flush()
    return ticket


def _messages(session: Any, ticket: Ticket, author: User, public: int, hidden: int = 0) -> None:
    # Counted on the ticket as the pipeline's store stage counts them.
    ticket.public_messages += public
    for i in range(public + hidden):
        session.add(
            Message(
                ticket_id=ticket.id,
                author_id=author.id,
                kind="request",
                hidden=i >= public,
                created_at=ticket.created_at + dt.timedelta(minutes=i),
            )
        )


def _answer(session: Any, ticket: Ticket, agent: User, when: dt.datetime) -> None:
    session.add(Message(ticket_id=ticket.id, author_id=agent.id, kind="answer", created_at=when))
    ticket.public_messages += 1


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Path, Database]]:
    config = write_config(tmp_path)
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}"
    upgrade(url)
    db = Database(url)
    fill(db)
    yield config, db
    db.dispose()


def fill(db: Database) -> None:
    """The fixture desk whose figures the tests below computed by hand."""
    with db.write() as s:
        bob = User(email="bob@example.com", name="Bob", role="agent")
        alice = User(email="alice@example.com", name="Alice", role="admin")
        ivan = User(email="ivan@пример.рф", name="Иван", role="client")
        s.add_all([bob, alice, ivan])
        s.flush()
        t1 = _ticket(s, ivan, bob, created=at(11, 2), first_response_s=600,
                     resolved_at=at(11, 3), resolution_s=3600, rating="Хорошо")  # fmt: skip
        _messages(s, t1, ivan, 3, hidden=1)
        _answer(s, t1, bob, at(11, 2, 13))
        s.add(Rating(ticket_id=t1.id, user_id=ivan.id, grade=0, label="Хорошо", at=at(11, 3)))
        t2 = _ticket(s, ivan, bob, created=at(11, 5), first_response_s=1200, breached=True,
                     resolved_at=at(11, 10), resolution_s=7200, extra=True,
                     rating="Плохо")  # fmt: skip
        _messages(s, t2, ivan, 1)
        _answer(s, t2, bob, at(11, 5, 13))
        s.add(Rating(ticket_id=t2.id, user_id=ivan.id, grade=2, label="Плохо", at=at(11, 10)))
        _ticket(s, ivan, alice, created=at(11, 10), first_response_s=300, category="network")
        t4 = _ticket(s, ivan, alice, created=at(10, 20), first_response_s=1800,
                     resolved_at=at(11, 15), resolution_s=10800, category="network")  # fmt: skip
        _messages(s, t4, ivan, 4)
        s.add(Event(ticket_id=t4.id, kind="reopened", at=at(11, 12), new="in_progress"))
        # Resolved after the period: open at its end.
        _ticket(s, ivan, bob, created=at(11, 20), first_response_s=900,
                resolved_at=at(12, 5), resolution_s=5000)  # fmt: skip
        _ticket(s, ivan, bob, created=at(11, 25), status="spam", closed=True,
                resolved_at=at(11, 25), resolution_s=1, first_response_s=1)  # fmt: skip
        _ticket(s, ivan, bob, created=at(9, 1), resolved_at=at(9, 5), resolution_s=99,
                first_response_s=99)  # fmt: skip


def test_totals_match_hand_computed_values(desk: tuple[Path, Database]) -> None:
    config, db = desk
    cfg = config_mod.load(config)
    with db.read() as session:
        report = build(session, cfg, PERIOD, None)
    t = report["totals"]
    assert (t["opened"], t["closed"], t["open"]) == (4, 3, 2)
    # First responses of the tickets opened in the period: 300, 600, 900, 1200.
    assert t["first_response"] == {"median_s": 750.0, "p90_s": 1200.0, "mean_s": 750.0}
    # Resolutions in the period: 3600, 7200, 10800.
    assert t["resolution"] == {"median_s": 7200.0, "p90_s": 10800.0, "mean_s": 7200.0}
    assert t["sla"] == {"met": 2, "breached": 1, "rate": 0.6667}
    # Public messages of the resolved: t1 3 + 1 answer (the hidden one not), t2 1 + 1, t4 4.
    assert t["messages_per_resolution"] == 3.33
    assert t["ratings"] == {"Хорошо": 1, "Плохо": 1}
    assert (t["reopened"], t["extra"]) == (1, 1)
    assert [x["tag"] for x in t["extra_tickets"]] == ["HD-2"]
    assert report["groups"] == []


def test_groups_by_agent(desk: tuple[Path, Database]) -> None:
    config, db = desk
    cfg = config_mod.load(config)
    with db.read() as session:
        report = build(session, cfg, PERIOD, "agent")
    groups = {g["key"]: g for g in report["groups"]}
    bob, alice = groups["bob@example.com"], groups["alice@example.com"]
    assert (bob["opened"], bob["closed"], bob["open"]) == (3, 2, 1)
    assert bob["first_response"]["median_s"] == 900.0 and bob["first_response"]["p90_s"] == 1200.0
    assert bob["resolution"]["median_s"] == 5400.0 and bob["resolution"]["p90_s"] == 7200.0
    assert bob["sla"] == {"met": 1, "breached": 1, "rate": 0.5}
    assert bob["messages_per_resolution"] == 3.0  # t1: 3 + 1 answer, t2: 1 + 1 answer
    assert (bob["answered"], bob["breaches"], bob["mean_rating"]) == (2, 1, 2.0)
    assert (alice["opened"], alice["closed"], alice["open"], alice["reopened"]) == (1, 1, 1, 1)
    assert alice["resolution"]["median_s"] == 10800.0
    assert alice["messages_per_resolution"] == 4.0
    # The totals are the same grouped or not.
    with db.read() as session:
        assert build(session, cfg, PERIOD, None)["totals"] == report["totals"]


def test_groups_by_rating_follow_each_tickets_latest_grade(desk: tuple[Path, Database]) -> None:
    config, db = desk
    cfg = config_mod.load(config)
    with db.read() as session:
        report = build(session, cfg, PERIOD, "rating")
    groups = {g["key"]: g for g in report["groups"]}
    assert set(groups) == {"Хорошо", "Плохо", ""}
    good, bad, unrated = groups["Хорошо"], groups["Плохо"], groups[""]
    assert (good["opened"], good["closed"], good["ratings"]) == (1, 1, {"Хорошо": 1})
    assert (bad["opened"], bad["closed"], bad["ratings"]) == (1, 1, {"Плохо": 1})
    assert bad["resolution"]["median_s"] == 7200.0 and bad["sla"]["breached"] == 1
    # t3 and t5 opened, t4 closed, none of them rated.
    assert (unrated["opened"], unrated["closed"], unrated["open"]) == (2, 1, 2)
    with db.read() as session:
        assert build(session, cfg, PERIOD, None)["totals"] == report["totals"]


def test_groups_by_day_use_each_measures_own_time(desk: tuple[Path, Database]) -> None:
    config, db = desk
    with db.read() as session:
        report = build(session, config_mod.load(config), PERIOD, "day")
    groups = {g["key"]: g for g in report["groups"]}
    assert groups["2026-11-02"]["opened"] == 1 and groups["2026-11-02"]["closed"] == 0
    assert groups["2026-11-03"]["closed"] == 1


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_cli_json_csv_charts_and_html(desk: tuple[Path, Database], tmp_path: Path) -> None:
    config, _ = desk
    runner = CliRunner()
    base = ["--config", str(config), "report", "--since", "2026-11-01", "--until", "2026-12-01"]
    result = runner.invoke(main, [*base, "--by", "category", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"period", "totals", "groups"}
    assert data["period"] == {"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
    group = next(g for g in data["groups"] if g["key"] == "printers")
    assert set(group) >= {
        "key", "opened", "closed", "open", "first_response", "resolution", "sla",
        "messages_per_resolution", "ratings",
    }  # fmt: skip
    assert set(group["first_response"]) >= {"median_s", "p90_s"}
    result = runner.invoke(main, [*base, "--by", "agent", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[-1]["key"] == "(total)" and rows[-1]["opened"] == "4"
    assert {r["key"]: r["answered"] for r in rows[:-1]}["bob@example.com"] == "2"
    charts, html = tmp_path / "charts", tmp_path / "report.html"
    result = runner.invoke(main, [*base, "--charts", str(charts), "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert "extra work: HD-2" in result.output
    pngs = sorted(charts.glob("*.png"))
    assert len(pngs) == 7
    for png in pngs:
        width, height = _png_size(png.read_bytes())
        assert (width, height) == (900, 450)
        assert png.stat().st_size > 5000
    page = html.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 7
    assert "Отчёт" in page or "Группа" in page
    assert "HD-2" in page  # the extra work is listed (in red)


def test_chart_font_has_the_cyrillic_glyphs() -> None:
    from gateway.reports import charts

    assert "DejaVu" in charts.font_path()
    labels = " ".join(str(v) for t in charts.LABELS.values() for v in t.values())
    assert charts.missing_glyphs(labels + "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАЯЁ") == set()
    # The check does see a missing glyph (a CJK ideograph DejaVu Sans lacks).
    assert charts.missing_glyphs("漢") == {"漢"}


def test_bad_dates_are_refused(desk: tuple[Path, Database]) -> None:
    config, _ = desk
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "report", "--since", "вчера"])
    assert result.exit_code == 2 and "not a date" in result.output
    result = runner.invoke(
        main, ["--config", str(config), "report", "--since", "2026-12-02", "--until", "2026-12-01"]
    )
    assert result.exit_code == 2 and "before --until" in result.output
