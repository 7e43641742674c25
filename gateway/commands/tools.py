"""The agents' context commands: `#card` (the requester's client card, `#card set k=v`),
`#faq` (an article inserted by name, or the best matches for words), `#send` (release an
answer held so as not to answer twice)."""

from __future__ import annotations

import re

from gateway.commands.parse import CommandLine
from gateway.commands.run import CommandFailed, Run
from gateway.desk import double
from gateway.directory import card as cards
from gateway.faq import articles, search

FAQ_MATCHES = 5
_PAIR_START = re.compile(r"\s+(?=[\w-]+=)")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'«":
        return value[1:-1]
    if value.startswith("«") and value.endswith("»"):
        return value[1:-1]
    return value


def card(run: Run, cmd: CommandLine) -> str:
    session, email = run.ctx.session, run.ticket.requester.email
    words = cmd.arg.split(None, 1)
    if not words:
        prefix = run.services.cfg.helpdesk.tag_prefix
        return "card:\n" + cards.as_text(
            cards.card(session, run.ticket.requester, run.ticket, prefix, full=True)
        )
    if words[0].lower() not in ("set", "задать", "изменить"):
        raise CommandFailed(f"unknown #card {words[0]!r}", "write #card, or #card set phone=...")
    # `phone=+7 495 123-45-67 room=215`: a value runs up to the next `key=`.
    parts = _PAIR_START.split(words[1].strip()) if len(words) > 1 else []
    pairs: dict[str, str] = {}
    for part in parts:
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not eq or not key or not key.replace("_", "").replace("-", "").isalnum():
            raise CommandFailed(f"not key=value: {part!r}", "write #card set phone=+7 495 ...")
        pairs[key] = _unquote(value.strip())
    if not pairs:
        raise CommandFailed("#card set needs key=value", "write #card set phone=+7 495 ...")
    changed = cards.set_fields(session, email, pairs, run.actor.email)
    if not changed:
        return f"card of {email}: nothing changed"
    # Only the field names: a value may be a password, and receipts are mail.
    return f"card of {email}: set {', '.join(changed)}"


def faq(run: Run, cmd: CommandLine) -> str:
    cfg = run.services.cfg
    folder = cfg.path(cfg.faq.folder)
    library = articles.current(folder)
    locale = run.ticket.requester.locale or cfg.helpdesk.locale
    article = library.named(cmd.arg, locale) if " " not in cmd.arg.strip() else None
    if article is not None:
        run.extra_text.append(article.body)
        return f"FAQ article {article.name!r} ({article.title}) added to the message"
    found = search.best(library, cmd.arg, FAQ_MATCHES, 0.0, locale)
    if not found:
        where = f"add Markdown articles to {folder}" if not library.articles else "other words"
        raise CommandFailed(f"no FAQ article matches {cmd.arg!r}", where)
    lines = [f"FAQ articles for {cmd.arg!r} (insert one with #faq NAME):"]
    for m in found:
        first = next((line for line in m.article.body.splitlines() if line.strip()), "")
        lines.append(f"  {m.article.name} — {m.article.title}: {first[:120]}")
    if library.problems:
        lines.append(f"  (left out, unreadable: {'; '.join(library.problems)})")
    return "\n".join(lines)


def send(run: Run, cmd: CommandLine) -> str:
    held = double.held_by(run.ctx.session, run.ticket, run.actor)
    if not held:
        raise CommandFailed("you have no held answer on this ticket", "nothing to send")
    for row in held:
        double.release(run.ctx.session, run.ticket, row, run.actor.email)
    return f"released your held answer(s): outbox {', '.join(f'#{r.id}' for r in held)}"


def new_ticket_only(run: Run, cmd: CommandLine) -> str:
    raise CommandFailed(
        f"#{cmd.name} opens a new ticket",
        "write a new mail to the support address with #for EMAIL at the top",
    )
