"""Link features: where a message's URLs go, and whether its links say where they go.

A link whose visible text names one domain and whose href goes to another is the
phishing pattern in any year; links to bare IP addresses, URL shorteners, user-info
tricks (``http://bank.com@evil.test/``) and punycode hosts hide the destination. Domains
are cut with the Public Suffix List (domains), so ``mail.example.co.uk`` and
``example.co.uk`` are one owner.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from classifier.domains import registrable, suffix

# Shorteners and redirectors that hide a link's destination; their use in bulk mail is
# the signal, whatever the year (kept small: the well-known public ones).
SHORTENERS = frozenset(
    [
        "bit.ly",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "bitly.com",
        "rb.gy",
        "t.ly",
        "clck.ru",
        "vk.cc",
        "u.to",
        "qps.ru",
    ]
)
_HOSTLIKE = re.compile(r"(?:https?://)?((?:[\w-]+\.)+[a-z\u0400-\u04ff]{2,})", re.I)


# Remembered: a message's links repeat, and so do hosts across mail (newsletters, lists);
# ip_address raising for every host name cost more than the rest of a link's tokens.
@lru_cache(maxsize=8192)
def _host(url: str) -> str | None:
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.isdigit()  # http://3232235777/: an address written as one number
    return True


def url_tokens(urls: list[str], sender_domain: str) -> list[str]:
    """Tokens of the distinct URLs of a message (``url:...``)."""
    tokens: list[str] = []
    # Hosts in the order they first appear (a set's order follows the string-hash seed,
    # and with it the row's summation order: a message would score differently per process).
    hosts: dict[str, None] = {}
    for url in dict.fromkeys(urls):
        if url.lower().startswith("mailto:"):
            tokens.append("url:mailto")
            continue
        host = _host(url)
        if host is None:
            tokens.append("url:malformed")
            continue
        if not host:
            continue
        if _is_ip(host):
            tokens.append("url:ip_host")
            continue
        hosts[host] = None
        if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
            tokens.append("url:userinfo")
        if "xn--" in host:
            tokens.append("url:punycode")
    own = registrable(sender_domain) if sender_domain else ""
    for host in hosts:
        domain = registrable(host)
        if domain in SHORTENERS:
            tokens.append("url:shortener")
        # Newsletters link to their own site; spam sent from throwaway addresses cannot.
        tokens.append("url:own_domain" if domain == own else "url:dom=" + domain)
        tokens.append("url:tld=" + suffix(host))
    n = len(hosts)
    tokens.append("url:n=" + ("0" if n == 0 else "1" if n == 1 else "2-4" if n < 5 else "5+"))
    return tokens


def anchor_tokens(anchors: list[tuple[str, str]]) -> list[str]:
    """Links whose visible text names a domain other than the one the href goes to."""
    tokens: list[str] = []
    for href, text in anchors:
        shown = _HOSTLIKE.search(text.strip())
        if not shown or not href.lower().startswith(("http:", "https:")):
            continue
        target = _host(href)
        if not target:
            continue
        if registrable(shown.group(1)) != registrable(target):
            tokens.append("url:text_href_mismatch")
            break
    return tokens
