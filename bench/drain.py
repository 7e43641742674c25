"""A runner with the WAL checkpointer beside it, as the daemon's processing process runs
them (gateway.daemon.processing): for benches that drain a spool in-process."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from gateway.daemon.runner import Runner
from gateway.services import Services
from gateway.settings.model import Config
from gateway.store.checkpoint import Checkpointer
from gateway.store.db import Database


@contextlib.contextmanager
def runner_beside_checkpointer(db: Database, cfg: Config) -> Iterator[Runner]:
    """The runner, told to call the checkpointer between its transactions (on SQLite),
    whose thread runs until the block ends."""
    checkpointer = Checkpointer(db) if db.sqlite else None
    stop = threading.Event()
    thread = threading.Thread(target=checkpointer.run if checkpointer else None, args=(stop,))
    if checkpointer is not None:
        checkpointer.start()
        thread.start()
    try:
        yield Runner(
            db,
            Services.from_config(cfg),
            on_committed=checkpointer.committed if checkpointer is not None else None,
        )
    finally:
        stop.set()
        if checkpointer is not None:
            checkpointer.wake.set()
            thread.join()
