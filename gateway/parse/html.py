"""HTML bodies: sanitise for display with nh3 and turn into readable plain text."""

from __future__ import annotations

import re

import html2text
import nh3

from gateway.guard import html as html_guard
from gateway.guard.budget import Budget

_TAGS = set(nh3.ALLOWED_TAGS) | {"font", "tfoot"}
_ATTRIBUTES: dict[str, set[str]] = {k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in ("td", "th", "table", "tr"):
    _ATTRIBUTES.setdefault(_tag, set()).update({"width", "valign", "bgcolor", "style"})
_ATTRIBUTES["font"] = {"color", "face", "size"}
_ATTRIBUTES["a"] = {"href", "title"}
_ATTRIBUTES["*"] = {"style", "dir", "lang", "title"}
# Only properties that cannot load anything (no background/url, no positioning tricks).
_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "font-size",
    "font-family",
    "text-align",
    "text-decoration",
    "vertical-align",
    "white-space",
    "border",
    "border-collapse",
    "padding",
    "margin",
    "width",
    "height",
}
_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def _filter(tag: str, attr: str, value: str) -> str | None:
    # Images may only come from the message itself (cid:) or over https; plain http and
    # data: URIs are how trackers and smuggled content get in.
    if tag == "img" and attr == "src":
        low = value.strip().lower()
        return value if low.startswith(("cid:", "https:")) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes=_SCHEMES,
    attribute_filter=_filter,
    filter_style_properties=_STYLE_PROPERTIES,
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)
# Markup fed to the HTML-to-text parser between two looks at the budget.
_SLICE = 32 * 1024
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_WS = re.compile(r"[ \t]+\n")


def sanitize_html(html: str) -> str:
    """Return ``html`` without scripts, styles, event handlers or remote-loading tricks."""
    return _CLEANER.clean(html)


def html_to_text(html: str) -> str:
    """Render HTML as plain text: no wrapping, links kept readable as "text (url)"."""
    return html_to_text_within(html, None)[0]


def html_to_text_within(html: str, budget: Budget | None) -> tuple[str, bool]:
    """`html_to_text` within `budget`: the text, and whether all the markup was parsed.

    The markup is fed to the parser in slices, the budget checked between them; once it
    is spent the rest is taken by stripping tags (linear), after the text parsed so far.
    """
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.unicode_snob = True
    converter.ignore_emphasis = True
    converter.ignore_images = True
    converter.inline_links = True
    converter.protect_links = False
    converter.ignore_mailto_links = True
    converter.single_line_break = False
    complete = True
    try:
        if budget is None:
            text = converter.handle(html)
        else:
            text, complete = _handle_within(converter, html, budget)
    except Exception:  # html2text's parser has raised on broken markup (AssertionError)
        text = re.sub(r"<[^>]*>", " ", html)
    text = _TRAILING_WS.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n"), complete


def _handle_within(converter: html2text.HTML2Text, html: str, budget: Budget) -> tuple[str, bool]:
    # What HTML2Text.handle does, one slice at a time (the HTML parser keeps a tag cut
    # between two slices in its buffer).
    converter.start = True
    for start in range(0, len(html), _SLICE):
        if budget.spent():
            done = converter.optwrap(converter.finish())
            return done + "\n\n" + html_guard.stripped_text(html[start:]), False
        converter.feed(html[start : start + _SLICE])
    converter.feed("")
    return converter.optwrap(converter.finish()), True
