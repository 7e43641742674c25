"""Mail parsing: raw bytes to the headers, text, HTML, attachments and reply parts we store."""

from gateway.parse.message import parse_message
from gateway.parse.model import Address, ParsedAttachment, ParsedMessage, ReplyParts
from gateway.parse.reply import leading_quote_end, split_reply
from gateway.parse.subject import strip_subject_prefixes

__all__ = [
    "Address",
    "ParsedAttachment",
    "ParsedMessage",
    "ReplyParts",
    "leading_quote_end",
    "parse_message",
    "split_reply",
    "strip_subject_prefixes",
]
