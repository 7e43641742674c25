"""A processing child for the interruption test: the real runner with a gate stage.

The gate appends each message's subject to `progress` as it starts and, for a subject
named in a file under `holds/`, blocks until the process is killed — a poison message
that hangs the processing process, or an innocent one caught by an outside SIGKILL.
Run as `python -m tests.hostile.gated_child CONFIG DIRECTORY`; it drains the spool.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from gateway.daemon.runner import Runner
from gateway.pipeline import Context, Stage
from gateway.pipeline.stages import parse
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.db import Database


def main(config: str, directory: str) -> None:
    root = Path(directory)

    def gate(ctx: Context) -> None:
        subject = ctx.mail.subject
        with (root / "progress").open("a", encoding="utf-8") as out:
            out.write(subject + "\n")
        if (root / "holds" / subject).exists():
            # Never set: only the SIGKILL ends this wait.
            threading.Event().wait()
        ctx.note("gate: passed")

    cfg = config_mod.load(Path(config))
    db = Database.from_config(cfg)
    runner = Runner(
        db, Services.from_config(cfg), pipeline=(Stage("parse", parse.run), Stage("gate", gate))
    )
    runner.drain()
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
