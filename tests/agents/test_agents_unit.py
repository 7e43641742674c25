"""The agents' context without a daemon: directory files and their bad rows, the import's
report, the card's secrets, the FAQ folder, the similarity index, the config checks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.cli.main import main
from gateway.directory import records
from gateway.directory.card import as_text, card, set_fields
from gateway.directory.importer import apply
from gateway.faq import articles, search
from gateway.settings.config import from_dict
from gateway.similar.index import Index
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import DirectoryEntry
from tests.harness import write_config


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    with db.write() as s:
        yield s
    db.dispose()


def test_csv_names_malformed_rows_by_their_line() -> None:
    text = (
        "Email;Name;Phone;Equipment;secret:wifi_key;Room\n"
        "ivan@corp.example.ru;Иван;+7 1;ПК-1;k1;12\n"
        '"bad address";X;;;;\n'
        'anna@firm.com;"Анна\nвторая строка";+7 2;;;\n'
        ";No Email;;;;\n"
        "extra@x.example;A;1;2;3;4;5;6\n"
        "\n"
        "müller@bücher.example;Jörg;;Drucker;;\n"
    )
    parsed = records.read_csv(text)
    assert [r.key for r in parsed.records] == [
        "ivan@corp.example.ru",
        "anna@firm.com",
        "müller@bücher.example",
    ]
    assert [(p.where, p.reason) for p in parsed.problems] == [
        ("line 3", "not an email address: 'bad address'"),
        ("line 6", "no email"),
        ("line 7", "8 fields, the header names 6"),
    ]
    ivan = parsed.records[0]
    assert ivan.equipment == ["ПК-1"] and ivan.fields["room"] == "12"
    assert ivan.secret == ["wifi_key"]


def test_files_by_suffix_charset_and_shape(tmp_path: Path) -> None:
    cp = tmp_path / "people.csv"
    cp.write_bytes("email,name,password\nolga@corp.example.ru,Ольга,x\n".encode("cp1251"))
    [olga] = records.read_file(cp).records
    assert olga.name == "Ольга" and olga.secret == ["password"]  # secret by its name
    js = tmp_path / "people.json"
    js.write_text('[{"email": "a@b.example", "licences": ["Office"]}, 5]', encoding="utf-8")
    parsed = records.read_file(js)
    assert parsed.records[0].licences == ["Office"]
    assert [(p.where, p.reason) for p in parsed.problems] == [("people[2]", "not a table")]
    toml = tmp_path / "d.toml"
    toml.write_text('[[teams]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(records.DirectoryFileError, match="unknown section"):
        records.read_file(toml)
    toml.write_text("[[people]\n", encoding="utf-8")
    with pytest.raises(records.DirectoryFileError, match=r"d\.toml"):
        records.read_file(toml)
    with pytest.raises(records.DirectoryFileError, match="cannot read"):
        records.read_file(tmp_path / "missing.csv")
    org = records.read_tree(
        {"organisations": [{"name": "Корп", "domains": ["@Corp.Example.RU"], "members": []}]}
    ).records[0]
    assert org.kind == "organisation" and org.key == "корп" and org.domains == ["corp.example.ru"]


def test_import_is_idempotent_and_reports_each_change(session: Session) -> None:
    people = records.read_csv(
        "email,name,phone,equipment\na@x.example,A,1,ПК;Монитор\nb@y.test,B,2,\n"
    ).records
    steps: list[int] = []
    first = apply(session, people, "test", steps.append)
    assert sorted(first.added) == ["a@x.example", "b@y.test"] and sum(steps) == 2
    assert apply(session, people, "test").unchanged == 2
    changed = records.read_csv(
        "email,name,phone,equipment\na@x.example,A,1,ПК\nb@y.test,B,3,\nb@y.test,B,4,\n"
    ).records
    report = apply(session, changed, "test")
    assert [(c.key, c.fields) for c in report.changed] == [
        ("a@x.example", ["equipment"]),
        ("b@y.test", ["phone"]),
    ]
    assert [p.reason for p in report.problems] == ["b@y.test is listed twice"]


def test_card_shows_no_secret_and_finds_the_organisation(session: Session) -> None:
    apply(
        session,
        records.read_tree(
            {
                "organisations": [
                    {"name": "Филиал", "domains": ["branch.test"], "vpn_password": "s3cr3t"},
                    {"name": "Partner", "members": ["guest@gmail.example"]},
                ],
                "people": [
                    {"email": "ivan@branch.test", "name": "Иван", "pin": "9999", "phone": "7"}
                ],
            }
        ).records,
        "test",
    )
    ivan = tickets.get_or_create_user(session, "ivan@branch.test")
    guest = tickets.get_or_create_user(session, "guest@gmail.example")
    session.flush()
    full = card(session, ivan, None, "HD", full=True)
    text = as_text(full)
    assert "phone: 7" in text and "Филиал" in text
    assert "9999" not in text and "s3cr3t" not in text
    assert "pin: see `helpdesk directory show ivan@branch.test`" in text
    assert "vpn_password: see `helpdesk directory show`" in text
    assert card(session, guest, None, "HD")["fields"] == [
        {"name": "organisation", "value": "Partner"}
    ]
    assert set_fields(session, "new@x.example", {"phone": "1", "password": "p"}, "a") == [
        "phone",
        "password",
    ]
    new = card(session, tickets.get_or_create_user(session, "new@x.example"), None, "HD", True)
    assert new["fields"] == [{"name": "phone", "value": "1"}] and new["secret"] == ["password"]


def test_a_card_from_plain_rows_is_the_cards_from_objects(session: Session) -> None:
    people = [{"email": "ivan@branch.test", "name": "Иван", "pin": "1", "phone": "7"}]
    orgs = [{"name": "Филиал", "domains": ["branch.test"], "phone": "+7 495"}]
    apply(session, records.read_tree({"organisations": orgs, "people": people}).records, "t")
    ivan = tickets.get_or_create_user(session, "ivan@branch.test")
    session.flush()
    plain = card(session, ivan, None, "HD", full=True)  # no entry in the session: rows
    assert session.scalars(select(DirectoryEntry)).all()  # now the session has them
    assert card(session, ivan, None, "HD", full=True) == plain
    # An entry changed and not flushed yet (the runner does not autoflush) shows changed.
    with session.no_autoflush:
        set_fields(session, "ivan@branch.test", {"phone": "8"}, "agent@x.example")
        changed = card(session, ivan, None, "HD", full=True)
    assert {"name": "phone", "value": "8"} in changed["fields"]
    assert plain["fields"][0] == {"name": "phone", "value": "7"} and plain["secret"] == ["pin"]


def test_command_lines_quoted_back_hide_secret_values() -> None:
    line = "#card set phone=+7 495 1 password=top secret pin=12 room=5"
    assert records.redact(line) == "#card set phone=+7 495 1 password=*** pin=*** room=5"


def test_faq_folder_is_read_again_when_it_changes(tmp_path: Path) -> None:
    (tmp_path / "printer.md").write_text(
        "# Принтер не печатает\ntags: печать\n\nПерезапустите службу.", encoding="utf-8"
    )
    (tmp_path / "printer.en.md").write_text("# Printer\n\nRestart the spooler.", encoding="utf-8")
    (tmp_path / "bad name.md").write_text("x", encoding="utf-8")
    (tmp_path / "broken.md").write_bytes(b"\xff\xfe\x00bad")
    lib = articles.current(tmp_path)
    assert lib.named("printer", "ru").body == "Перезапустите службу."  # type: ignore[union-attr]
    assert lib.named("PRINTER", "en").title == "Printer"  # type: ignore[union-attr]
    assert len(lib.problems) == 2 and articles.current(tmp_path) is lib
    [match] = search.best(lib, "не печатает принтер", 3, 0.1, "ru")
    assert match.article.locale == ""  # the reader's locale (ru) over the English twin
    vpn = tmp_path / "vpn.md"
    vpn.write_text("# VPN\n\nОбновите клиент.", encoding="utf-8")
    os.utime(vpn, ns=(1, 1))
    again = articles.current(tmp_path)
    assert again is not lib and again.named("vpn", "ru") is not None


def test_index_replaces_a_ticket_closed_again_and_excludes() -> None:
    index = Index("t")
    assert index.query("anything", 3) == []
    index.add([(1, "", "Принтер не печатает", "a1"), (2, "", "VPN не подключается", "a2")])
    index.add([(1, "", "Принтер зажевал бумагу", "a3")])
    assert len(index) == 2
    [hit] = index.query("принтеры жуют бумагу", 1)
    assert (hit.ticket_id, hit.answer) == (1, "a3")
    assert all(h.ticket_id != 1 for h in index.query("принтер", 3, exclude=1))
    assert index.query("   ", 3) == []


def test_suggestions_config_is_checked() -> None:
    from gateway.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        from_dict(
            {"suggestions": {"faq": -1, "auto_assign_confidence": 2.0}, "faq": {"folder": ""}}
        )
    text = " ".join(exc.value.problems)
    assert "[suggestions] faq" in text and "auto_assign_confidence" in text and "[faq]" in text


def test_directory_cli_with_progress_bar(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    upgrade(f"sqlite:///{tmp_path}/var/helpdesk.db")
    people = tmp_path / "p.csv"
    people.write_text("email,name\na@x.example,A\nb@x.example,B\n", encoding="utf-8")
    runner = CliRunner()
    args = ["--config", str(config), "directory"]
    result = runner.invoke(main, [*args, "import", str(people), "--progress"])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    result = runner.invoke(main, [*args, "import", str(people), "--dry-run"])
    assert "0 would be added" in result.output
    result = runner.invoke(main, [*args, "show", "nobody@x.example"])
    assert result.exit_code == 1 and "not in the directory" in result.output
    result = runner.invoke(main, [*args, "list", "--format", "csv"])
    assert "a@x.example" in result.output


def test_check_config_names_unreadable_faq_files(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "Bad Name.md").write_text("# x", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "check-config"])
    assert result.exit_code == 1
    assert "[faq] folder: Bad Name.md: name it NAME.md" in result.output
