"""An email backend that never leaves the machine.

It behaves like a small mail relay so the demo has real deliveries and bounces to report:
addresses at bounce.example.test are refused, addresses at slow.example.test are
accepted only after a long wait (the bulk-email job spends extra steps on them),
and everything else lands in the MailboxMessage table. Delivery is keyed by the
Message-ID, as idempotent mail APIs do, so a job retried after a crash does not
deliver the same message twice.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from jobs.models import MailboxMessage

BOUNCE_DOMAIN = "bounce.example.test"
SLOW_DOMAIN = "slow.example.test"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


class LocalMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            refused = {
                address: (550, b"5.1.1 Mailbox unavailable (demo bounce domain)")
                for address in message.recipients()
                if domain_of(address) == BOUNCE_DOMAIN
            }
            if refused:
                if self.fail_silently:
                    continue
                raise smtplib.SMTPRecipientsRefused(refused)
            message_id = str(message.extra_headers.get("Message-ID", "")) or str(
                message.message()["Message-ID"]
            )
            for address in message.recipients():
                MailboxMessage.objects.get_or_create(
                    message_id=f"{message_id}:{address}",
                    defaults={
                        "recipient": address,
                        "subject": str(message.subject),
                        "body": str(message.body),
                    },
                )
            sent += 1
        return sent
