"""The pure e-mail parsing layer: messages written after RFC 5322/2045-2047/2231/3676/3834/3464, no database."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.intake.mail import (
    InboundMail,
    html_to_text,
    parse_message,
    strip_quoted_reply,
    thread_ids,
    ticket_number_from_subject,
)


def eml(text: str, body: bytes = b"") -> bytes:
    """A message with CRLF line ends, as it travels over SMTP; ``body`` is appended as raw bytes."""
    head = text.lstrip("\n").replace("\n", "\r\n")
    return head.encode("ascii") + body


HUMAN = eml(
    """
From: =?UTF-8?B?SmnFmcOtIE5vdsOhaw==?= <Jiri.Novak@Example.EDU>
To: Service Desk <servicedesk@example.edu>, "Doe, Jane" <jane@example.edu>
Cc: boss@example.edu
Subject: =?UTF-8?B?VGlza8Ohcm5hIG5ldGlza25l?=
Date: Fri, 08 Mar 2019 23:40:04 +0100
Message-ID: <  0fd7067e-2842@mail.example.edu >
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""",
    "Tiskárna v místnosti 204 netiskne.\r\n\r\nDíky,\r\nJiří   \r\n\r\n".encode(),
)


# --- a plain message: identity, people, date, body ---


def test_plain_utf8_message_gives_decoded_fields():
    mail = parse_message(HUMAN)

    assert isinstance(mail, InboundMail)
    assert mail.message_id == "0fd7067e-2842@mail.example.edu"
    assert mail.subject == "Tiskárna netiskne"
    assert mail.from_address == "jiri.novak@example.edu"
    assert mail.from_name == "Jiří Novák"
    assert mail.to == ["servicedesk@example.edu", "jane@example.edu"]
    assert mail.cc == ["boss@example.edu"]
    assert mail.date == datetime(2019, 3, 8, 22, 40, 4, tzinfo=UTC)
    assert mail.date.utcoffset() == timedelta(hours=1)
    assert mail.text == "Tiskárna v místnosti 204 netiskne.\n\nDíky,\nJiří"
    assert mail.attachments == []
    assert mail.automated == ""
    assert mail.is_bounce is False
    assert mail.content_hash == hashlib.sha256(HUMAN).hexdigest()


def test_stored_headers_are_decoded_text():
    headers = parse_message(HUMAN).headers

    assert headers["Subject"] == "Tiskárna netiskne"
    assert headers["From"] == "Jiří Novák <Jiri.Novak@Example.EDU>"
    assert headers["To"] == 'Service Desk <servicedesk@example.edu>, "Doe, Jane" <jane@example.edu>'
    assert headers["Message-ID"] == "< 0fd7067e-2842@mail.example.edu >"
    assert headers["Date"] == "Fri, 08 Mar 2019 23:40:04 +0100"
    assert "Received" not in headers
    assert "In-Reply-To" not in headers


def test_folded_subject_of_q_and_b_encoded_words_is_one_line():
    # RFC 2047 section 6.2: white space between adjacent encoded words is not displayed.
    raw = eml("""
From: john@example.cz
Subject: =?UTF-8?Q?Fwd=3a_Cyklozam=c4=9bstnavatel_-_zm=c4=9bna_vyhodnocen?=
 =?UTF-8?B?w60=?=
Content-Type: text/plain

x
""")
    assert parse_message(raw).subject == "Fwd: Cyklozaměstnavatel - změna vyhodnocení"


def test_subject_whitespace_is_collapsed_and_missing_subject_is_empty():
    assert parse_message(eml("From: a@example.org\nSubject:   Printer\n\t  broken   again \n\nx")).subject == (
        "Printer broken again"
    )
    assert parse_message(eml("From: a@example.org\n\nx")).subject == ""


def test_raw_utf8_headers_are_read_as_utf8():
    # RFC 6532 lets headers carry UTF-8 directly; some mailers send it without announcing anything.
    raw = "From: Jörg Müller <jm@example.de>\r\nSubject: Grüße aus dem Labor\r\n\r\nHallo\r\n".encode()
    mail = parse_message(raw)
    assert mail.subject == "Grüße aus dem Labor"
    assert mail.from_name == "Jörg Müller"
    assert mail.from_address == "jm@example.de"


def test_date_without_zone_information_is_utc_and_a_bad_date_is_none():
    # RFC 5322 3.3: "-0000" means the time is UTC and the local zone is unknown.
    assert parse_message(eml("Date: Mon, 1 Jan 2024 10:00:00 -0000\n\nx")).date == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert parse_message(eml("Date: yesterday, around noon\n\nx")).date is None


def test_missing_message_id_is_empty_and_the_hash_still_tells_messages_apart():
    first = parse_message(eml("From: a@example.org\nSubject: one\n\nbody one"))
    second = parse_message(eml("From: a@example.org\nSubject: one\n\nbody two"))

    assert first.message_id == ""
    assert first.content_hash != second.content_hash
    assert len(first.content_hash) == 64


# --- bodies: transfer encodings, charsets, HTML ---


def test_multipart_alternative_prefers_the_plain_part_decoded_from_quoted_printable():
    raw = eml("""
From: tim@example.com
Subject: =?UTF-8?B?xIxlc2vDvSB0ZXN0?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Tohle je test =C4=8Desk=C3=BDch p=C3=ADsmen odeslan=C3=BDch z gm=
ailu.

--b1
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">HTML version</div>

--b1--
""")
    mail = parse_message(raw)
    assert mail.subject == "Český test"
    assert mail.text == "Tohle je test českých písmen odeslaných z gmailu."
    assert mail.attachments == []


def test_html_only_message_becomes_text_without_script_or_markup():
    raw = eml("""
From: web@example.com
Subject: html
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><title>Title</title><style>p { color: red }</style></head>
<body><p>Dear&nbsp;<b>support</b>,</p><script>alert("stolen")</script>
<p>the VPN   fails<br>since Monday &amp; I typed &lt;b&gt; literally.</p>
<ul><li>laptop</li><li>desktop</li></ul>
<p>Details: <a href="https://status.example.com/?a=1&amp;b=2">status page</a></p></body></html>
""")
    text = parse_message(raw).text

    assert text == (
        "Dear support,\n\n"
        "the VPN fails\nsince Monday & I typed <b> literally.\n\n"
        "- laptop\n- desktop\n\n"
        "Details: status page <https://status.example.com/?a=1&b=2>"
    )
    assert "alert" not in text
    assert "color" not in text
    assert "Title" not in text


def test_html_to_text_drops_event_handlers_and_javascript_links():
    assert html_to_text('<p onclick="x()">hi <a href="javascript:evil()">there</a></p>') == "hi there"


def test_empty_plain_alternative_falls_back_to_html():
    raw = eml("""
From: a@example.com
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8


--b
Content-Type: text/html; charset=utf-8

<div>The real text</div>
--b--
""")
    assert parse_message(raw).text == "The real text"


def test_iso_8859_1_body_and_q_encoded_subject():
    raw = eml(
        """
From: =?ISO-8859-1?Q?Andr=E9_Dupr=E9?= <andre@example.fr>
Subject: =?ISO-8859-1?Q?Probl=E8me_d'acc=E8s?=
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: 8bit

""",
        b"Je n'ai plus acc\xe8s \xe0 ma bo\xeete.\r\n",
    )
    mail = parse_message(raw)
    assert mail.subject == "Problème d'accès"
    assert mail.from_name == "André Dupré"
    assert mail.text == "Je n'ai plus accès à ma boîte."


def test_windows_1252_characters_labelled_iso_8859_1_are_read_as_1252():
    # Mail programs label 1252 text as ISO-8859-1; bytes 0x80-0x9F are then quotes and dashes, not controls.
    raw = eml("From: a@example.com\nContent-Type: text/plain; charset=iso-8859-1\n\n", b"\x93quoted\x94 \x96 done\r\n")
    assert parse_message(raw).text == "“quoted” – done"


def test_windows_1252_quoted_printable_body():
    raw = eml("""
From: a@example.com
Content-Type: text/plain; charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

I will be traveling =96 back on July 31. I=92ll reply then.
""")
    assert parse_message(raw).text == "I will be traveling – back on July 31. I’ll reply then."


def test_iso_2022_jp_body_and_subject():
    raw = eml(
        """
From: a@example.jp
Subject: =?ISO-2022-JP?B?GyRCJEskYyE8JHMbKEI=?=
Content-Type: text/plain; charset=ISO-2022-JP

""",
        b"\x1b$B$3$N%a!<%k\x1b(B\r\n",
    )
    mail = parse_message(raw)
    assert mail.subject == "にゃーん"
    assert mail.text == "このメール"


def test_undeclared_8bit_body_is_read_as_utf8():
    raw = eml("From: a@example.com\nSubject: x\n\n", "Grüße, und danke\r\n".encode())
    assert parse_message(raw).text == "Grüße, und danke"


def test_unknown_charset_falls_back_to_utf8_with_replacement():
    raw = eml(
        """
From: a@example.com
Subject: =?x-unheard-of?Q?caf=E9?=
Content-Type: text/plain; charset=x-unheard-of

""",
        b"caf\xc3\xa9 and caf\xe9\r\n",
    )
    mail = parse_message(raw)
    assert mail.text == "café and caf\ufffd"
    assert mail.subject == "caf\ufffd"


def test_nul_and_control_characters_are_removed_and_trailing_space_trimmed():
    body = b"a\x00b\x07c  \r\nnext\t \r\n\r\n\r\n"
    raw = eml("From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\n", body)
    assert parse_message(raw).text == "abc\nnext"


def test_format_flowed_lines_are_joined():
    # RFC 3676: a trailing space marks a soft line break; a leading space is stuffing.
    body = [
        "This is one long paragraph that the mail program wrapped ",
        "for the transport and should be one line again.",
        " From the stuffed line.",
        "",
        "-- ",
        "signature",
    ]
    head = "From: a@example.com\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n"
    raw = eml(head, "\r\n".join(body).encode())
    assert parse_message(raw).text == (
        "This is one long paragraph that the mail program wrapped for the transport and should be one line again.\n"
        "From the stuffed line.\n\n--\nsignature"
    )


# --- attachments ---

ATTACHMENTS = eml("""
From: a@example.com
Subject: files
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="inner"

--inner
Content-Type: text/html; charset=utf-8

<p>See the screenshot <img src="cid:shot"></p>
--inner
Content-Type: image/png
Content-ID: <shot>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--inner--
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*0*=UTF-8''na%C3%AFve%20r%C3%A9;
 filename*1*=sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer
Content-Type: text/plain; charset=UTF-8; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

not the body
--outer
Content-Type: application/octet-stream; name="=?UTF-8?B?w7xiZXJzaWNodC54bHN4?="
Content-Disposition: attachment; filename="..\\\\..\\\\windows\\\\=?UTF-8?B?w7xiZXJzaWNodC54bHN4?="

AAEC
--outer--
""")


def test_attachments_are_collected_with_decoded_names_and_bytes():
    mail = parse_message(ATTACHMENTS)

    assert mail.text == "See the screenshot"
    assert [(a.filename, a.content_type, a.content) for a in mail.attachments] == [
        ("attachment-1.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("naïve résumé.pdf", "application/pdf", b"%PDF-1.4\n"),
        ("notes.txt", "text/plain", b"not the body"),  # the CRLF before a boundary belongs to the boundary
        ("übersicht.xlsx", "application/octet-stream", b"AAEC"),
    ]


def test_rfc2231_filename_with_charset_and_language():
    raw = eml("""
From: a@example.com
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

see attachment
--b
Content-Type: application/msword
Content-Disposition: attachment; filename*=iso-8859-1'de'Bericht%20M%E4rz.doc

AAAA
--b--
""")
    assert [a.filename for a in parse_message(raw).attachments] == ["Bericht März.doc"]


def test_attachment_only_message_has_empty_text():
    raw = eml("""
From: a@example.com
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8


--b
Content-Type: text/plain; charset=UTF-8; name="baf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="baf"

WW91IHNob3VsZG4ndCBzZWUgdGhpcy4K
--b--
""")
    mail = parse_message(raw)
    assert mail.text == ""
    assert [(a.filename, a.content) for a in mail.attachments] == [("baf", b"You shouldn't see this.\n")]


# --- threading ---

REPLY = eml("""
From: Adam <adam@example.com>
Subject: Re: [#42] Hello there
Message-Id: <reply-3@example.com>
In-Reply-To: <msg-2@helpdesk.example.edu>
References: <msg-0@example.com>
 <msg-1@helpdesk.example.edu>  <msg-2@helpdesk.example.edu>

Hello
> On 22 Aug 2015, at 19:21, Desk <desk@example.edu> wrote:
>
> Hi there!
""")


def test_reply_ids_are_normalised_and_thread_ids_run_newest_first():
    mail = parse_message(REPLY)

    assert mail.message_id == "reply-3@example.com"
    assert mail.in_reply_to == ["msg-2@helpdesk.example.edu"]
    assert mail.references == ["msg-0@example.com", "msg-1@helpdesk.example.edu", "msg-2@helpdesk.example.edu"]
    assert thread_ids(mail) == ["msg-2@helpdesk.example.edu", "msg-1@helpdesk.example.edu", "msg-0@example.com"]
    assert ticket_number_from_subject(mail.subject) == 42


def test_in_reply_to_without_brackets_and_several_ids_are_all_read():
    mail = parse_message(eml("In-Reply-To: plain@example.com\nReferences: <a@x> junk <b@x>\n\nx"))
    assert mail.in_reply_to == ["plain@example.com"]
    assert mail.references == ["a@x", "b@x"]


def test_forwarded_message_id_is_not_a_thread():
    # Thunderbird puts the forwarded message's id into In-Reply-To and names it in X-Forwarded-Message-Id.
    raw = eml("""
From: john@example.cz
Subject: Fwd: something old
Message-ID: <fwd-1@example.cz>
In-Reply-To: <old@mail.example.com>
References: <older@mail.example.com> <old@mail.example.com>
X-Forwarded-Message-Id: <old@mail.example.com>

-------- Forwarded Message --------
""")
    mail = parse_message(raw)
    assert mail.forwarded_ids == ["old@mail.example.com"]
    assert thread_ids(mail) == ["older@mail.example.com"]


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("[#42] Printer on fire", 42),
        ("Re: [#42] Printer on fire", 42),
        ("AW: WG: Fwd: [#1234] Passwort", 1234),
        ("RE: Printer on fire [#7]", 7),
        ("Printer [#7] and [#8]", 7),
        ("#42 Printer", None),
        ("[# 42] Printer", None),
        ("[#42a] Printer", None),
        ("[42] Printer", None),
        ("[#0] Printer", None),
        ("", None),
    ],
)
def test_ticket_number_from_subject(subject, number):
    assert ticket_number_from_subject(subject) == number


# --- auto-replies and bounces (RFC 3834, RFC 3464, vendor headers) ---


def _with(header_lines: str, subject: str = "Nyaan") -> bytes:
    head = f"From: Kijitora <kijitora@example.org>\nTo: desk@example.edu\nSubject: {subject}\n{header_lines}\n\n"
    return eml(head + "body")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_with("Auto-Submitted: auto-replied"), "auto-reply: Auto-Submitted: auto-replied"),
        (_with("Auto-Submitted: Auto-Generated (vacation)"), "auto-reply: Auto-Submitted: auto-generated"),
        (_with("Auto-Submitted: auto-replied; owner-email=x@example.org"), "auto-reply: Auto-Submitted: auto-replied"),
        (_with("X-Autoreply: yes"), "auto-reply: X-Autoreply"),
        (_with("X-Autorespond: on vacation"), "auto-reply: X-Autorespond"),
        (_with("Precedence: bulk"), "auto-reply: Precedence: bulk"),
        (_with("Precedence: JUNK"), "auto-reply: Precedence: junk"),
        (_with("Precedence: list"), "auto-reply: Precedence: list"),
        (_with("Precedence: auto_reply"), "auto-reply: Precedence: auto_reply"),
        (_with("X-Apple-Action: VACATION"), "auto-reply: X-Apple-Action: VACATION"),
        (
            _with("X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: kijitora@example.org"),
            "auto-reply: X-Auto-Response-Suppress with X-MS-Exchange-Inbox-Rules-Loop",
        ),
        (
            _with("X-Auto-Response-Suppress: All", subject="Automatic reply: Nyaan"),
            "auto-reply: X-Auto-Response-Suppress with an out-of-office subject",
        ),
        (
            _with("X-Auto-Response-Suppress: OOF", subject="Autosvar: Nyaan"),
            "auto-reply: X-Auto-Response-Suppress with an out-of-office subject",
        ),
        (_with("Return-Path: <>"), "auto-reply: Return-Path: <>"),
    ],
)
def test_auto_reply_markers(raw, reason):
    mail = parse_message(raw)
    assert mail.automated == reason
    assert mail.is_automated is True
    assert mail.is_bounce is False


@pytest.mark.parametrize(
    "raw",
    [
        _with("Auto-Submitted: no"),
        _with("Precedence: first-class"),
        _with("Return-Path: <kijitora@example.org>"),
        _with("X-Apple-Action: FORWARD"),
        # Outlook sets X-Auto-Response-Suppress on ordinary mail a person sends: alone it proves nothing.
        _with("X-Auto-Response-Suppress: All\nX-MS-Has-Attach:\nThread-Index: AdUq8a", subject="Out of paper again"),
        _with("X-Auto-Response-Suppress: All", subject="Re: Automatic reply: Nyaan"),
    ],
)
def test_messages_a_person_wrote_are_not_automated(raw):
    mail = parse_message(raw)
    assert mail.automated == ""
    assert mail.is_bounce is False


DSN = eml("""
Return-Path: <>
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: desk@example.edu
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="dsn"
Message-Id: <20100524100650.7FE@mx.example.net>

This is a MIME-encapsulated message.

--dsn
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<gone@example.com>: host mx.example.com said: 550 5.1.1 unknown user

--dsn
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.com
Action: failed
Status: 5.1.1

--dsn
Content-Description: Undelivered Message
Content-Type: message/rfc822

Message-Id: <ticket-42@helpdesk.example.edu>
From: desk@example.edu
To: gone@example.com
Subject: [#42] Your request

Hello
--dsn--
""")


def test_dsn_bounce_is_flagged_and_parsed_without_crashing():
    mail = parse_message(DSN)

    assert mail.automated == "bounce: multipart/report"
    assert mail.is_bounce is True
    assert mail.from_address == "mailer-daemon@mx.example.net"
    assert mail.text.startswith("I'm sorry to have to inform you")
    assert mail.text.endswith("550 5.1.1 unknown user")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("attachment-1.txt", "message/delivery-status"),
        ("attachment-2.eml", "message/rfc822"),
    ]
    assert b"Message-Id: <ticket-42@helpdesk.example.edu>" in mail.attachments[1].content
    assert b"Final-Recipient: rfc822; gone@example.com" in mail.attachments[0].content


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_with("X-MS-Exchange-Message-Is-Ndr:"), "bounce: X-MS-Exchange-Message-Is-Ndr"),
        (eml("From: MAILER-DAEMON@mx.example.org\n\nx"), "bounce: From: mailer-daemon@mx.example.org"),
        (eml("From: <postmaster@tenant.example.com>\n\nx"), "bounce: From: postmaster@tenant.example.com"),
    ],
)
def test_bounce_markers(raw, reason):
    mail = parse_message(raw)
    assert mail.automated == reason
    assert mail.is_bounce is True


def test_read_receipt_is_automated_but_not_a_bounce():
    raw = eml("""
From: reader@example.org
Subject: Read: [#42] Your request
Content-Type: multipart/report; report-type=disposition-notification; boundary="m"

--m
Content-Type: text/plain

Your message was read.
--m
Content-Type: message/disposition-notification

Disposition: manual-action/MDN-sent-manually; displayed
--m--
""")
    mail = parse_message(raw)
    assert mail.automated == "auto-reply: multipart/report; report-type=disposition-notification"
    assert mail.is_bounce is False


# --- broken input: degrade, never raise ---


def test_bare_cr_line_endings():
    raw = b"From: kijitora@example.net\rSubject: Away until May 5\rAuto-Submitted: auto-replied\r\r"
    raw += b"I am away.\rBack soon.\r"
    mail = parse_message(raw)
    assert mail.subject == "Away until May 5"
    assert mail.from_address == "kijitora@example.net"
    assert mail.automated == "auto-reply: Auto-Submitted: auto-replied"
    assert mail.text == "I am away.\nBack soon."


def test_mbox_from_line_is_not_a_header():
    raw = b"From kijitora@example.net Thu Apr 29 23:34:45 2005\nFrom: kijitora@example.net\nSubject: mbox\n\nhello\n"
    mail = parse_message(raw)
    assert mail.from_address == "kijitora@example.net"
    assert mail.subject == "mbox"
    assert mail.text == "hello"


def test_multipart_without_boundary_keeps_its_text():
    mail = parse_message(eml("From: a@example.com\nContent-Type: multipart/mixed\n\nhello there\n"))
    assert mail.text == "hello there"
    assert mail.attachments == []


def test_unterminated_nested_multipart_keeps_the_text():
    raw = eml("""
From: a@example.com
Content-Type: multipart/mixed; boundary="A"

--A
Content-Type: multipart/alternative; boundary="B"

--B
Content-Type: text/plain

inner text
--A--
""")
    assert parse_message(raw).text == "inner text"


def test_unparsable_headers_give_empty_values():
    raw = eml("""
From: <<<@@@>>> ,,, "
Subject: =?utf-8?b?!!!?=
Message-ID: <a b@c>
Date: 32 Foo 20xx

body
""")
    mail = parse_message(raw)
    assert mail.from_address == ""
    assert mail.from_name == ""
    assert mail.message_id == "ab@c"
    assert mail.date is None
    assert mail.subject == "=?utf-8?b?!!!?="
    assert mail.text == "body"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x00\x00",
        bytes(range(256)) * 4,
        b"Subject: only a header",
        b"\r\n\r\n\r\n",
        b"Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n!!!notb64",
        b"From: a@example.com\nContent-Type: text/plain; charset=base64\n\nhello",
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822\n\n--x--",
        b'From: a@example.com\nContent-Type: multipart/mixed; boundary=""\n\n--\n--',
        b"Content-Type: " + b"multipart/mixed; boundary=a\n\n--a\nContent-Type: " * 200 + b"text/plain\n\nx",
        b'Content-Disposition: attachment; filename*0*=bogus%ZZ; filename*1="\xff"\n\n\xff\xfe',
    ],
)
def test_garbage_never_raises(raw):
    mail = parse_message(raw)
    assert isinstance(mail, InboundMail)
    assert "\x00" not in mail.text
    assert mail.content_hash == hashlib.sha256(raw).hexdigest()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=len(ATTACHMENTS)))
def test_random_and_truncated_messages_never_raise(noise, cut):
    for raw in (noise, ATTACHMENTS[:cut] + noise, DSN[:cut] + noise):
        mail = parse_message(raw)
        assert "\x00" not in mail.text
        assert not any("\ud800" <= char <= "\udfff" for char in mail.text + mail.subject + mail.from_name)


# --- quoted replies ---


def test_strip_quoted_reply_drops_quote_lines_and_attribution():
    assert strip_quoted_reply(parse_message(REPLY).text) == "Hello"


def test_strip_quoted_reply_gmail_attribution_wrapped_over_two_lines():
    text = "Thanks, it works now.\n\nOn Tue, Jan 21, 2020 at 1:28 PM Service Desk <\ndesk@example.edu> wrote:\n\n> Try."
    assert strip_quoted_reply(text) == "Thanks, it works now."


def test_strip_quoted_reply_outlook_original_message_and_header_block():
    original = "Done.\n\n-----Original Message-----\nFrom: Desk <desk@example.edu>\nSent: Monday\nSubject: x\n\nold"
    header_block = "Hello\n\nFrom: xxx@example.org [mailto:xxx@example.org]\nSent: March-09-12 4:22 PM\nTo: Dan\n\nold"
    german = "Erledigt.\n\n________________________________\nVon: Desk <d@example.edu>\nGesendet: Mo\nAn: x\n\nalt"
    assert strip_quoted_reply(original) == "Done."
    assert strip_quoted_reply(header_block) == "Hello"
    assert strip_quoted_reply(german) == "Erledigt."


def test_strip_quoted_reply_keeps_interleaved_answers():
    text = "> Is the printer on?\nYes.\n> Is it plugged in?\nAlso yes."
    assert strip_quoted_reply(text) == "Yes.\nAlso yes."


def test_strip_quoted_reply_keeps_text_that_would_vanish_and_forwards():
    all_quote = "> only a quote\n> nothing new"
    forward = "Look at this.\n\n-------- Forwarded Message --------\nFrom: Nikola <n@example.cz>\nDate: today\n\nAhoj"
    plain = "A normal message.\nOn Monday the printer broke."
    assert strip_quoted_reply(all_quote) == all_quote
    assert strip_quoted_reply(forward) == forward
    assert strip_quoted_reply(plain) == plain
    assert strip_quoted_reply("") == ""


def test_parsed_mail_is_immutable():
    mail = parse_message(HUMAN)
    with pytest.raises(AttributeError):
        mail.subject = "changed"  # type: ignore[misc]


def test_date_keeps_its_original_offset():
    mail = parse_message(eml("Date: Sun, 05 Jan 2025 18:03:23 -0400\n\nx"))
    assert mail.date.tzinfo == timezone(timedelta(hours=-4))
