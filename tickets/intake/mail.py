"""Inbound e-mail, parsed into the few facts ticketing needs; no database, no Django.

Mail from the outside world is often broken, so ``parse_message`` never raises: a header that cannot be
parsed becomes an empty value, a body in an unknown charset is decoded as UTF-8 with replacement
characters. The caller stores the raw bytes anyway; this module only has to give a useful reading of them.

What matters downstream, and why it is here:

* identity and threading (``message_id``, ``in_reply_to``, ``references``, ``thread_ids``,
  ``ticket_number_from_subject``), so a reply lands on its ticket;
* ``automated``/``is_bounce``, so that auto-replies and bounces never open a ticket nor trigger a mail
  (RFC 3834: never answer an automatic message, or two robots write to each other for ever);
* ``text`` and ``attachments``, what a person wrote and sent, never markup.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy, utils
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from pathlib import PureWindowsPath

import nh3

__all__ = [
    "InboundMail",
    "MailAttachment",
    "html_to_text",
    "parse_message",
    "strip_quoted_reply",
    "thread_ids",
    "ticket_number_from_subject",
]

# Headers kept as text beside the raw message: enough to show, audit and re-decide without re-parsing.
STORED_HEADERS = (
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Sender",
    "Resent-From",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "X-Forwarded-Message-Id",
    "Auto-Submitted",
    "Precedence",
    "Return-Path",
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Response-Suppress",
    "X-Apple-Action",
    "X-MS-Exchange-Message-Is-Ndr",
    "X-MS-Exchange-Inbox-Rules-Loop",
    "Content-Type",
)
_LIST_HEADERS = {"to", "cc", "resent-from"}
_ID_HEADERS = {"message-id", "in-reply-to", "references", "x-forwarded-message-id", "return-path"}

MAX_NESTING = 32


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class InboundMail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    # Thunderbird copies a forwarded message's id into In-Reply-To/References; a forward starts a new thread.
    forwarded_ids: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: str = ""
    sender: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    attachments: list[MailAttachment] = field(default_factory=list)
    automated: str = ""
    is_bounce: bool = False
    content_hash: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_automated(self) -> bool:
        return bool(self.automated)


# --------------------------------------------------------------------------------------------------------------
# Entry point


def parse_message(raw: bytes) -> InboundMail:
    """Read one RFC 5322 message; never raises, whatever the bytes are.

    ``content_hash`` is taken over the bytes as received, so the same delivery always hashes the same
    even when the parser had to repair line endings.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw or b"")
    content_hash = hashlib.sha256(raw).hexdigest()
    try:
        msg = BytesParser(policy=policy.default).parsebytes(_repair_line_endings(raw))
    except Exception:  # the stdlib parser is lenient; this guards against its rare bugs
        return InboundMail(text=_clean_text(_decode_bytes(raw, None)), content_hash=content_hash)
    headers = _Headers(msg)
    text, attachments = _body_and_attachments(msg)
    from_address, from_name = headers.address("From")
    is_bounce, automated = _automation(headers, msg, from_address)
    return InboundMail(
        message_id=_first(_message_ids(headers.raw("Message-ID"))),
        in_reply_to=_message_ids(headers.raw("In-Reply-To")),
        references=_message_ids(" ".join(headers.raw_all("References"))),
        forwarded_ids=_message_ids(headers.raw("X-Forwarded-Message-Id")),
        subject=_one_line(headers.text("Subject")),
        from_address=from_address,
        from_name=from_name,
        reply_to=headers.address("Reply-To")[0],
        sender=headers.address("Sender")[0],
        to=headers.addresses("To"),
        cc=headers.addresses("Cc"),
        date=_parse_date(headers.raw("Date")),
        text=text,
        attachments=attachments,
        automated=automated,
        is_bounce=is_bounce,
        content_hash=content_hash,
        headers=headers.stored(),
    )


def thread_ids(mail: InboundMail) -> list[str]:
    """Message ids to look up, most specific first: In-Reply-To, then References newest first.

    Ids of a forwarded message (``X-Forwarded-Message-Id``) are left out: forwarding an old mail is a new
    request, not a reply to that mail's ticket. The message's own id is left out as well.
    """
    skip = {mail.message_id, *mail.forwarded_ids}
    ordered = [*mail.in_reply_to, *reversed(mail.references)]
    return [mid for mid in dict.fromkeys(ordered) if mid and mid not in skip]


_TICKET_TAG = re.compile(r"\[#(\d{1,12})\]")


def ticket_number_from_subject(subject: str) -> int | None:
    """The ticket number from our ``[#123]`` subject tag, wherever Re:/AW:/Fwd: prefixes put it."""
    match = _TICKET_TAG.search(subject or "")
    if match is None:
        return None
    number = int(match.group(1))
    return number or None


# --------------------------------------------------------------------------------------------------------------
# Headers


class _Headers:
    """Header access that cannot raise: raw values repaired to text, decoded on demand."""

    def __init__(self, msg: Message) -> None:
        self._items: list[tuple[str, str]] = []
        try:
            items = list(msg.raw_items())
        except Exception:
            items = []
        for name, value in items:
            if isinstance(name, str) and isinstance(value, str):
                self._items.append((name.strip().lower(), _unfold(_repair_text(value))))

    def raw_all(self, name: str) -> list[str]:
        key = name.lower()
        return [value for header, value in self._items if header == key]

    def raw(self, name: str) -> str:
        return _first(self.raw_all(name))

    def has(self, name: str) -> bool:
        return bool(self.raw_all(name))

    def text(self, name: str) -> str:
        """The first such header with encoded words decoded."""
        return _decode_header_value(name, self.raw(name))

    def address(self, name: str) -> tuple[str, str]:
        """(lower-cased addr-spec, display name) of the first address, or ('', '')."""
        found = _addresses(name, self.raw(name))
        return found[0] if found else ("", "")

    def addresses(self, name: str) -> list[str]:
        found = [addr for value in self.raw_all(name) for addr, _ in _addresses(name, value)]
        return list(dict.fromkeys(found))

    def stored(self) -> dict[str, str]:
        """The ``STORED_HEADERS`` present, decoded; a present but empty header is kept as "" (it can be a marker)."""
        result = {}
        for name in STORED_HEADERS:
            if not self.has(name):
                continue
            values = [value for value in (_decode_header_value(name, raw) for raw in self.raw_all(name)) if value]
            if name.lower() == "references":
                result[name] = " ".join(values)
            else:
                result[name] = ", ".join(values) if name.lower() in _LIST_HEADERS else _first(values)
        return result


def _decode_header_value(name: str, value: str) -> str:
    if not value:
        return ""
    if name.lower() in _ID_HEADERS:
        return _one_line(_clean_text(value))  # ids are opaque; the structured parser mangles broken ones
    try:
        decoded = str(policy.default.header_factory(name, value))
    except Exception:
        decoded = _decode_words(value)
    # A malformed encoded word can decode to nothing; the raw text then says more than an empty string.
    return _one_line(_clean_text(decoded)) or _one_line(_clean_text(value))


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words with the legacy decoder: a fallback for values the modern parser rejects."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


_ADDR_SPEC = re.compile(r"[^@\s<>()\[\],;:\"]+(@[^@\s<>()\[\],;:\"]+)?")


def _addresses(name: str, value: str) -> list[tuple[str, str]]:
    if not value:
        return []
    pairs: list[tuple[str, str]] = []
    try:
        header = policy.default.header_factory(name, value)
        pairs = [(a.addr_spec, a.display_name) for a in getattr(header, "addresses", ())]
    except Exception:
        pairs = []
    if not any(addr for addr, _ in pairs):
        try:
            pairs = [(addr, _decode_words(display)) for display, addr in utils.getaddresses([value])]
        except Exception:
            pairs = []
    result = []
    for addr, display in pairs:
        addr = _clean_text(addr or "").strip().strip("<>").lower()
        if addr and _ADDR_SPEC.fullmatch(addr):
            result.append((addr, _one_line(_clean_text(display or ""))))
    return result


_MSG_ID = re.compile(r"<([^<>]*)>")


def _message_ids(value: str) -> list[str]:
    """Every id in an id-list header, brackets and whitespace removed, in header order."""
    if not value:
        return []
    found = _MSG_ID.findall(value) if "<" in value else value.split()
    ids = ["".join(item.split()) for item in found]
    return list(dict.fromkeys(mid for mid in ids if mid))


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = utils.parsedate_to_datetime(value)
    except Exception:
        return None
    # RFC 5322's "-0000" means "UTC, local zone unknown"; Python returns a naive value for it.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------------------------
# Auto-replies and bounces

_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_AUTOREPLY_FLAGS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
# Subject prefixes that out-of-office replies get from Outlook/Exchange, Apple Mail, Lotus Notes and
# Gmail in common languages. Only used together with an Exchange header, see _automation.
_OOF_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|autorespons\w*|auto:|out of (the )?office"
    r"|autosvar|automatisk svar|automatische antwort|abwesenheit|réponse automatique|risposta automatica"
    r"|respuesta automática|automatisch antwoord|odpověď automatická|automaattinen vastaus)",
    re.IGNORECASE,
)


def _automation(headers: _Headers, msg: Message, from_address: str) -> tuple[bool, str]:
    """(is_bounce, reason) — reason is empty for a message a person wrote.

    Bounce markers are checked first because a bounce usually carries auto-reply markers too, and the
    caller treats a bounce differently (flag the failed address, never thread it as a reply).
    ``X-Auto-Response-Suppress`` alone proves nothing: Outlook puts it on ordinary mail a person sends
    (it asks *others* not to auto-answer), so it only counts beside Exchange's inbox-rule loop header or an
    out-of-office subject. ``Return-Path: <>`` (the null sender) is used by bounces and by many
    auto-responders alike; without a bounce marker beside it, it counts as the milder auto-reply.
    """
    content_type = _safe(msg.get_content_type, "text/plain")
    report_type = (_safe(lambda: msg.get_param("report-type"), "") or "") if content_type == "multipart/report" else ""
    local_part = from_address.split("@", 1)[0]

    if content_type == "multipart/report":
        if str(report_type).lower() == "disposition-notification":
            return False, "auto-reply: multipart/report; report-type=disposition-notification"
        return True, "bounce: multipart/report"
    if headers.has("X-MS-Exchange-Message-Is-Ndr"):
        return True, "bounce: X-MS-Exchange-Message-Is-Ndr"
    if local_part in _BOUNCE_SENDERS:
        return True, f"bounce: From: {from_address}"

    auto_submitted = _token(headers.raw("Auto-Submitted"))
    if headers.has("Auto-Submitted") and auto_submitted != "no":
        return False, f"auto-reply: Auto-Submitted: {auto_submitted or '(empty)'}"
    for name in _AUTOREPLY_FLAGS:
        if headers.has(name) and _token(headers.raw(name)) not in ("no", "false", "0"):
            return False, f"auto-reply: {name}"
    precedence = _token(headers.raw("Precedence"))
    if precedence in _BULK_PRECEDENCE:
        return False, f"auto-reply: Precedence: {precedence}"
    if _token(headers.raw("X-Apple-Action")) == "vacation":
        return False, "auto-reply: X-Apple-Action: VACATION"
    if headers.has("X-Auto-Response-Suppress"):
        if headers.has("X-MS-Exchange-Inbox-Rules-Loop"):
            return False, "auto-reply: X-Auto-Response-Suppress with X-MS-Exchange-Inbox-Rules-Loop"
        if _OOF_SUBJECT.match(headers.text("Subject")):
            return False, "auto-reply: X-Auto-Response-Suppress with an out-of-office subject"
    if re.fullmatch(r"<\s*>", headers.raw("Return-Path").strip()):
        return False, "auto-reply: Return-Path: <>"
    return False, ""


def _token(value: str) -> str:
    """The first word of a header such as ``auto-replied; owner-email=...``, lower-cased."""
    value = re.sub(r"\([^)]*\)", " ", value or "")
    return (value.split(";", 1)[0].split() or [""])[0].strip().lower()


# --------------------------------------------------------------------------------------------------------------
# Body and attachments


def _body_and_attachments(msg: Message) -> tuple[str, list[MailAttachment]]:
    plain: list[str] = []
    markup: list[str] = []
    attachments: list[MailAttachment] = []
    for part in _leaves(msg):
        content_type = _safe(part.get_content_type, "application/octet-stream")
        maintype, _, subtype = content_type.partition("/")
        disposition = _safe(part.get_content_disposition, None)
        filename = _filename(part)
        if maintype == "multipart":
            maintype, subtype = "text", "plain"  # no usable boundary: the parser left the body as one text
        if maintype == "text" and subtype in ("plain", "html") and disposition != "attachment" and not filename:
            text = _decode_part(part)
            (plain if subtype == "plain" else markup).append(text)
            continue
        content = _part_bytes(part)
        if content is None:
            continue
        name = filename or _fallback_name(content_type, len(attachments) + 1)
        attachments.append(MailAttachment(filename=name, content_type=content_type, content=content))
    # An empty text/plain beside real HTML is a placeholder some mailers add, not the message.
    plain_text = _clean_text("\n\n".join(plain))
    if plain_text.strip() or not markup:
        return plain_text, attachments
    return _clean_text("\n\n".join(html_to_text(text) for text in markup)), attachments


def _leaves(part: Message, depth: int = 0):
    """Non-multipart parts in order; an attached message (message/rfc822) is one leaf, not opened."""
    if depth > MAX_NESTING:
        return
    if _safe(part.get_content_maintype, "") == "multipart" and _safe(part.is_multipart, False):
        payload = _safe(part.get_payload, [])
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                yield from _leaves(sub, depth + 1)
        return
    yield part


def _decode_part(part: Message) -> str:
    payload = _part_bytes(part) or b""
    charset = _safe(part.get_content_charset, None)
    text = _decode_bytes(payload, charset)
    if _safe(lambda: str(part.get_param("format") or "").lower(), "") == "flowed":
        delsp = _safe(lambda: str(part.get_param("delsp") or "").lower(), "") == "yes"
        text = _unflow(text, delsp)
    return text


def _part_bytes(part: Message) -> bytes | None:
    if _safe(part.get_content_maintype, "") == "message":
        # An attached message's payload is parsed; keep it as the bytes a mail program can open again.
        try:
            body = part.as_bytes(policy=policy.compat32)
        except Exception:
            return None
        _head, sep, rest = body.partition(b"\n\n")
        return rest if sep else body
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = _safe(part.get_payload, None)
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else None


def _decode_bytes(payload: bytes, charset: str | None) -> str:
    """Decode with the declared charset; guess only where the declaration says nothing useful.

    Undeclared and US-ASCII text is tried as UTF-8 first (raw 8-bit mail is nearly always UTF-8 today),
    ISO-8859-1 is read as its superset Windows-1252 (what mail programs really send under that name), and an
    unknown or non-text charset falls back to UTF-8 with replacement characters.
    """
    name = (charset or "").strip().strip("\"'").lower()
    try:
        codec = codecs.lookup(name).name if name else ""
    except LookupError:
        codec = "utf-8"
    if codec in ("", "ascii"):
        candidates = ["utf-8", "cp1252", "latin-1"]
    elif codec in ("iso8859-1", "latin-1"):
        candidates = ["cp1252", "latin-1"]
    else:
        candidates = [codec, "utf-8"]
    for candidate in candidates[:-1]:
        try:
            return payload.decode(candidate)
        except (UnicodeError, LookupError):
            continue
    for candidate in (candidates[-1], codec, "utf-8"):
        try:
            return payload.decode(candidate, "replace")
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    return payload.decode("utf-8", "replace")


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: a line ending in a space continues on the next one."""
    out: list[str] = []
    pending = ""
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" ") and line != "-- " and not line.startswith(">"):
            pending += line[:-1] if delsp else line
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def _filename(part: Message) -> str:
    name = ""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        try:
            params = getattr(part.get(header), "params", None) or {}
            name = str(params.get(param) or "")
        except Exception:
            name = ""
        if name:
            break
    if not name:
        name = _safe(lambda: str(part.get_filename() or ""), "")
    if "=?" in name:
        name = _decode_words(name)
    name = _clean_text(name)
    # Keep only the last path segment whichever separator the sender used; "..\\..\\x" and "../../x" give "x".
    name = PureWindowsPath(name.replace("/", "\\")).name if name else ""
    name = _UNSAFE_NAME.sub("", name).strip().lstrip(".").strip()
    return name[:200]


_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
    "text/plain": ".txt",
}


def _fallback_name(content_type: str, number: int) -> str:
    extension = _EXTENSIONS.get(content_type)
    extension = extension or mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return f"attachment-{number}{extension}"


# --------------------------------------------------------------------------------------------------------------
# HTML to text

_KEEP_TAGS = {"a", "br", "p", "div", "li", "tr", "td", "th", "table", "ul", "ol", "blockquote", "pre", "hr"}
_KEEP_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "section", "article", "header", "footer"}
_DROP_WITH_CONTENT = {"script", "style", "title", "head", "template"}
_LINK = re.compile(r'<a\b[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_PARAGRAPH = re.compile(r"</?(p|h[1-6]|blockquote|table|ul|ol|pre|section|article|header|footer)\b[^>]*>", re.I)
_LINE = re.compile(r"<br\b[^>]*>|</?(div|tr|dt|dd|hr)\b[^>]*>", re.I)
_CELL = re.compile(r"</?t[dh]\b[^>]*>", re.I)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body; the sanitiser removes scripts and styles before any tag is read.

    Whitespace is collapsed as a browser would, block tags and ``<br>`` become line breaks, a link keeps
    its target beside its text, and entities are unescaped last so that text such as ``&lt;b&gt;`` stays
    text and never turns back into markup that matters.
    """
    try:
        cleaned = nh3.clean(
            markup,
            tags=_KEEP_TAGS,
            clean_content_tags=_DROP_WITH_CONTENT,
            attributes={"a": {"href"}},
            link_rel=None,
            strip_comments=True,
        )
    except Exception:
        cleaned = html.escape(re.sub(r"<[^>]*>", " ", markup), quote=False)
    cleaned = re.sub(r"\s+", " ", cleaned)
    cleaned = _LINK.sub(_link_text, cleaned)
    cleaned = re.sub(r"<li\b[^>]*>", "\n- ", cleaned, flags=re.I)
    cleaned = _PARAGRAPH.sub("\n\n", cleaned)
    cleaned = _LINE.sub("\n", cleaned)
    cleaned = _CELL.sub(" ", cleaned)
    cleaned = re.sub(r"<[^>]*>", "", cleaned)
    text = html.unescape(cleaned).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _link_text(match: re.Match) -> str:
    href = html.unescape(match.group(1)).strip()
    label = match.group(2)
    visible = html.unescape(re.sub(r"<[^>]*>", "", label)).strip()
    if not href or href in (visible, f"mailto:{visible}") or not re.match(r"(https?|mailto):", href, re.I):
        return label
    # Escaped, so the tag stripping that follows leaves the target alone; unescaped with the rest.
    return f"{label} &lt;{html.escape(href, quote=False)}&gt;"


# --------------------------------------------------------------------------------------------------------------
# Quoted replies

_ORIGINAL_MESSAGE = re.compile(
    r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}$", re.I
)
_FORWARDED_MESSAGE = re.compile(
    r"^(-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado)\s*-{2,}"
    r"|begin forwarded message:)$",
    re.I,
)
_OUTLOOK_RULE = re.compile(r"^_{10,}$")  # Outlook on the web draws it above the quoted header block
# "On <date>, <name> wrote:" and its common translations; Gmail wraps it over two or three lines.
_ATTRIBUTION_START = ("on ", "am ", "le ", "el ", "il giorno ", "op ")
_ATTRIBUTION = re.compile(
    r"^(on\b.*\bwrote|am\b.*\bschrieb.*|le\b.*\ba écrit|el\b.*\bescribió|il giorno\b.*\bha scritto|op\b.*\bschreef.*)"
    r"\s*:$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\*?(from|von|de|da|van)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|verzonden|to|an|subject|betreff)\s*:", re.IGNORECASE
)


def strip_quoted_reply(text: str) -> str:
    """The new text of a reply, without the quoted conversation below (or interleaved ``>`` lines).

    A ticket already holds the earlier messages, so repeating them only buries what is new. A forwarded
    message is kept whole: what was forwarded is the content. When stripping would leave nothing (a
    message that is all quote), the text is returned unchanged: losing a message is worse than repeating one.
    """
    if not text:
        return text
    lines = text.split("\n")
    cut = _quote_start(lines)
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    result = "\n".join(kept).rstrip()
    return result if result.strip() else text


def _quote_start(lines: list[str]) -> int:
    """Index of the first line of the quoted original, or ``len(lines)`` when there is none."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _FORWARDED_MESSAGE.match(stripped):
            return len(lines)
        if _ORIGINAL_MESSAGE.match(stripped):
            return index
        if _OUTLOOK_RULE.match(stripped) and _is_header_block(lines, index + 1):
            return index
        if _HEADER_FROM.match(stripped) and _is_header_block(lines, index):
            return index
        if stripped.lower().startswith(_ATTRIBUTION_START) and any(
            _ATTRIBUTION.match(" ".join(part.strip() for part in lines[index : index + width])) for width in (1, 2, 3)
        ):
            return index
    return len(lines)


def _is_header_block(lines: list[str], start: int) -> bool:
    """``From:`` followed within a few lines by ``Sent:``/``To:``/``Subject:``: Outlook's quoted header block."""
    block = [line.strip() for line in lines[start : start + 5] if line.strip()]
    return (
        bool(block)
        and _HEADER_FROM.match(block[0]) is not None
        and any(_HEADER_NEXT.match(line) for line in block[1:4])
    )


# --------------------------------------------------------------------------------------------------------------
# Small helpers


def _repair_line_endings(raw: bytes) -> bytes:
    """Bytes the stdlib parser reads correctly: no leading blank lines, line breaks it recognises.

    Classic Mac OS and some gateways end lines with a bare CR; the header/body split then fails, so when a
    message has no LF at all every CR becomes one.
    """
    raw = raw.lstrip(b"\r\n\t ")
    if b"\r" in raw and b"\n" not in raw:
        raw = raw.replace(b"\r", b"\n")
    return raw


def _repair_text(value: str) -> str:
    """Header text whose raw 8-bit bytes (kept as surrogates by the parser) are decoded as UTF-8 or 1252."""
    if not re.search("[\udc80-\udcff]", value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_bytes(data, "windows-1252")


def _clean_text(value: str) -> str:
    """Text safe to store: no NUL (PostgreSQL refuses it), no lone surrogate, LF line ends, no trailing space.

    Other C0 control characters go too: in mail they are debris from broken encodings, never content.
    """
    value = re.sub("[\ud800-\udfff]", "\ufffd", value or "")
    value = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in value.split("\n")).strip("\n").rstrip()


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n|\r", "", value)


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _first(values: list[str]) -> str:
    return values[0] if values else ""


def _safe(call, default):
    try:
        return call()
    except Exception:
        return default
