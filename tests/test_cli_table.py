"""The CLI's tables (gateway.cli.table): rich's default look, fitted to a terminal by
cutting the widest columns, cells kept as they are written."""

from __future__ import annotations

from gateway.cli import table


def test_a_table_as_rich_draws_it() -> None:
    drawn = table.render(("id", "subject"), [["1", "Принтер"], ["22", "[bold] VPN"]], "Tickets")
    assert drawn == (
        "      Tickets\n"
        "┏━━━━┳━━━━━━━━━━━━┓\n"
        "┃ id ┃ subject    ┃\n"
        "┡━━━━╇━━━━━━━━━━━━┩\n"
        "│ 1  │ Принтер    │\n"
        "│ 22 │ [bold] VPN │\n"  # plain text: no markup read out of a subject
        "└────┴────────────┘\n"
    )


def test_an_empty_table_has_its_head() -> None:
    assert table.render(("id",), []).splitlines() == ["┏━━━━┓", "┃ id ┃", "┡━━━━┩", "└────┘"]


def test_wide_characters_take_two_cells() -> None:
    assert table.width("工单") == 4 and table.width("е\u0301") == 1
    lines = table.render(("a",), [["工单"], ["ab"]]).splitlines()
    assert lines[3] == "│ 工单 │" and lines[4] == "│ ab   │"


def test_fitted_to_the_terminal_the_widest_column_is_cut() -> None:
    rows = [["1", "a subject far too long for the terminal", "x@example.com"]]
    lines = table.render(("id", "subject", "requester"), rows, room=40).splitlines()
    assert {table.width(line) for line in lines} == {40}
    assert "│ 1  │ a subject far … │ x@example.com │" in lines
    # Unlimited (piped): nothing is cut.
    assert rows[0][1] in table.render(("id", "subject", "requester"), rows)


def test_a_terminal_too_narrow_keeps_each_header() -> None:
    lines = table.render(("id", "subject"), [["1", "long subject"]], room=5).splitlines()
    assert lines[1] == "┃ id ┃ subject ┃" and lines[3] == "│ 1  │ long s… │"
