# SPDX-License-Identifier: GPL-2.0-only
"""aiosmtpd handlers for tests/integration/smtp.c.

Sink: aiosmtpd's Maildir sink, which refuses on demand. An address whose
local part is refuse-STAGE-CODE gets reply CODE at STAGE:

    refuse-mail-550@x   as the sender: 550 to MAIL FROM
    refuse-rcpt-451@x   as a recipient: 451 to its RCPT TO
    refuse-data-550@x   as a recipient: accepted, then 550 after DATA

Everything else is delivered as aiosmtpd.handlers.Mailbox delivers it
(with X-MailFrom and X-RcptTo). Run as

    python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_handlers.Sink DIR

with this directory on PYTHONPATH. Uses only aiosmtpd and the stdlib.
"""
import re

from aiosmtpd.handlers import Mailbox

REFUSE = re.compile(r"^refuse-(mail|rcpt|data)-([45]\d\d)@", re.IGNORECASE)


def refusal(address, stage):
    """The reply for @address at @stage, or None to go on."""
    m = REFUSE.match(address or "")
    if m and m.group(1).lower() == stage:
        return f"{m.group(2)} pullcheck test: refused at {stage.upper()}"
    return None


class Sink(Mailbox):
    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        reply = refusal(address, "mail")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = refusal(address, "rcpt")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            reply = refusal(rcpt, "data")
            if reply:
                return reply
        return await super().handle_DATA(server, session, envelope)
