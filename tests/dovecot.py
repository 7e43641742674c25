"""A private Dovecot on loopback for tests and benchmarks: own config, ports, mail and state.

Nothing is installed here: a missing `dovecot` binary raises DovecotMissing, which tests
let fail (scripts/install-dovecot is what installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MAIL_UID = 5000
PASSWORD = "secret"


class DovecotMissing(RuntimeError):
    """The dovecot binary is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(root: Path, port: int, ssl_port: int, tls: bool) -> str:
    ssl_lines = (
        f"ssl = yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem\n"
        if tls
        else "ssl = no\n"
    )
    ssl_listener = (
        f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {ssl_port}\n"
        "    ssl = yes\n  }\n"
        if tls
        else ""
    )
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl_lines}disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {MAIL_UID}
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_UID} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
{ssl_listener}}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
"""


def _make_cert(root: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-keyout", str(root / "key.pem"),
         "-out", str(root / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip


class Dovecot:
    """One Dovecot master process (`dovecot -F -c FILE`), started and stopped by the caller."""

    def __init__(self, tls: bool = True, users: tuple[str, ...] = ("support",)) -> None:
        if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
            raise DovecotMissing("dovecot is not installed: run scripts/install-dovecot")
        self.binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
        # The mail processes run as uid 5000 and must traverse to the mail homes.
        self.root.chmod(0o755)
        self.port = free_port()
        self.ssl_port = free_port()
        self.tls = tls
        self.host = "127.0.0.1"
        self.password = PASSWORD
        if tls:
            _make_cert(self.root)
        for sub in ("run", "state"):
            (self.root / sub).mkdir()
        for user in users:
            self.add_user(user)
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(_config(self.root, self.port, self.ssl_port, tls))
        self.proc: subprocess.Popen[bytes] | None = None

    def add_user(self, user: str) -> None:
        home = self.root / "mail" / user
        for sub in ("", "cur", "new", "tmp"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", MAIL_UID, MAIL_UID)
        for dirpath, _dirs, _files in os.walk(home):
            os.chown(dirpath, MAIL_UID, MAIL_UID)

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer within {timeout} s\n{self.log()}")

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        # The whole process group: after SIGKILL of the master alone its login and
        # mail processes could keep the port and the client connections open.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=10)
        self.proc = None

    def kill(self) -> None:
        """Crash the server: SIGKILL to every process, as a power cut would."""
        self._signal_group(signal.SIGKILL)

    def stop(self) -> None:
        self._signal_group(signal.SIGTERM)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""
