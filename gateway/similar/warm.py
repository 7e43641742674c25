"""The indexes a new ticket consults, loaded when the daemon starts rather than on the
first new ticket's path: loading the newest rows of a long history takes seconds (each
text is hashed again), weighing them a fraction of one, a lookup afterwards a
millisecond or less."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.similar import categories, solved
from gateway.similar.index import shared


def warm(session: Session, database_key: str, with_categories: bool) -> int:
    """Load the solved-ticket index (and the category one when used) and weigh it; rows
    loaded."""
    names = [solved.INDEX, *([categories.INDEX] if with_categories else [])]
    loaded = 0
    for name in names:
        index = shared(database_key, name)
        loaded += index.refresh(session)
        index.weigh()
    return loaded
