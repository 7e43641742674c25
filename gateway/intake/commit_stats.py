"""What the SMTP intake's spool writer did (gateway.intake.group_commit): logged when it
stops, read by bench/ingest.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CommitStats:
    """What the writer did since it started: logged when it stops, so that an operator
    (and bench/ingest.py) can see how well commits were shared and how often another
    writer held the lock."""

    messages: int = 0
    commits: int = 0
    inline: int = 0  # of the commits, those made on the event loop
    busy: int = 0  # tries that found another writer holding the lock
    lock_wait: float = 0.0  # seconds the writer thread waited for the lock
    committing: float = 0.0  # seconds in the commits themselves (the fsyncs, mostly)
    checkpoints: int = 0  # of the log, by the writer (gateway.intake.log_restart)
    copied: int = 0  # pages those checkpoints copied into the database
    restarts: int = 0  # times the log started over (seen at the writer's looks)
    waited: float = 0.0  # seconds commits waited for the writer's checkpoints

    def line(self) -> str:
        return (
            f"spool writer: {self.messages} message(s) in {self.commits} commit(s)"
            f" ({self.inline} on the event loop), the lock taken {self.busy} time(s),"
            f" {self.lock_wait:.2f} s waiting for it, {self.committing:.2f} s committing,"
            f" {self.checkpoints} checkpoint(s) of the log ({self.copied} page(s) copied,"
            f" {self.restarts} restart(s), {self.waited:.2f} s waited for)"
        )
