"""The default transport: each mail becomes an .eml file in the data directory's outbox."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

from integrations.email import open_email_transport
from integrations.email.outbox_folder import OutboxFolderTransport
from postflow.config import Settings
from tests.integrations.email.emails import make_email


def test_with_neither_smtp_nor_ses_mail_goes_to_the_outbox_folder(tmp_path: Path) -> None:
    transport = open_email_transport(Settings(data_dir=tmp_path))

    assert isinstance(transport, OutboxFolderTransport)
    assert transport.folder == tmp_path / "outbox"
    assert str((tmp_path / "outbox").resolve()) in transport.describe()


async def test_each_mail_is_one_readable_eml_file(tmp_path: Path) -> None:
    email = make_email()
    await OutboxFolderTransport(tmp_path / "outbox", "PostFlow <p@example.test>").send(email)

    [written] = (tmp_path / "outbox").glob("*.eml")
    message = message_from_bytes(written.read_bytes())
    assert email.id in written.name
    assert message["To"] == "ada@example.test" and message["Subject"] == email.subject
    assert message.is_multipart()
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= parts
    assert written.stat().st_mode & 0o077 == 0
