"""E-mail senders: the log sender by default, SMTP (aiosmtplib) when SMTP_HOST is set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

from impl.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Email:
    """One e-mail to send; `outbox_id` identifies it across re-deliveries (it becomes the Message-ID)."""

    outbox_id: str
    recipient: str
    subject: str
    body: str


class EmailSender(Protocol):
    """Sends one e-mail or raises; a raise means "not sent, retry later"."""

    async def send(self, email: Email) -> None: ...


class LogEmailSender:
    """Writes the e-mail to the log instead of sending it (development, tests, fuzzing)."""

    async def send(self, email: Email) -> None:
        logger.info("e-mail %s to %s: %s", message_id(email.outbox_id), email.recipient, email.subject)


def message_id(outbox_id: str, domain: str = "contract-api.invalid") -> str:
    """The Message-ID of an outbox row: the same for every re-delivery, so a recipient can drop duplicates."""
    return f"<{outbox_id}@{domain}>"


class SmtpEmailSender:
    """Sends through an SMTP server with aiosmtplib, one connection per e-mail, bounded by SMTP_TIMEOUT_SECONDS."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._username = settings.smtp_username
        self._password = settings.smtp_password
        self._starttls = settings.smtp_starttls
        self._timeout = settings.smtp_timeout_seconds
        self._sender = settings.mail_from
        _, address = parseaddr(settings.mail_from)
        self._domain = address.rpartition("@")[2] or "contract-api.invalid"

    def build(self, email: Email) -> EmailMessage:
        """The MIME message for `email` (From, To, Subject, Date, Message-ID from the outbox id)."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = email.recipient
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(email.outbox_id, self._domain)
        message.set_content(email.body)
        return message

    async def send(self, email: Email) -> None:
        # Imported here: only processes that send through SMTP pay for the client.
        import aiosmtplib

        await aiosmtplib.send(
            self.build(email),
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=None if self._password is None else self._password.get_secret_value(),
            # Required (True) or never (False): "opportunistic" would let anyone on the path downgrade to clear text.
            start_tls=self._starttls,
            timeout=self._timeout,
        )


def build_sender(settings: Settings) -> EmailSender:
    """SMTP when SMTP_HOST is set, else the log sender."""
    if settings.smtp_host:
        return SmtpEmailSender(settings)
    return LogEmailSender()
