"""Command lines and Authentication-Results parsing, without a server."""

from __future__ import annotations

from gateway.commands import split_commands
from gateway.commands.registry import SPECS, lookup
from gateway.parse import authres


def test_leading_command_lines_only() -> None:
    commands, rest = split_commands("#Assign bob@example.com\n\n#note\nText #close here\n#spam")
    assert [(c.name, c.arg) for c in commands] == [("assign", "bob@example.com"), ("note", "")]
    assert rest == "Text #close here\n#spam"


def test_no_commands_leaves_the_text_alone() -> None:
    assert split_commands("Hello\n#close") == ([], "Hello\n#close")
    assert split_commands("") == ([], "")
    assert split_commands("# Heading\ntext")[0] == []  # a markdown heading is not a command
    assert split_commands("#1 priority!")[0] == []


def test_russian_aliases_and_escaped_hash() -> None:
    commands, rest = split_commands("#ЗАКРЫТЬ Готово\n\\#взять\nСпасибо")
    assert [(lookup(c.name).name, c.arg) for c in commands] == [  # type: ignore[union-attr]
        ("close", "Готово"),
        ("take", ""),
    ]
    assert rest == "Спасибо"


def test_aliases_are_unique() -> None:
    names = [a for s in SPECS for a in (s.name, *s.aliases)]
    assert len(names) == len(set(names))
    assert lookup("заметка").name == "note"  # type: ignore[union-attr]
    assert lookup("frobnicate") is None


HEADER = (
    "mx.corp.example; dkim=pass (2048-bit key) header.d=corp.example header.s=sel; "
    "spf=fail smtp.mailfrom=alice@other.example; dmarc=pass header.from=corp.example"
)


def test_dkim_pass_aligned_with_from_domain() -> None:
    assert authres.aligned_pass([HEADER], "mx.corp.example", "corp.example") == "dkim"
    assert authres.aligned_pass([HEADER], "mx.corp.example", "mail.corp.example") == "dkim"
    assert authres.aligned_pass([HEADER], "mx.corp.example", "evil.example") is None


def test_only_the_trusted_servers_topmost_header_counts() -> None:
    forged = "mx.corp.example; dkim=pass header.d=evil.example"
    real_fail = "mx.corp.example; dkim=fail header.d=corp.example; spf=softfail"
    # The trusted server's own header comes first and says fail: a forged pass below it
    # must not count.
    assert authres.aligned_pass([real_fail, forged], "mx.corp.example", "evil.example") is None
    assert (
        authres.aligned_pass(
            ["other.example; dkim=pass header.d=corp.example"], "mx.corp.example", "corp.example"
        )
        is None
    )


def test_spf_pass_aligned() -> None:
    value = "MX.corp.example 1; spf=pass smtp.mailfrom=bob@corp.example"
    assert authres.aligned_pass([value], "mx.corp.example", "corp.example") == "spf"
