"""A batch's messages parsed, and read as bounces, before the runner's write transaction.

Parsing (HTML above all) takes most of a message's time, and reading a bounce is a parse
of its own; done under the write lock they would keep SQLite's intake waiting for them
(a 10 MB message: seconds). The raw bytes come along, so that the transaction need not
read them again.
"""

from __future__ import annotations

from sqlalchemy import select

from gateway.bounces import Report, read_bounce
from gateway.guard.budget import Budget
from gateway.parse import ParsedMessage, parse_message
from gateway.store.db import Database
from gateway.store.model import Inbound

# A message's raw bytes, parsed form and bounce report, read before its transaction.
Prepared = tuple[bytes, ParsedMessage, Report | None]


def parse_outside(
    db: Database, ids: list[int], parse_seconds: float, reads_bounces: bool
) -> dict[int, Prepared]:
    """The messages `ids` still new, parsed with no write transaction open, by id."""
    with db.read() as session:
        raws = list(
            session.execute(
                select(Inbound.id, Inbound.raw).where(Inbound.id.in_(ids), Inbound.state == "new")
            )
        )
    prepared: dict[int, Prepared] = {}
    for row in raws:
        parsed = parse_message(row.raw, Budget(parse_seconds))
        # The bounce reader takes the parse's stdlib tree (no second parse of the bytes);
        # then the tree goes, as the batch keeps its messages until it commits.
        report = read_bounce(row.raw, parsed.tree) if reads_bounces else None
        parsed.tree = None
        prepared[row.id] = (row.raw, parsed, report)
    return prepared
