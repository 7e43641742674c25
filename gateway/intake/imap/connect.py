"""Connecting to an IMAP mailbox: plain, implicit TLS or STARTTLS; password or XOAUTH2."""

from __future__ import annotations

import contextlib
import logging
import shlex
import ssl
import subprocess
from pathlib import Path

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import LoginError

from gateway.intake.imap.errors import LoginRefused, MailboxUnavailable, TokenUnavailable
from gateway.settings.config import ImapSection

log = logging.getLogger("gateway.intake.imap")

# Socket timeout for every command outside IDLE; a FETCH of a 25 MB message on a slow
# link still fits, a silently dead connection does not hang the poller for long.
COMMAND_TIMEOUT = 60.0
# Connecting is not interruptible by the stop event: keep it short so shutdown is prompt.
CONNECT_TIMEOUT = 15.0
TOKEN_COMMAND_TIMEOUT = 30.0


def mailbox_name(box: ImapSection) -> str:
    """The name used in logs, spool sources and status keys."""
    return box.name or f"{box.username}@{box.host}/{box.folder}"


class TokenSource:
    """The XOAUTH2 access token: read from a file or printed by a command, cached until
    the server rejects it (token lifetimes are the provider's business, not ours)."""

    def __init__(self, box: ImapSection, name: str) -> None:
        self.box = box
        self.name = name
        self._token: str | None = None

    def get(self, fresh: bool = False) -> str:
        if self._token is None or fresh:
            self._token = self._read()
        return self._token

    def _read(self) -> str:
        if self.box.oauth_token_command:
            try:
                out = subprocess.run(
                    shlex.split(self.box.oauth_token_command),
                    capture_output=True,
                    check=True,
                    timeout=TOKEN_COMMAND_TIMEOUT,
                    text=True,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise TokenUnavailable(self.name, f"oauth_token_command failed: {exc}") from exc
            token = out.stdout.strip()
        else:
            try:
                token = Path(self.box.oauth_token_file).read_text().strip()
            except OSError as exc:
                raise TokenUnavailable(self.name, f"oauth_token_file: {exc}") from exc
        if not token:
            raise TokenUnavailable(self.name, "empty XOAUTH2 token")
        return token


def make_ssl_context(ca_file: str = "", verify: bool = True) -> ssl.SSLContext:
    """The TLS context for a mailbox: system CAs, or `ca_file`; `verify=False` trusts any
    certificate (a self-signed test server), which only an explicit setting may ask for."""
    context = ssl.create_default_context(cafile=ca_file or None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def open_client(
    box: ImapSection, name: str, ssl_context: ssl.SSLContext | None = None
) -> IMAPClient:
    """A connected, not yet authenticated client (TLS negotiated as configured)."""
    context = ssl_context or ssl.create_default_context()
    try:
        client = IMAPClient(
            box.host,
            port=box.port,
            ssl=box.ssl,
            ssl_context=context if box.ssl else None,
            timeout=SocketTimeout(connect=CONNECT_TIMEOUT, read=COMMAND_TIMEOUT),
        )
    except (OSError, IMAPClient.Error) as exc:
        raise MailboxUnavailable(name, f"cannot connect to {box.host}:{box.port}: {exc}") from exc
    if box.starttls:
        try:
            client.starttls(context)
        except (OSError, IMAPClient.Error) as exc:
            _close(client)
            raise MailboxUnavailable(name, f"STARTTLS failed: {exc}") from exc
    return client


def login(client: IMAPClient, box: ImapSection, name: str, tokens: TokenSource | None) -> None:
    """Authenticate; an XOAUTH2 rejection re-reads the token and tries once more."""
    try:
        if box.auth == "xoauth2":
            assert tokens is not None
            try:
                client.oauth2_login(box.username, tokens.get())
            except LoginError:
                log.info("imap %s: XOAUTH2 token rejected; fetching a fresh one", name)
                client.oauth2_login(box.username, tokens.get(fresh=True))
        else:
            client.login(box.username, box.password)
    except LoginError as exc:
        raise LoginRefused(name, f"login refused for {box.username}: {_text(exc)}") from exc


def connect(
    box: ImapSection,
    name: str,
    ssl_context: ssl.SSLContext | None = None,
    tokens: TokenSource | None = None,
) -> IMAPClient:
    """A logged-in client; the caller selects the folder."""
    client = open_client(box, name, ssl_context)
    try:
        login(client, box, name, tokens)
    except BaseException:
        _close(client)
        raise
    return client


def _text(exc: BaseException) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)


def _close(client: IMAPClient) -> None:
    # Closing a broken connection may fail in any way.
    with contextlib.suppress(Exception):
        client.shutdown()


def close(client: IMAPClient) -> None:
    """Log out politely, or just drop the socket if the connection is already broken."""
    try:
        client.logout()
    except Exception:  # the server may be gone; the socket is closed anyway
        _close(client)
