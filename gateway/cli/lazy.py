"""A click group whose commands are imported only when one of them is called.

Start-up time: `helpdesk tickets show` should not pay for the modules of the other
commands (the ORM, the directory's CSV reader, the IMAP client, the spam filter ...).
"""

from __future__ import annotations

import importlib
from typing import Any

import click


def load(target: str) -> click.Command:
    """The command `module:attribute` names."""
    module, _, attr = target.partition(":")
    command: click.Command = getattr(importlib.import_module(module), attr)
    return command


class LazyGroup(click.Group):
    """`lazy` maps a command's name to `module:attribute`; listed in --help as the others."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy if lazy is not None else {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(self.loaded(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def loaded(self, cmd_name: str) -> click.Command:
        return load(self.lazy[cmd_name])
