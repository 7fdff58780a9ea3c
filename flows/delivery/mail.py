"""The report mail: a stdlib ``EmailMessage``, sent by SMTP or written to the outbox as ``.eml``.

Structure (what Gmail, Outlook and Apple Mail all show correctly)::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain
    │   └── multipart/related
    │       ├── text/html
    │       └── image/png (Content-ID, referenced as cid: by the HTML)
    └── application/pdf (attachment; a Chinese file name is kept, RFC 2231)

With no ``mail.smtp_host`` the message is written to the outbox folder instead of being sent.
The SMTP password is read from the environment (``MailSettings.password``) at send time and never
appears in logs or in error messages.

A failed delivery raises :class:`DeliveryError` with ``temporary`` set when trying again later
can help: connection refused, a timeout, a dropped connection, or a 4xx reply ("try again
later"). A 5xx reply, an authentication failure, a TLS problem and a configuration mistake are
permanent: retrying would only repeat them.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from flows.reports.context import DailyReportContext
    from flows.reports.render import RenderedEmail
    from flows.settings import MailSettings


class DeliveryError(RuntimeError):
    """The report could not be delivered; the message says where and what failed (never the password).

    ``temporary`` is True when the same delivery may work later (retry with backoff).
    """

    def __init__(self, message: str, *, temporary: bool = False):
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class Delivery:
    """What :func:`deliver` did."""

    method: Literal["smtp", "outbox"]
    message_id: str
    recipients: tuple[str, ...]
    path: Path | None = None  # the .eml file (outbox)
    server: str = ""  # "host:port (security)" (smtp)
    refused: tuple[str, ...] = ()  # recipients the server refused (smtp; the others got it)

    def __str__(self) -> str:
        if self.method == "outbox":
            return f"written to {self.path}"
        sent = f"sent via {self.server} to {', '.join(self.recipients)}"
        return sent + (f" (refused: {', '.join(self.refused)})" if self.refused else "")


def report_subject(ctx: "DailyReportContext") -> str:
    """``【日报】天猫旗舰店 2026-11-22 支付金额 ¥12.3万 周同比 +8%`` /
    ``[Daily] All shops 2026-11-22 GMV ¥1.2M WoW +8%``.

    The week-on-week part is left out when there is no comparison value.
    A report made from incomplete data starts with the language's partial marker
    (``【数据不全】`` / ``[PARTIAL]``).
    """
    labels = ctx.labels
    marker = labels["subject_partial"] if ctx.partial_text else ""
    gmv = ctx.tile("gmv")
    if gmv is None:
        return marker + (labels["subject"].format(scope=ctx.scope_name, date=ctx.business_date.isoformat(),
                                                  metric=labels["metric.gmv"], value="")
                         .rstrip() + " " + labels["no_data"])
    subject = labels["subject"].format(scope=ctx.scope_name, date=ctx.business_date.isoformat(),
                                       metric=gmv.label, value=gmv.value_compact)
    wow = gmv.comparison("last_week")
    if wow is not None and wow.tone != "none":
        subject += labels["subject_change"].format(label=labels["subject_wow"], change=wow.delta_compact)
    return marker + subject


def _sender_domain(sender: str) -> str:
    match = re.search(r"@([A-Za-z0-9.-]+)>?\s*$", sender)
    return match.group(1) if match else "shopreport.local"


def message_domain(mail: "MailSettings") -> str:
    """The domain part of the Message-IDs shopreport makes (the sender's domain)."""
    return _sender_domain(mail.sender)


def _headers(message: EmailMessage, mail: "MailSettings", subject: str, recipients,
             message_id: str | None) -> None:
    message["Subject"] = subject
    message["From"] = mail.sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = message_id or make_msgid(idstring="report", domain=_sender_domain(mail.sender))


XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def build_report_message(mail: "MailSettings", subject: str, rendered: "RenderedEmail",
                         pdf_name: str | None, pdf: bytes | None, message_id: str | None = None,
                         attachments: "list[tuple[str, bytes]] | None" = None,
                         recipients=None) -> EmailMessage:
    """The report mail: text + HTML (with its inline PNG images) + the PDF attached as ``pdf_name``,
    then ``attachments`` ((file name, bytes): the ``.xlsx`` workbook).

    ``message_id`` is the send ledger's Message-ID for this delivery (a retry keeps it);
    ``recipients`` (default ``mail.to``) go in the To header. Without ``pdf`` nothing is attached
    but the ``attachments`` (the ad team's mail).
    """
    message = EmailMessage()
    _headers(message, mail, subject, mail.recipients if recipients is None else tuple(recipients), message_id)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    html_part = message.get_payload()[-1]
    for i, (cid, png) in enumerate(rendered.images.items(), start=1):
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>",
                              disposition="inline", filename=f"chart{i}.png")
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    for name, data in attachments or ():
        maintype, subtype = XLSX_TYPE if name.endswith(".xlsx") else ("application", "octet-stream")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def build_notice_message(mail: "MailSettings", subject: str, text: str, recipients,
                         message_id: str | None = None) -> EmailMessage:
    """A short plain-text notice (data late, run failed) to ``recipients``."""
    message = EmailMessage()
    _headers(message, mail, subject, tuple(recipients), message_id)
    message.set_content(text)
    return message


def deliver(message: EmailMessage, mail: "MailSettings", outbox_dir: Path,
            recipients=None) -> Delivery:
    """Send ``message`` by SMTP, or write it to ``outbox_dir`` when no SMTP host is configured.

    ``recipients`` defaults to ``mail.to``.
    """
    to = tuple(mail.recipients if recipients is None else recipients)
    if mail.uses_outbox:
        path = _write_outbox(message, Path(outbox_dir))
        return Delivery(method="outbox", message_id=str(message["Message-ID"]), recipients=to, path=path)
    return _send_smtp(message, mail, to)


def find_in_outbox(outbox_dir: Path, message_id: str) -> Path | None:
    """The ``.eml`` in the outbox carrying ``message_id``, if any (reads the headers only)."""
    from email.parser import BytesHeaderParser

    if not outbox_dir.is_dir():
        return None
    parser = BytesHeaderParser(policy=policy.default)
    for path in outbox_dir.glob("*.eml"):
        with open(path, "rb") as f:
            found = parser.parse(f).get("Message-ID")
        if found is not None and str(found).strip() == message_id.strip():
            return path
    return None


# ----------------------------------------------------------------------------------------------
# outbox
# ----------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def _eml_name(subject: str, now: datetime, max_bytes: int = 180) -> str:
    stem = _UNSAFE.sub("_", subject).strip("._") or "report"
    while len(stem.encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    return f"{now.strftime('%Y%m%dT%H%M%S')}_{stem}"


def _write_outbox(message: EmailMessage, outbox_dir: Path) -> Path:
    """Write the message as ``<timestamp>_<subject>.eml``: a temp file, then a rename."""
    try:
        outbox_dir.mkdir(parents=True, exist_ok=True)
        stem = _eml_name(str(message["Subject"] or ""), datetime.now())
        target = outbox_dir / f"{stem}.eml"
        n = 2
        while target.exists():
            target = outbox_dir / f"{stem}_{n}.eml"
            n += 1
        fd, tmp = tempfile.mkstemp(dir=outbox_dir, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.as_bytes())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise DeliveryError(f"cannot write the report mail to the outbox {outbox_dir}: {exc}") from exc
    return target


# ----------------------------------------------------------------------------------------------
# SMTP
# ----------------------------------------------------------------------------------------------

def scrub(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` (the SMTP password) replaced by ``***``."""
    return text.replace(secret, "***") if secret else text


_scrub = scrub


def open_smtp(mail: "MailSettings", password: str, steps: list[str] | None = None) -> smtplib.SMTP:
    """An SMTP connection as configured: connected with ``mail.security`` (ssl, starttls or plain)
    and ``mail.timeout_seconds``, logged in when ``mail.smtp_user`` is set. Use it in a ``with``
    block (QUIT on exit). Each step is appended to ``steps`` before it starts, so a caller can
    say which one failed ("connect", "STARTTLS", "login as …")."""
    steps = [] if steps is None else steps
    steps.append("connect")
    context = ssl.create_default_context()
    if mail.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(mail.smtp_host, mail.smtp_port,
                                                timeout=mail.timeout_seconds, context=context)
    else:
        server = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=mail.timeout_seconds)
    try:
        if mail.security == "starttls":
            steps.append("STARTTLS")
            server.starttls(context=context)
        if mail.user:
            steps.append(f"login as {mail.user}")
            server.login(mail.user, password)
    except BaseException:
        server.close()
        raise
    return server


def _send_smtp(message: EmailMessage, mail: "MailSettings", recipients: tuple[str, ...]) -> Delivery:
    where = f"{mail.smtp_host}:{mail.smtp_port} ({mail.security})"
    if not recipients:
        raise DeliveryError(f"cannot send the report via SMTP {where}: no recipients (set mail.to)")
    password = mail.password if mail.user else ""
    if mail.user and not password:
        raise DeliveryError(f"cannot send the report via SMTP {where}: mail.smtp_user is set but "
                            f"the environment variable {mail.password_env} is empty")
    steps: list[str] = []
    try:
        with open_smtp(mail, password, steps) as server:
            steps.append("send")
            refused = server.send_message(message, from_addr=mail.sender, to_addrs=list(recipients))
    except smtplib.SMTPAuthenticationError as exc:
        step = steps[-1]
        detail = _scrub(_describe(exc), password)
        temporary = is_temporary(exc)
        raise DeliveryError(f"cannot send the report via SMTP {where}: {step} failed: {detail} "
                            f"({_kind(temporary)}; check mail.smtp_user and {mail.password_env})",
                            temporary=temporary) from None
    except (smtplib.SMTPException, OSError) as exc:
        step = steps[-1]
        detail = _scrub(_describe(exc), password)
        temporary = is_temporary(exc)
        raise DeliveryError(f"cannot send the report via SMTP {where}: {step} failed: {detail} "
                            f"({_kind(temporary)})", temporary=temporary) from None
    return Delivery(method="smtp", message_id=str(message["Message-ID"]), recipients=recipients,
                    server=where, refused=tuple(sorted(refused)))


def _kind(temporary: bool) -> str:
    return "temporary failure, worth retrying" if temporary else "permanent failure, not retried"


def is_temporary(exc: BaseException) -> bool:
    """True for failures that may go away: no connection, a timeout, a 4xx reply."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):
        return False  # e.g. the server does not support AUTH or STARTTLS: a configuration matter
    if isinstance(exc, ssl.SSLError):
        return False  # TLS on a plain port, or a bad certificate
    return isinstance(exc, OSError)  # refused, reset, unreachable, timed out, name lookup


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__} {exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{type(exc).__name__}: all recipients refused ({', '.join(sorted(exc.recipients))})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
