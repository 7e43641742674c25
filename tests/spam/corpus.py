"""Training mail for the spam tests: office IT requests (ham) and obvious spam, made from
parts so that every message differs, plus a slice of the SpamAssassin public corpus."""

from __future__ import annotations

import email.utils
import itertools
import mailbox
import zlib
from email.message import EmailMessage
from pathlib import Path

from classifier import iter_messages
from tests.corpora import CORPORA

CORPUS = CORPORA / "spamassassin"

_DEVICES = [
    ("принтер", "printer"),
    ("ноутбук", "laptop"),
    ("монитор", "monitor"),
    ("VPN", "VPN"),
    ("Outlook", "Outlook"),
    ("сканер", "scanner"),
    ("телефон", "desk phone"),
    ("общий диск", "shared drive"),
]
_PROBLEMS = [
    ("не работает с утра", "stopped working this morning"),
    ("выдаёт ошибку при запуске", "shows an error on start"),
    ("очень медленно работает", "is very slow"),
    ("не подключается к сети", "cannot connect to the network"),
    ("просит пароль каждые пять минут", "asks for my password every five minutes"),
]
_ASKS = [
    ("Посмотрите, пожалуйста, когда будет время.", "Could someone have a look, please?"),
    ("Кабинет 312, третий этаж. Спасибо!", "I am in room 312 on the third floor. Thanks!"),
    ("Это срочно, у нас отчёт сегодня.", "It is urgent, we have a report due today."),
]
_OFFERS = [
    "You have WON $1,000,000 in our international lottery",
    "Buy cheap pills online without prescription, 80% OFF",
    "Earn $5000 a week working from home, no experience needed",
    "Double your money in 30 days GUARANTEED",
    "Luxury replica watches at 90% discount",
    "Бонус 500% на первый депозит и 200 фриспинов",
    "Кредит за 5 минут без справок, одобрение 99%",
]
_URGENCY = [
    "Click here NOW to claim",
    "Limited time offer, act now",
    "Жми прямо сейчас",
    "FINAL NOTICE, reply with your bank details",
]
_HOSTS = ["cheap-pills.biz", "easy-money.info", "prize-claim.top", "casino-bonus.xyz"]


def _message(subject: str, body: str, sender: str, n: int, html: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = (
        f"<t{n}.{zlib.crc32((subject + body).encode())}@{sender.rpartition('@')[2]}>"
    )
    msg["Date"] = email.utils.formatdate(1_700_000_000 + n * 3600)
    if html:
        msg.set_content(f"<html><body><p><b>{body}</b></p></body></html>", subtype="html")
    else:
        msg.set_content(body)
    return msg.as_bytes()


def ham(n: int) -> bytes:
    """The n-th office request: Russian or English, a device, a problem, a plea."""
    device = _DEVICES[n % len(_DEVICES)]
    problem = _PROBLEMS[(n // len(_DEVICES)) % len(_PROBLEMS)]
    ask = _ASKS[n % len(_ASKS)]
    lang = n % 2
    subject = f"{device[lang]} {problem[lang]}"
    body = f"{'Здравствуйте' if lang == 0 else 'Hello'},\n\n{subject}. {ask[lang]}\n\nAnna"
    return _message(subject.capitalize(), body, f"user{n % 17}@corp.example.org", n)


def spam(n: int) -> bytes:
    """The n-th obvious spam: an offer, urgency, a link to a throwaway host."""
    offer = _OFFERS[n % len(_OFFERS)]
    urgency = _URGENCY[(n // len(_OFFERS)) % len(_URGENCY)]
    host = _HOSTS[n % len(_HOSTS)]
    body = f"{offer}!!! {urgency}: http://{host}/r{n} !!! Unsubscribe: http://{host}/u"
    return _message(offer.upper()[:40] + "!!!", body, f"promo{n}@mail{n % 5}.biz", n, n % 3 == 0)


def corpus_slice(name: str, count: int) -> list[bytes]:
    """The first `count` messages of one folder of the SpamAssassin corpus."""
    return list(itertools.islice(iter_messages(CORPUS / name), count))


def training_set(n_synthetic: int = 60, n_corpus: int = 150) -> tuple[list[bytes], list[bytes]]:
    """(ham, spam) for a model that holds obvious spam and passes office requests."""
    hams = [ham(i) for i in range(n_synthetic)] + corpus_slice("easy-ham-1", n_corpus)
    spams = [spam(i) for i in range(n_synthetic)] + corpus_slice("spam-1", n_corpus)
    return hams, spams


def write_maildir(path: Path, raws: list[bytes]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for raw in raws:
        box.add(raw)
    box.close()
    return path


def write_mbox(path: Path, raws: list[bytes]) -> Path:
    box = mailbox.mbox(path, create=True)
    for raw in raws:
        box.add(raw)
    box.close()
    return path
