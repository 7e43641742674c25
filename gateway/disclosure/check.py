"""Whether a text carries a hidden note: shared runs of words, and the notices' wording.

Quoting re-wraps lines, adds "> " and may change case, so texts are compared as runs of
words (letters and digits only, case-folded): a note of six words or more leaks when any
six consecutive words of it appear in the text; a shorter one when all of its words appear
in a row. A note of one short word ("ok") cannot be told from ordinary text and is not
looked for.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.model import Message, Ticket

_WORD = re.compile(r"[^\W_]+")
_RUN = 6
_MIN_NOTE_CHARS = 8
# The lines of the agent_note notice (templates/*/agent_note.txt.j2) that only a quote of
# such a notice contains.
_NOTICE_WORDS = (
    "left a hidden note on ticket",
    "the requester does not see it",
    "оставил а скрытую заметку в заявке",
    "заявитель её не видит",
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _runs(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _carries(note: list[str], text: list[str], text_runs: dict[int, set[tuple[str, ...]]]) -> bool:
    size = min(_RUN, len(note))
    if size not in text_runs:
        text_runs[size] = _runs(text, size)
    return not _runs(note, size).isdisjoint(text_runs[size])


def _notice_quoted(words: list[str]) -> bool:
    joined = " " + " ".join(words) + " "
    return any(f" {' '.join(_words(p))} " in joined for p in _NOTICE_WORDS)


def hidden_notes(session: Session, ticket: Ticket, exclude: int | None) -> list[Message]:
    """The ticket's hidden messages (notes, unauthenticated agents' mail), oldest first."""
    stmt = select(Message).where(Message.ticket_id == ticket.id, Message.hidden.is_(True))
    if exclude is not None:
        stmt = stmt.where(Message.id != exclude)
    return list(session.scalars(stmt.order_by(Message.id)))


def find_leak(
    session: Session, ticket: Ticket, answer: str, mail_text: str, exclude: int | None = None
) -> str:
    """Why `answer` (what would go to the requester) must be held; "" when it may go.

    `mail_text` is the agent's whole mail, quotes included: a quote of a note's notice
    holds the answer even when the quote itself was cut off, since a client that quotes
    differently could have let some of it through.
    """
    answer_words, mail_words = _words(answer), _words(mail_text)
    if _notice_quoted(answer_words):
        return "the answer contains the text of a hidden note's notice"
    answer_runs: dict[int, set[tuple[str, ...]]] = {}
    mail_runs: dict[int, set[tuple[str, ...]]] = {}
    for note in hidden_notes(session, ticket, exclude):
        # An interleaved note keeps the quotes it answers; those are not the note's secret.
        own = "\n".join(ln for ln in note.body.splitlines() if not ln.lstrip().startswith(">"))
        words = _words(own)
        if not words or (len(words) < 2 and len(own.strip()) < _MIN_NOTE_CHARS):
            continue
        when = note.created_at.strftime("%Y-%m-%d %H:%M")
        if _carries(words, answer_words, answer_runs):
            return f"the answer contains the text of the hidden note of {when}"
        if _notice_quoted(mail_words) and _carries(words, mail_words, mail_runs):
            return f"the mail quotes the notice of the hidden note of {when}"
    if _notice_quoted(mail_words):
        return "the mail quotes a hidden note's notice"
    return ""
