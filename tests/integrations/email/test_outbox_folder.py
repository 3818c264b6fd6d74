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


def test_postflow_up_says_where_mail_goes(tmp_path: Path) -> None:
    from cli.serve import ready_lines

    lines = ready_lines(Settings(data_dir=tmp_path), "http://127.0.0.1:8080")

    assert any("outbox" in line and "POSTFLOW_SMTP_URL" in line for line in lines)


def test_postflow_up_names_the_smtp_server_but_never_its_password(tmp_path: Path) -> None:
    from cli.serve import ready_lines

    lines = ready_lines(Settings(data_dir=tmp_path,
                                 smtp_url="smtp://ada:hunter2@mail.test:587"),  # type: ignore[arg-type]
                        "http://127.0.0.1:8080")

    assert any("mail.test:587" in line for line in lines)
    assert not any("hunter2" in line for line in lines)
