"""Delivery through an SMTP relay with the stdlib's smtplib (blocking: run it in a thread).

Classification:
- connection refused, timeouts, dropped connections, TLS and AUTH failures -> temporary:
  they concern the relay or our own settings, which an admin can fix before the retry
  window closes, so no mail is given up because of them;
- a 4xx reply -> temporary; a 5xx reply to MAIL FROM or DATA -> permanent, except the
  530/534/535/538 of a relay that wants AUTH or TLS we did not configure (temporary);
- per recipient: refused ones are listed in `failed_recipients` with their reply. When
  some recipients are accepted the mail is sent to those; the caller retries the 4xx
  refusals (the outbox narrows the row to them) and records the 5xx ones. When none are
  accepted, the result is temporary if any refusal was 4xx, else permanent.
"""

from __future__ import annotations

import smtplib
import ssl as ssllib

from gateway.outgoing.transports.contract import Outcome, SendResult


def reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def _code_of(reply: str) -> int:
    head = reply[:3]
    return int(head) if head.isdigit() else 0


# "Authentication required/failed", "encryption required": our settings are wrong, not the
# mail; retrying gives the admin time to fix them instead of failing every queued mail.
_SETTINGS_CODES = frozenset({530, 534, 535, 538})


def _outcome(code: int) -> Outcome:
    if 200 <= code < 400:
        return "sent"
    if 500 <= code < 600 and code not in _SETTINGS_CODES:
        return "permanent"
    return "temporary"


class SmtpTransport:
    def __init__(
        self,
        host: str,
        port: int = 25,
        starttls: bool = False,
        ssl: bool = False,
        username: str = "",
        password: str = "",
        timeout: float = 60,
        ssl_context: ssllib.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.starttls = starttls
        self.ssl = ssl
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname

    def _context(self) -> ssllib.SSLContext:
        return self.ssl_context or ssllib.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._context(),
            )
        return smtplib.SMTP(
            self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
        )

    def send(self, mail_from: str, rcpt_to: list[str], raw: bytes, key: str) -> SendResult:
        where = f"{self.host}:{self.port}"
        try:
            conn = self._connect()
        except smtplib.SMTPConnectError as exc:
            return SendResult("temporary", f"{where}: {reply_text(exc.smtp_code, exc.smtp_error)}")
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult("temporary", f"{where}: cannot connect: {exc}")
        try:
            return self._session(conn, mail_from, rcpt_to, raw)
        except smtplib.SMTPResponseException as exc:
            # Raised outside MAIL/RCPT/DATA too (STARTTLS, AUTH): see the module docstring.
            return SendResult("temporary", f"{where}: {reply_text(exc.smtp_code, exc.smtp_error)}")
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult("temporary", f"{where}: {type(exc).__name__}: {exc}")
        finally:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

    def _session(
        self, conn: smtplib.SMTP, mail_from: str, rcpt_to: list[str], raw: bytes
    ) -> SendResult:
        conn.ehlo_or_helo_if_needed()
        if self.starttls and not self.ssl:
            conn.starttls(context=self._context())
            conn.ehlo()
        if self.username:
            conn.login(self.username, self.password)
        options = [f"SIZE={len(raw)}"] if conn.has_extn("size") else []
        if _needs_smtputf8(mail_from, rcpt_to, raw):
            if not conn.has_extn("smtputf8"):
                # No relay will ever take it this way: undeliverable, with the reason.
                return SendResult(
                    "permanent",
                    f"{self.host}:{self.port} does not offer SMTPUTF8, which an address "
                    f"with a non-ASCII local part needs ({', '.join(rcpt_to)})",
                )
            options += ["SMTPUTF8", "BODY=8BITMIME"]
        code, message = conn.mail(mail_from, options)
        if code != 250:
            conn.rset()
            return SendResult(_outcome(code), reply_text(code, message))
        accepted: list[str] = []
        refused: dict[str, str] = {}
        for rcpt in rcpt_to:
            code, message = conn.rcpt(rcpt)
            if code in (250, 251):
                accepted.append(rcpt)
            else:
                refused[rcpt] = reply_text(code, message)
        if not accepted:
            conn.rset()
            temporary = any(_outcome(_code_of(r)) == "temporary" for r in refused.values())
            summary = "; ".join(f"{r}: {text}" for r, text in refused.items())
            return SendResult("temporary" if temporary else "permanent", summary, refused)
        data_reply: bytes | str
        try:
            code, data_reply = conn.data(raw)
        except smtplib.SMTPDataError as exc:
            code, data_reply = exc.smtp_code, exc.smtp_error
        return SendResult(_outcome(code), reply_text(code, data_reply), refused)


def _needs_smtputf8(mail_from: str, rcpt_to: list[str], raw: bytes) -> bool:
    """Whether the mail names an address only SMTPUTF8 can carry (gateway.guard.headers)."""
    if not mail_from.isascii() or not all(r.isascii() for r in rcpt_to):
        return True
    return not raw.partition(b"\r\n\r\n")[0].isascii()
