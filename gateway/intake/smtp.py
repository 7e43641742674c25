"""SMTP intake on aiosmtpd: accept mail for the intake addresses, spool it, then say 250."""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from gateway.addresses import AddressBook
from gateway.errors import HelpdeskError, StoreUnavailable
from gateway.intake.group_commit import GroupCommitWriter
from gateway.intake.smtp_paths import parse_path
from gateway.settings.config import Config

log = logging.getLogger(__name__)

# Reply codes: 4xx when the fault is ours (the client retries), 5xx only for the sender's.
OK = "250 2.0.0 OK: queued as {id}"
RCPT_OK = "250 2.1.5 OK"
NO_SUCH_USER = "550 5.1.1 <{address}>: no such mailbox here"
NO_RECIPIENTS = "554 5.5.1 No valid recipients"
STORE_FAILED = "451 4.3.0 Temporary failure storing the message; try again later"
INTERNAL_ERROR = "451 4.3.0 Internal error; try again later"
SHUTTING_DOWN = "421 4.3.2 Service shutting down; try again later"


class IntakeHandler:
    """aiosmtpd handler: RCPT checks against the intake addresses, DATA spools durably."""

    def __init__(
        self,
        addresses: AddressBook,
        writer: GroupCommitWriter,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self._addresses = addresses
        self._writer = writer
        # Told "accepted", "refused" (a recipient) or "deferred" (4xx): the daemon's metrics.
        self._on_event = on_event or (lambda _event: None)
        self.accepting = True
        # The open SMTP connections, kept by _IntakeSMTP (the daemon drains them at stop).
        self.connections: set[_IntakeSMTP] = set()
        self.max_sessions = default_max_sessions()
        # Connections refused at the limit since the last log line, and when that was.
        self._refused = 0
        self._refused_logged = 0.0

    def refused_connection(self) -> None:
        """Count a connection refused at the limit; log at most once a minute."""
        self._refused += 1
        now = time.monotonic()
        if now - self._refused_logged >= 60.0:
            log.warning(
                "SMTP: %d connection(s) refused: %d open, the limit ([smtp] max_connections)",
                self._refused,
                self.sessions,
            )
            self._refused, self._refused_logged = 0, now

    @property
    def sessions(self) -> int:
        return len(self.connections)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self._addresses.is_intake(address):
            log.info("refused RCPT %s from %s", address, session.peer)
            self._on_event("refused")
            return NO_SUCH_USER.format(address=address)
        envelope.rcpt_tos.append(address)
        return RCPT_OK

    @property
    def writer(self) -> GroupCommitWriter:
        return self._writer

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if isinstance(server, _IntakeSMTP):
            server.end_transaction()  # its message is here now
        if not envelope.rcpt_tos:
            return NO_RECIPIENTS
        # A transaction under way when the daemon began to stop is drained, not refused:
        # new ones are refused at MAIL (see _IntakeSMTP.smtp_MAIL).
        raw = envelope.original_content
        assert isinstance(raw, bytes)
        try:
            row_id = await self._writer.submit(
                raw,
                "smtp",
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                alone=self.sessions <= 1,
            )
        except StoreUnavailable:
            self._on_event("deferred")
            return STORE_FAILED
        self._on_event("accepted")
        log.debug("spooled %d bytes as #%d from %s", len(raw), row_id, session.peer)
        return OK.format(id=row_id)

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default answers 500, which makes senders give up: the fault is ours.
        log.exception("SMTP session error: %s", error)
        return INTERNAL_ERROR


class _IntakeSMTP(SMTP):
    """aiosmtpd's SMTP with the line-length limit taken from the config."""

    def __init__(self, handler: Any, *, line_length_limit: int, **kwargs: Any) -> None:
        # Read by SMTP.__init__ when it sizes the stream buffer, so set it first.
        self.line_length_limit = line_length_limit
        super().__init__(handler, **kwargs)
        self._counted = False
        self._in_transaction = False
        self._in_data = False

    def _intake(self) -> IntakeHandler | None:
        handler = self.event_handler
        return handler if isinstance(handler, IntakeHandler) else None

    def begin_transaction(self) -> None:
        intake = self._intake()
        if intake is not None and not self._in_transaction:
            self._in_transaction = True
            intake.writer.arriving += 1

    def end_transaction(self) -> None:
        intake = self._intake()
        if intake is not None and self._in_transaction:
            self._in_transaction = False
            intake.writer.arriving -= 1

    @property
    def in_transaction(self) -> bool:
        """From MAIL until the reply to the message's DATA has been sent."""
        return self._in_transaction or self._in_data

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd's reads every path with the header parser (gateway.intake.smtp_paths).
        return parse_path(arg, self.local_part_limit)

    async def smtp_DATA(self, arg: str) -> None:
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self._in_data = False

    def say_goodbye(self) -> None:
        """The daemon stops: 421 to a client between transactions, and hang up."""
        transport = self.transport
        if isinstance(transport, asyncio.Transport) and not transport.is_closing():
            transport.write(SHUTTING_DOWN.encode() + b"\r\n")
            transport.close()

    async def smtp_MAIL(self, arg: str | None) -> None:
        self.end_transaction()  # a transaction that never reached DATA
        intake = self._intake()
        if intake is not None and not intake.accepting:
            await self.push(SHUTTING_DOWN)
            if self.transport is not None:
                self.transport.close()
            return
        await super().smtp_MAIL(arg)
        if self.envelope is not None and self.envelope.mail_from is not None:
            self.begin_transaction()

    async def smtp_RSET(self, arg: str) -> None:
        self.end_transaction()
        await super().smtp_RSET(arg)

    def connection_made(self, transport: Any) -> None:
        handler = self.event_handler
        if isinstance(handler, IntakeHandler) and handler.sessions >= handler.max_sessions:
            # Past the limit a connection gets a 421 and is closed before it costs a
            # session; each idle one would otherwise hold a descriptor until accept()
            # itself fails (and logs a traceback per attempt).
            transport.write(b"421 4.7.0 Too many connections, try again later\r\n")
            self._refused_here = True
            transport.close()
            handler.refused_connection()
            return
        super().connection_made(transport)
        if isinstance(self.event_handler, IntakeHandler) and not self._counted:
            self._counted = True
            self.event_handler.connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        if getattr(self, "_refused_here", False):
            return  # refused at the limit: no session was ever set up
        self.end_transaction()
        if isinstance(self.event_handler, IntakeHandler) and self._counted:
            self._counted = False
            self.event_handler.connections.discard(self)
        super().connection_lost(error)


def default_max_sessions() -> int:
    """A quarter of the descriptors the process may open, at most 1,000: the database,
    the spool and the processing process need the rest."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1000
    return max(10, min(1000, soft // 4))


class SmtpIntake:
    """The listening SMTP server of the daemon."""

    def __init__(self, cfg: Config, handler: IntakeHandler) -> None:
        self._cfg = cfg
        self.handler = handler
        if cfg.smtp.max_connections:
            handler.max_sessions = cfg.smtp.max_connections
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        host, _, port = self._cfg.smtp.listen.rpartition(":")
        loop = asyncio.get_running_loop()
        smtp_cfg = self._cfg.smtp

        def factory() -> SMTP:
            return _IntakeSMTP(
                self.handler,
                line_length_limit=smtp_cfg.line_length_limit,
                data_size_limit=smtp_cfg.max_message_size,
                enable_SMTPUTF8=True,
                decode_data=False,
                hostname=smtp_cfg.hostname or socket.getfqdn(),
                ident="helpdesk ESMTP",
                timeout=smtp_cfg.timeout_seconds,
                loop=loop,
            )

        try:
            self._server = await loop.create_server(
                factory, host=host.strip("[]"), port=int(port), reuse_address=True
            )
        except OSError as exc:  # in use, not an address of this host, a privileged port
            raise HelpdeskError(
                f"[smtp] listen: cannot listen on {self._cfg.smtp.listen}: {exc.strerror or exc}"
            ) from None
        log.info("SMTP intake listening on %s", self._cfg.smtp.listen)

    @property
    def port(self) -> int:
        assert isinstance(self._server, asyncio.Server)
        sockname = self._server.sockets[0].getsockname()
        return int(sockname[1])

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop listening, let transactions under way (in DATA) finish, then close.

        Python 3.11's Server.wait_closed() returns without waiting for the connections,
        so they are tracked here: a client between transactions gets 421 at once, one in
        a transaction may finish it (its next MAIL gets 421), for `grace_seconds` at most.
        """
        if self._server is None:
            return
        self.handler.accepting = False
        self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        draining = sum(1 for c in self.handler.connections if c.in_transaction)
        if draining:
            log.info("stopping: waiting for %d SMTP transaction(s) under way", draining)
        while self.handler.connections:
            for connection in list(self.handler.connections):
                if not connection.in_transaction:
                    connection.say_goodbye()
            if loop.time() >= deadline:
                log.warning("SMTP sessions still open after %.0f s; closing them", grace_seconds)
                for connection in list(self.handler.connections):
                    if isinstance(connection.transport, asyncio.Transport):
                        connection.transport.abort()
                break
            await asyncio.sleep(0.05)
        await self._server.wait_closed()
        self._server = None
