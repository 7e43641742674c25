"""Canned answers: `templates/canned/[<locale>/]<name>.txt.j2`, with the ticket filled in."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from gateway.commands.run import CommandFailed, Run
from gateway.outgoing.mailer import ticket_context


def canned_dirs(run: Run) -> list[Path]:
    """The canned answers' folders, the override folder's first."""
    return [root / "canned" for root in run.services.renderer.roots]


def available(folders: list[Path], locale: str) -> list[str]:
    names: set[str] = set()
    for folder in folders:
        names |= {p.name.removesuffix(".txt.j2") for p in folder.glob("*.txt.j2")}
        names |= {p.name.removesuffix(".txt.j2") for p in (folder / locale).glob("*.txt.j2")}
    return sorted(names)


def render_canned(run: Run, name: str) -> str:
    folders = canned_dirs(run)
    locale = run.ticket.requester.locale or run.services.cfg.helpdesk.locale
    name = name.strip().lower()
    names = available(folders, locale)
    if not re.fullmatch(r"[\w-]+", name) or name not in names:
        raise CommandFailed(
            f"no canned answer {name!r}",
            f"use one of: {', '.join(names)}" if names else f"add one to {folders[0]}",
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(
            [str(p) for folder in folders for p in (folder / locale, folder)]
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )
    try:
        text = env.get_template(f"{name}.txt.j2").render(
            ticket=ticket_context(run.ticket, run.services),
            agent={"name": run.actor.name, "email": run.actor.email},
            helpdesk={
                "name": run.services.cfg.helpdesk.name,
                "address": run.services.cfg.helpdesk.address,
            },
        )
    except jinja2.TemplateError as exc:
        raise CommandFailed(
            f"canned answer {name!r} cannot be filled in: {exc}", "fix the template"
        ) from None
    return text.strip()
