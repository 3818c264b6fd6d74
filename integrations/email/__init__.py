"""Email transports (SMTP, Amazon SES, the outbox folder), the templates' renderer and Amazon
SNS's bounce reports. :func:`open_email_transport` picks the transport from the settings."""

from __future__ import annotations

from integrations.email.outbox_folder import OutboxFolderTransport
from postflow.config import Settings
from postflow.email.transport import EmailTransport


def open_email_transport(settings: Settings) -> EmailTransport:
    """SMTP when ``POSTFLOW_SMTP_URL`` is set, else SES when ``POSTFLOW_SES_REGION`` is,
    else ``.eml`` files in ``$POSTFLOW_DATA_DIR/outbox``."""
    if settings.smtp_url is not None:
        from integrations.email.smtp import SmtpTransport

        return SmtpTransport.from_settings(settings)
    if settings.ses_region:
        from integrations.email.ses import SesTransport  # boto3 loads only for SES

        return SesTransport.from_settings(settings)
    return OutboxFolderTransport(settings.data_dir / "outbox", settings.email_from)


__all__ = ["open_email_transport"]
