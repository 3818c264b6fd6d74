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


def describe_email(settings: Settings) -> str:
    """Where mail goes, for ``postflow up`` to say at start (never a password)."""
    if settings.smtp_url is not None:
        from integrations.email.smtp import parse_smtp_url

        server = parse_smtp_url(settings.smtp_url.get_secret_value())
        return f"Email: sent by SMTP to {server.host}:{server.port}"
    if settings.ses_region:
        return f"Email: sent by Amazon SES in {settings.ses_region}"
    return (f"Email: written to {(settings.data_dir / 'outbox').resolve()} as .eml files "
            "(set POSTFLOW_SMTP_URL or POSTFLOW_SES_REGION to send it)")


__all__ = ["describe_email", "open_email_transport"]
