"""A plain (non-editable) `pip install` into a fresh venv, as the systemd unit describes:
the installed daemon turns a mail into a ticket and sends the confirmation, with the
templates and migrations it was shipped with, not the ones of this checkout."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import site
import smtplib
import subprocess
import sys
from pathlib import Path

from tests.harness import REPO, mail, wait_until, write_config


def install(tmp: Path) -> Path:
    """The product built from a copy of its sources and installed into a new venv."""
    source = tmp / "src"
    source.mkdir()
    for name in ("gateway", "classifier"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    shutil.rmtree(source)  # nothing may be read from the sources any more
    # The dependencies are this environment's (installing them again would only cost time);
    # a plain path in a .pth file adds them without this environment's editable finder.
    (site_packages(python) / "deps.pth").write_text(
        "\n".join(p for p in site.getsitepackages() if "site-packages" in p) + "\n"
    )
    return venv


def site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return Path(out.stdout.strip())


def test_installed_daemon_answers_with_a_confirmation(tmp_path: Path) -> None:
    venv = install(tmp_path)
    helpdesk = venv / "bin" / "helpdesk"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import gateway; print(gateway.__file__)"],
        cwd=tmp_path, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(venv)), where.stdout
    home = tmp_path / "lib"
    home.mkdir()
    config = write_config(home)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    checked = subprocess.run(
        [str(helpdesk), "--config", str(config), "check-config"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    log = open(home / "daemon.log", "wb")  # noqa: SIM115 - the daemon writes it until stopped
    daemon = subprocess.Popen(
        [str(helpdesk), "--config", str(config), "run"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        port = int(config.read_text().split('listen = "127.0.0.1:')[1].split('"')[0])

        def connect() -> smtplib.SMTP | None:
            assert daemon.poll() is None, (home / "daemon.log").read_text()
            try:
                return smtplib.SMTP("127.0.0.1", port, timeout=5)
            except OSError:
                return None

        smtp = wait_until(connect, 60, "the installed daemon to listen")
        with smtp:
            smtp.send_message(mail("Не работает почта", "Outlook не подключается с утра."))
        outbox = home / "var" / "outbox" / "new"

        def confirmation() -> email.message.Message | None:
            for path in outbox.glob("*") if outbox.is_dir() else []:
                msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if "ivan@corp.example.org" in str(msg["To"]):
                    return msg
            return None

        msg = wait_until(confirmation, 60, "the confirmation")
        assert "[HD-1]" in str(msg["Subject"])
    finally:
        daemon.terminate()
        code = daemon.wait(60)
        log.close()
    assert code == 0, (home / "daemon.log").read_text()
    assert "Traceback" not in (home / "daemon.log").read_text()
