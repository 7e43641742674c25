"""The receiving server's SpamAssassin and rspamd scores: read from its own block only."""

from __future__ import annotations

import email

from classifier.features import FeatureContext, row_of
from classifier.message import extract
from classifier.upstream import score_tokens, trusted_block
from tests.classifier.test_spam_model import HAM_EN

MX = "mx.corp.example.com"
OURS = (
    "Received: from mail.sender.example.ru (mail.sender.example.ru [198.51.100.7])\n"
    f"\tby {MX} (Postfix) with ESMTPS id 4Q1; Mon, 3 Mar 2025 10:00:05 +0300\n"
)
OUTSIDE = (
    "Received: from [10.0.0.5] (unknown [192.0.2.1])\n"
    "\tby mail.sender.example.ru with ESMTPA; Mon, 3 Mar 2025 10:00:02 +0300\n"
)


def mail(top: str, below: str = "") -> bytes:
    """A message whose trusted server wrote ``top`` above its Received; ``below`` came in."""
    return (top + OURS + below + OUTSIDE).encode() + HAM_EN


def up(raw: bytes, server: str = MX) -> list[str]:
    return [t for t in extract(raw, server).tokens if t.startswith("up:")]


def test_spamassassin_and_rspamd_scores_of_the_trusted_server_become_features() -> None:
    sa = mail("X-Spam-Status: Yes, score=12.3 required=5.0 tests=URIBL_BLACK\n\tautolearn=no\n")
    assert up(sa) == ["up:sa=yes", "up:sa_score<=15"]
    assert up(mail("X-Spam-Score: -1.2\n")) == ["up:sa_score<=0"]
    rspamd = mail("X-Spamd-Result: default: False [3.40 / 15.00];\n\tR_SPF_ALLOW(-0.20)[]\n")
    assert up(rspamd) == ["up:rspamd_score<=4", "up:rspamd=no"]
    assert up(mail("X-Rspamd-Score: 16.5\n")) == ["up:rspamd_score>15"]


def test_forged_score_headers_from_an_untrusted_hop_are_ignored() -> None:
    """Spam writes "X-Spam-Status: No" into itself; below our server's Received, it is the
    sender's claim, and does not count (nor does a server we were not told to trust)."""
    forged = mail("", below="X-Spam-Status: No, score=-9.0 required=5.0\nX-Rspamd-Score: -20\n")
    assert up(forged) == []
    assert up(mail("X-Spam-Status: No, score=-9.0 required=5.0\n"), "mx.other.example") == []
    assert up(mail("X-Spam-Status: No, score=-9.0 required=5.0\n"), "") == []
    # A forged copy below ours changes nothing either: only the server's own block counts.
    both = mail("X-Spam-Status: Yes, score=8.1\n", below="X-Spam-Status: No, score=-9.0\n")
    assert up(both) == ["up:sa=yes", "up:sa_score<=10"]
    # No Received by our server at all (mail that never crossed it): nothing is trusted.
    bare = ("X-Spam-Status: No, score=-9.0\n" + OUTSIDE).encode() + HAM_EN
    assert up(bare) == []
    # The forged headers leave the score unchanged, whatever they claim.
    context = FeatureContext(trusted_authserv_id=MX)
    clean = mail("")
    assert list(row_of(forged, context).names) == list(row_of(clean, context).names)


def test_only_the_first_of_each_score_header_in_the_block_counts() -> None:
    raw = mail("X-Spam-Status: Yes, score=7.0\nX-Spam-Status: No, score=-3.0\n")
    assert up(raw) == ["up:sa=yes", "up:sa_score<=10"]


def test_malformed_score_headers_give_no_feature_and_no_error() -> None:
    for header in (
        "X-Spam-Status: maybe\n",
        "X-Spam-Score: lots\n",
        "X-Spamd-Result: default: False [x / y]\n",
        "X-Rspamd-Score: \n",
    ):
        assert up(mail(header)) == []
    garbage = b"Received: by " + MX.encode() + b"\n\xff\xfe\x00X-Spam-Status: Yes, score=9\n"
    extract(garbage, MX)  # never raises


def test_the_block_ends_at_the_trusted_servers_received_header() -> None:
    msg = email.message_from_bytes(mail("X-Spam-Score: 3\n", below="X-Forged: 1\n"))
    assert [name for name, _ in trusted_block(msg, MX)] == ["x-spam-score"]
    assert score_tokens(msg, MX.upper()) == ["up:sa_score<=4"]  # host names ignore case
