"""systemd's notification protocol (sd_notify(3)), written by hand: one datagram per
state to the Unix socket named in $NOTIFY_SOCKET; nothing at all when it is unset.

READY=1 once SMTP listens, WATCHDOG=1 at half the interval $WATCHDOG_USEC asks for (from
the event loop, so a stuck loop stops the pings and systemd restarts the daemon),
RELOADING=1 around SIGHUP and STOPPING=1 at SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(state: str, environ: dict[str, str] | None = None) -> bool:
    """Send `state` ("READY=1", ...) to systemd; False when not run under it or it failed."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", env.get("NOTIFY_SOCKET"), exc)
        return False
    return True


def watchdog_interval(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings, or None when systemd wants none for us."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) <= 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000 / 2


async def watchdog(environ: dict[str, str] | None = None) -> None:
    """Ping the watchdog for as long as the event loop runs this task."""
    interval = watchdog_interval(environ)
    if interval is None:
        return
    while True:
        notify("WATCHDOG=1", environ)
        await asyncio.sleep(interval)
