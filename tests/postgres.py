"""A private PostgreSQL cluster on loopback for tests (initdb refuses root: run as postgres)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from tests.dovecot import free_port


def _as_postgres(*args: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)


@contextlib.contextmanager
def private_postgres(password: str | None = None) -> Iterator[str]:
    """Start a throwaway cluster; yield its SQLAlchemy URL; stop and remove it after.
    With `password`: postgres's password, asked for over TCP (the URL carries it)."""
    root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
    shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    auth = ["-A", "trust"]
    if password is not None:
        secret = root / "password"
        secret.write_text(password)
        shutil.chown(secret, "postgres", "postgres")
        auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={secret}"]
    _as_postgres("initdb", "-D", str(data), *auth, "-U", "postgres", "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_postgres("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    try:
        login = "postgres" if password is None else f"postgres:{quote(password, safe='')}"
        yield f"postgresql+psycopg://{login}@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)
