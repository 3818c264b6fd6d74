"""The default transport with neither SMTP nor SES configured: each email is written to
``$POSTFLOW_DATA_DIR/outbox/`` as an ``.eml`` file (open it in any mail program), so a newcomer
sees what PostFlow would send. Nothing leaves the machine."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from integrations.email.mime_bytes import mime_bytes
from postflow.email.message import OutgoingEmail
from postflow.email.transport import TransientEmailError


class OutboxFolderTransport:
    name = "outbox"

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self._sender = sender

    def describe(self) -> str:
        return f"written to {self.folder.resolve()} as .eml files (no SMTP or SES configured)"

    async def send(self, email: OutgoingEmail) -> str:
        data = mime_bytes(email, self._sender)
        try:
            await asyncio.to_thread(self._write, email, data)
        except OSError as err:
            raise TransientEmailError(type(err).__name__) from err
        return ""

    def _write(self, email: OutgoingEmail, data: bytes) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = email.created_at.strftime("%Y%m%dT%H%M%S")
        final = self.folder / f"{stamp}-{email.id}.eml"
        partial = final.with_suffix(".eml.part")
        # Written whole, then renamed: a reader never sees half a mail.
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            out.write(data)
        partial.replace(final)
