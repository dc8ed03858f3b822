"""SMTP settings under the documented names (PHVA_SMTP_TLS, PHVA_MAIL_FROM) and the older ones."""

from __future__ import annotations

import pytest

from engine.config import Settings
from engine.errors import BadInput
from engine.mail.smtp import MailError, SmtpSettings


def test_the_documented_names_configure_the_sender() -> None:
    settings = SmtpSettings.from_env({"PHVA_SMTP_HOST": "smtp.entidad.gov.co", "PHVA_SMTP_TLS": "on",
                                      "PHVA_MAIL_FROM": "PQRSD <pqrsd@entidad.gov.co>", "PHVA_SMTP_USER": "u"})  # fmt: skip
    assert settings is not None
    assert (settings.starttls, settings.port, settings.sender) == (True, 587, "PQRSD <pqrsd@entidad.gov.co>")


def test_the_older_names_still_work_and_a_missing_sender_is_explained() -> None:
    settings = SmtpSettings.from_env(
        {"PHVA_SMTP_HOST": "h", "PHVA_SMTP_STARTTLS": "on", "PHVA_SMTP_FROM": "a@b.co"}
    )
    assert settings is not None and settings.starttls and settings.sender == "a@b.co"
    with pytest.raises(MailError, match="Falta PHVA_MAIL_FROM"):
        SmtpSettings.from_env({"PHVA_SMTP_HOST": "h"})
    with pytest.raises(MailError, match="PHVA_SMTP_TLS debe ser «on» u «off»"):
        SmtpSettings.from_env({"PHVA_SMTP_HOST": "h", "PHVA_SMTP_TLS": "quizá", "PHVA_MAIL_FROM": "a@b.co"})


def test_base_url_and_digest_hour_are_checked() -> None:
    settings = Settings.from_env({"PHVA_BASE_URL": "https://phva.entidad.gov.co/", "PHVA_DIGEST_HOUR": "6"})
    assert (settings.base_url, settings.digest_hour) == ("https://phva.entidad.gov.co", 6)
    with pytest.raises(BadInput, match="PHVA_BASE_URL"):
        Settings.from_env({"PHVA_BASE_URL": "phva.entidad.gov.co"})
    with pytest.raises(BadInput, match="PHVA_DIGEST_HOUR debe ser un número entero entre 0 y 23"):
        Settings.from_env({"PHVA_DIGEST_HOUR": "25"})
