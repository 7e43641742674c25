"""The agents' context over real SMTP: client cards (secrets never in mail), the FAQ,
similar solved tickets, tickets for callers (#for), no double answers, learnt categories."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message

import pytest
from sqlalchemy import select

from gateway.store.model import Outbox, Ticket
from tests.harness import Daemon, mail, text_of

EXTRA = """
[[agents]]
email = "carol@example.com"
name = "Carol"
role = "admin"

[[categories]]
name = "printers"

[[categories]]
name = "network"

[suggestions]
categories = true
min_examples = 3
"""

DIRECTORY_CSV = "\n".join(
    [
        "email,name,department,phone,location,organisation,equipment,licences,notes,"
        "secret:vpn_password,room",
        "olga@corp.example.ru,Ольга Смирнова,Бухгалтерия,+7 495 123-45-67,Москва,Корп,"
        "ПК-17 Dell OptiPlex;Принтер HP LaserJet 1020,1С:Бухгалтерия,Любит звонки,Tr0ub4dor&3,215",
        "john@branch.test,John Smith,Sales,+1 555 0100,Boston,,ThinkPad T14,,,hunter2,",
        "not-an-address,Broken Row,,,,,,,,,",
        "",
    ]
)

FAQ_PRINTER = """# Принтер не печатает

tags: принтер, печать, printer

Перезапустите диспетчер печати: services.msc → «Диспетчер печати» → Перезапустить.
Если не помогло — переустановите драйвер принтера.
"""

FAQ_VPN = """# VPN does not connect

tags: vpn, network

Check that the VPN client is up to date and that your password has not expired.
"""


def subject(msg: Message) -> str:
    return str(make_header(decode_header(str(msg["Subject"]))))


def reply(msg: Message, sender: str, body: str) -> bytes:
    """A reply as a mail client makes it: to Reply-To, threaded, quoting the original."""
    quoted = "\n".join("> " + line for line in text_of(msg).splitlines())
    return mail(
        "Re: " + subject(msg),
        f"{body}\n\nOn Mon, 23 Nov 2026 at 10:00, IT Support wrote:\n{quoted}\n",
        sender=sender,
        to=str(msg["Reply-To"]),
        In_Reply_To=str(msg["Message-ID"]),
        References=str(msg["Message-ID"]),
    ).as_bytes()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("agents"), EXTRA)
    (d.dir / "faq").mkdir()
    (d.dir / "faq" / "printer.md").write_text(FAQ_PRINTER, encoding="utf-8")
    (d.dir / "faq" / "vpn.en.md").write_text(FAQ_VPN, encoding="utf-8")
    (d.dir / "people.csv").write_text(DIRECTORY_CSV, encoding="utf-8")
    d.start()
    yield d
    d.close()


def new_ticket(d: Daemon, title: str, body: str, sender: str) -> tuple[int, dict[str, Message]]:
    """Send a request; its id and the notice each admin got about it."""
    before = {a: len(d.outgoing_to(a)) for a in ("alice@example.com", "carol@example.com")}
    assert d.send(mail(title, body, sender=sender))[0] == 250
    d.settle()
    notices = {a: d.outgoing_to(a)[n] for a, n in before.items()}
    tag = re.search(r"\[HD-(\d+)\]", subject(notices["alice@example.com"]))
    assert tag is not None
    return int(tag.group(1)), notices


def agent_says(d: Daemon, to: Message, body: str, agent: str = "Alice <alice@example.com>") -> None:
    assert d.send(reply(to, agent, body))[0] == 250
    d.settle()


def last_to(d: Daemon, address: str) -> Message:
    return d.outgoing_to(address)[-1]


def test_directory_import_reports_and_is_idempotent(daemon: Daemon) -> None:
    first = daemon.cli("directory", "import", str(daemon.dir / "people.csv"), "--format", "json")
    assert first.exit_code == 2, first.output  # one malformed row, the rest imported
    report = json.loads(first.stdout)
    assert sorted(report["added"]) == ["john@branch.test", "olga@corp.example.ru"]
    assert report["problems"] == [
        {"where": "line 4", "reason": "not an email address: 'not-an-address'"}
    ]
    again = daemon.cli("directory", "import", str(daemon.dir / "people.csv"))
    assert "0 added, 0 changed, 2 unchanged, 1 malformed" in again.stdout
    assert "line 4: not an email address" in again.stderr
    # An organisation by mail domain, from TOML; a changed phone is reported by name.
    (daemon.dir / "orgs.toml").write_text(
        '[[organisations]]\nname = "Branch Office"\ndomains = ["branch.test"]\n'
        'phone = "+1 555 0199"\n\n[[people]]\nemail = "john@branch.test"\n'
        'name = "John Smith"\ndepartment = "Sales"\nphone = "+1 555 0101"\n'
        'location = "Boston"\nequipment = ["ThinkPad T14"]\nvpn_password = "hunter2"\n',
        encoding="utf-8",
    )
    toml = daemon.cli("directory", "import", str(daemon.dir / "orgs.toml"))
    assert toml.exit_code == 0, toml.output
    assert "1 added, 1 changed" in toml.stdout and "phone" in toml.stdout
    shown = daemon.cli("directory", "show", "olga@corp.example.ru")
    assert "vpn_password (secret): Tr0ub4dor&3" in shown.stdout  # the admin's terminal only


def test_bad_directory_files_are_refused_clearly(daemon: Daemon) -> None:
    bad = daemon.dir / "bad.json"
    bad.write_text('{"people": [{"email": "a@b.example"},', encoding="utf-8")
    result = daemon.cli("directory", "import", str(bad))
    assert result.exit_code == 1 and "line 1" in result.stderr
    nocol = daemon.dir / "nocol.csv"
    nocol.write_text("name,phone\nX,1\n", encoding="utf-8")
    result = daemon.cli("directory", "import", str(nocol))
    assert result.exit_code == 1 and "`email`" in result.stderr
    wrong = daemon.dir / "people.xlsx"
    wrong.write_bytes(b"PK\x03\x04")
    assert daemon.cli("directory", "import", str(wrong)).exit_code == 1


def test_card_in_the_notice_and_by_command_secrets_never_in_mail(daemon: Daemon) -> None:
    # The directory as the import test leaves it (importing again changes nothing), so
    # that this test also holds when it runs alone.
    daemon.cli("directory", "import", str(daemon.dir / "people.csv"))
    first, _ = new_ticket(daemon, "Не работает 1С", "Ошибка при запуске.", "olga@corp.example.ru")
    tid, notices = new_ticket(
        daemon, "Принтер не печатает", "Принтер HP не печатает с утра.", "olga@corp.example.ru"
    )
    text = text_of(notices["alice@example.com"])
    assert "Ольга Смирнова" in text and "+7 495 123-45-67" in text
    assert "Бухгалтерия" in text and "Принтер HP LaserJet 1020" in text
    assert f"HD-{first} Не работает 1С" in text  # the other open ticket
    assert "vpn_password: см. `helpdesk directory show olga@corp.example.ru`" in text
    agent_says(daemon, notices["alice@example.com"], "#card")
    receipt = text_of(last_to(daemon, "alice@example.com"))
    assert "room: 215" in receipt and "licence: 1С:Бухгалтерия" in receipt
    agent_says(daemon, notices["alice@example.com"], "#card set phone=+7 495 765-43-21 pin=4321")
    receipt = text_of(last_to(daemon, "alice@example.com"))
    assert "set phone, pin" in receipt and "4321" not in receipt
    for m in daemon.outgoing():
        raw = m.as_string()
        assert "Tr0ub4dor" not in raw and "hunter2" not in raw and "4321" not in text_of(m)
    with daemon.db.read() as s:
        assert s.get(Ticket, tid) is not None


def test_faq_search_insert_and_suggestion(daemon: Daemon) -> None:
    _, notices = new_ticket(
        daemon, "Не печатает принтер", "Принтеры на третьем этаже не печатают.", "petr@firm.com"
    )
    notice = text_of(notices["alice@example.com"])
    assert "Статьи FAQ" in notice and "printer — Принтер не печатает" in notice
    agent_says(daemon, notices["alice@example.com"], "#faq печать принтера")
    receipt = text_of(last_to(daemon, "alice@example.com"))
    assert "printer — Принтер не печатает" in receipt
    assert not any("Перезапустите" in text_of(m) for m in daemon.outgoing_to("petr@firm.com"))
    agent_says(daemon, notices["alice@example.com"], "#faq printer\n\nПетр, попробуйте так:")
    answer = text_of(last_to(daemon, "petr@firm.com"))
    assert "попробуйте так" in answer and "Перезапустите диспетчер печати" in answer
    agent_says(daemon, notices["alice@example.com"], "#faq квантовый телепорт")
    assert "no FAQ article matches" in text_of(last_to(daemon, "alice@example.com"))


def test_faq_is_reloaded_when_a_file_changes(daemon: Daemon) -> None:
    (daemon.dir / "faq" / "mail.md").write_text(
        "# Почта не отправляется\n\ntags: почта, outlook\n\nПроверьте квоту ящика.\n",
        encoding="utf-8",
    )
    _, notices = new_ticket(
        daemon, "Outlook: почта не отправляется", "Письма висят в исходящих.", "anna@firm.com"
    )
    assert "mail — Почта не отправляется" in text_of(notices["alice@example.com"])


def test_similar_solved_ticket_is_suggested(daemon: Daemon) -> None:
    tid, notices = new_ticket(
        daemon, "Не подключается VPN из дома", "VPN клиент пишет ошибку 809.", "ivan@firm.com"
    )
    agent_says(
        daemon,
        notices["alice@example.com"],
        "#close Откройте порт 1723 на домашнем роутере\nи включите GRE passthrough.",
    )
    _, later = new_ticket(
        daemon, "VPN не подключается", "Дома VPN выдает ошибку 809, помогите.", "maria@firm.com"
    )
    notice = text_of(later["alice@example.com"])
    assert "Похожие решённые заявки" in notice
    assert f"HD-{tid} Не подключается VPN из дома" in notice
    assert "> Откройте порт 1723 на домашнем роутере" in notice


def test_ticket_for_a_caller(daemon: Daemon) -> None:
    body = (
        "#for Lev.Tolstoy@yasnaya.example.ru via walk-in\n"
        '#name "Лев Толстой"\n\nНе включается монитор.'
    )
    assert daemon.send(mail("Монитор", body, sender="Alice <alice@example.com>"))[0] == 250
    daemon.settle()
    with daemon.db.read() as s:
        ticket = s.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert ticket is not None
        assert ticket.requester.email == "lev.tolstoy@yasnaya.example.ru"
        assert ticket.requester.name == "Лев Толстой"
        assert ticket.source == "walk-in" and ticket.assignee is not None
        assert ticket.assignee.email == "alice@example.com"
        assert ticket.first_response_at is not None
        tag = f"HD-{ticket.id}"
    [confirmation] = daemon.outgoing_to("lev.tolstoy@yasnaya.example.ru")
    assert tag in subject(confirmation) and "Не включается монитор" in text_of(confirmation)
    receipts = [
        m for m in daemon.outgoing_to("alice@example.com") if "a ticket opens for" in text_of(m)
    ]
    assert len(receipts) == 1
    # A phone call by default; a bad address is refused with a receipt and opens nothing.
    count = len(daemon.tickets())
    bad = "#от не-адрес\n\nЗвонил пользователь."
    assert daemon.send(mail("Звонок", bad, sender="Alice <alice@example.com>"))[0] == 250
    daemon.settle()
    assert len(daemon.tickets()) == count
    assert "not an email address" in text_of(last_to(daemon, "alice@example.com"))
    for bad, why in (
        ("#for a@b.example via fax\n\nЗвонок.", "unknown way of calling 'fax'"),
        ("#for a@b.example\n", "says nothing about the request"),
        ("#for a@b.example\n#close\n\nТекст.", "does not go with #for"),
    ):
        assert daemon.send(mail("Звонок", bad, sender="Alice <alice@example.com>"))[0] == 250
        daemon.settle()
        assert why in text_of(last_to(daemon, "alice@example.com"))
    assert len(daemon.tickets()) == count


def test_no_double_answers(daemon: Daemon) -> None:
    tid, notices = new_ticket(daemon, "Нет интернета", "Интернет пропал.", "sergey@firm.com")
    agent_says(daemon, notices["alice@example.com"], "Перезагрузите роутер, пожалуйста.")
    agent_says(
        daemon, notices["carol@example.com"], "Проверьте кабель.", agent="Carol <carol@example.com>"
    )
    texts = [text_of(m) for m in daemon.outgoing_to("sergey@firm.com")]
    assert sum("Перезагрузите роутер" in t for t in texts) == 1
    assert sum("Проверьте кабель" in t for t in texts) == 0
    held = last_to(daemon, "carol@example.com")
    assert "Перезагрузите роутер" in text_of(held) and "#send" in text_of(held)
    with daemon.db.read() as s:
        [row] = s.scalars(select(Outbox).where(Outbox.state == "held", Outbox.ticket_id == tid))
        held_id = row.id
    agent_says(daemon, held, "#send", agent="Carol <carol@example.com>")
    texts = [text_of(m) for m in daemon.outgoing_to("sergey@firm.com")]
    assert sum("Проверьте кабель" in t for t in texts) == 1
    assert sum("Перезагрузите роутер" in t for t in texts) == 1
    with daemon.db.read() as s:
        assert s.get(Outbox, held_id).state == "sent"  # type: ignore[union-attr]
    agent_says(daemon, held, "#send", agent="Carol <carol@example.com>")
    assert "no held answer" in text_of(last_to(daemon, "carol@example.com"))
    # Alice answers from the old notice: Carol has answered since, so Alice's is held;
    # the admin releases it. A note is never held.
    agent_says(daemon, notices["alice@example.com"], "Роутер заменён.")
    with daemon.db.read() as s:
        [row] = s.scalars(select(Outbox).where(Outbox.state == "held", Outbox.ticket_id == tid))
        held_id = row.id
    assert "Проверьте кабель" in text_of(last_to(daemon, "alice@example.com"))
    assert daemon.cli("outbox", "release", str(held_id)).exit_code == 0
    again = daemon.cli("outbox", "release", str(held_id))
    assert again.exit_code == 1 and "not held" in again.stderr
    daemon.settle()
    agent_says(
        daemon,
        notices["carol@example.com"],
        "#note\nзвонила ему",
        agent="Carol <carol@example.com>",
    )
    texts = [text_of(m) for m in daemon.outgoing_to("sergey@firm.com")]
    assert sum("Роутер заменён" in t for t in texts) == 1
    assert not any("звонила ему" in t for t in texts)
    assert daemon.count(Outbox, Outbox.state == "held") == 0


def test_handling_notice_names_the_assignee(daemon: Daemon) -> None:
    _, notices = new_ticket(daemon, "Мышь не работает", "Сломалась мышь.", "oleg@firm.com")
    agent_says(daemon, notices["alice@example.com"], "#take")
    agent_says(
        daemon,
        notices["carol@example.com"],
        "#note\nмышь на складе есть",
        agent="Carol <carol@example.com>",
    )
    assert "Alice занимается этой заявкой" in text_of(last_to(daemon, "bob@example.com"))


def test_category_suggestion_after_a_few_corrections(daemon: Daemon) -> None:
    samples: list[tuple[str, str, str]] = [
        ("Принтер зажевал бумагу", "Принтер в 305 жует бумагу", "printers"),
        ("Картридж принтера закончился", "Нужен новый картридж для принтера", "printers"),
        ("Printer offline", "The printer on floor 2 shows offline", "printers"),
        ("Нет сети на этаже", "Сеть пропала, свитч мигает", "network"),
        ("Wi-Fi не работает", "Wi-Fi сеть не подключается", "network"),
        ("Network is down", "No network connection in room 12", "network"),
    ]
    for title, body, category in samples:
        _, notices = new_ticket(daemon, title, body, "kate@firm.com")
        agent_says(daemon, notices["alice@example.com"], f"#category {category}")
    _, notices = new_ticket(
        daemon, "Принтер не берет бумагу", "Принтер мнёт бумагу.", "kate@firm.com"
    )
    text = text_of(notices["alice@example.com"])
    assert "Предлагаемая категория: printers — ответьте #category printers" in text
