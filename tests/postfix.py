"""A private Postfix on loopback in front of a helpdesk: its own config, queue and log.

The instance listens on 127.0.0.1 at a free port and hands mail to the desk both ways a
deployment does: a pipe transport running `helpdesk deliver` as an unprivileged user, and
relay to the daemon's SMTP port. Nothing is installed here: a missing `postfix` binary
raises PostfixMissing, which tests let fail (scripts/install-postfix installs it).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PIPE_USER = "helpdesk-test"

# One service a line; chroot off everywhere, since the queue is a private folder.
_MASTER = """\
{listen} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
helpdesk  unix  - n n - - pipe
  flags=Rq user={user} argv={python} -m gateway --config {config}
  deliver --sender ${{sender}} --recipient ${{recipient}}
"""

_MAIN = """\
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.corp.example.net
mydomain = corp.example.net
myorigin = $myhostname
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = {domains}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
transport_maps = texthash:{root}/etc/transport
helpdesk_destination_recipient_limit = 1
default_transport = error:outside the test network
smtp_dns_support_level = disabled
smtp_connect_timeout = 10s
smtp_helo_timeout = 20s
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
smtpd_banner = $myhostname ESMTP
biff = no
"""


class PostfixMissing(RuntimeError):
    """The postfix binary is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pipe_user() -> pwd.struct_passwd:
    """The unprivileged user the pipe (and, like a deployment, the daemon) runs as."""
    try:
        return pwd.getpwnam(PIPE_USER)
    except KeyError:
        pass
    made = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PIPE_USER],
        capture_output=True,
    )
    # Exit 9: another test process made the user between the look-up and useradd.
    if made.returncode not in (0, 9):
        raise subprocess.CalledProcessError(made.returncode, made.args, made.stdout, made.stderr)
    return pwd.getpwnam(PIPE_USER)


@contextmanager
def traversable(python: Path) -> Iterator[None]:
    """Let other users pass through (x, not list) every folder on the way to the
    interpreter while the test runs, e.g. a pyenv under /root; the modes are put back.

    Both ways to it: the virtualenv's own folders (a checkout in `mktemp -d`, mode 0700)
    and those of the interpreter its link resolves to."""
    changed: list[tuple[Path, int]] = []
    folders = dict.fromkeys(
        [*reversed(python.absolute().parents), *reversed(python.resolve().parents)]
    )
    for folder in folders:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            changed.append((folder, mode))
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    try:
        yield
    finally:
        for folder, mode in reversed(changed):
            folder.chmod(stat.S_IMODE(mode))


class Postfix:
    """`postfix -c ROOT/etc start` with the routes given (address -> transport)."""

    def __init__(self, root: Path, python: Path, config: Path, routes: dict[str, str]) -> None:
        if shutil.which("postfix") is None and not Path("/usr/sbin/postfix").exists():
            raise PostfixMissing("postfix is not installed (scripts/install-postfix)")
        self.root = root
        self.port = free_port()
        self.etc = root / "etc"
        self.etc.mkdir(parents=True)
        # Postfix enters the queue folder before anything else; `check` makes the rest.
        (root / "spool").mkdir()
        (root / "data").mkdir()
        # Modes set explicitly: the product's CLI sets umask 0077 in this process, and
        # Postfix's daemons (user postfix) must enter the queue and read the config.
        for folder, mode in ((root, 0o755), (self.etc, 0o755), (root / "spool", 0o755)):
            folder.chmod(mode)
        (root / "data").chmod(0o700)
        postfix = pwd.getpwnam("postfix")
        os.chown(root / "data", postfix.pw_uid, postfix.pw_gid)
        domains = sorted({a.rpartition("@")[2] for a in routes})
        (self.etc / "main.cf").write_text(
            _MAIN.format(root=root, domains=", ".join(domains)), encoding="utf-8"
        )
        (self.etc / "master.cf").write_text(
            _MASTER.format(
                listen=f"127.0.0.1:{self.port}", user=PIPE_USER, python=python, config=config
            ),
            encoding="utf-8",
        )
        (self.etc / "transport").write_text(
            "".join(f"{a} {t}\n" for a, t in routes.items()), encoding="utf-8"
        )
        for name in ("main.cf", "master.cf", "transport"):
            (self.etc / name).chmod(0o644)
        self.maillog = root / "maillog"

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            ["postfix", "-c", str(self.etc), *args], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"postfix {' '.join(args)}: {done.stderr}{done.stdout}")
        return done.stdout

    def start(self) -> Postfix:
        self._run("check")
        self._run("start")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"postfix did not listen: {self.log()}")

    def stop(self) -> None:
        subprocess.run(["postfix", "-c", str(self.etc), "stop"], capture_output=True, timeout=60)

    def flush(self) -> None:
        """Retry the deferred mail now (`postqueue -f`), as an admin would after a fix."""
        subprocess.run(
            ["postqueue", "-c", str(self.etc), "-f"], check=True, capture_output=True, timeout=60
        )

    def queue(self) -> str:
        done = subprocess.run(
            ["postqueue", "-c", str(self.etc), "-p"], capture_output=True, text=True, timeout=60
        )
        return done.stdout

    def log(self) -> str:
        return self.maillog.read_text(errors="replace") if self.maillog.exists() else ""

    def statuses(self, address: str) -> list[str]:
        """Every `status=` Postfix logged for deliveries to `address`, in order."""
        pattern = re.compile(rf"to=<{re.escape(address)}>.*? status=(\w+)")
        return [m.group(1) for m in pattern.finditer(self.log())]


def owned_by(path: Path, user: pwd.struct_passwd) -> None:
    os.chown(path, user.pw_uid, user.pw_gid)
