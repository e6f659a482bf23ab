import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check_deploy(**env):
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    secrets = {"PAYMENTS_PIX_WEBHOOK_SECRET": "p" * 40, "GIFT_CARD_CODE_KEY": "g" * 40}
    environment = {**inherited, "DJANGO_SETTINGS_MODULE": "oms.settings.production", **secrets, **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = _check_deploy(SECRET_KEY="x7" * 30 + "-a-real-random-secret", ALLOWED_HOSTS="oms.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _check_deploy(SECRET_KEY="", ALLOWED_HOSTS="oms.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_require_allowed_hosts():
    result = _check_deploy(SECRET_KEY="y" * 64, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_settings_require_their_own_payment_secrets():
    result = _check_deploy(SECRET_KEY="z" * 64, ALLOWED_HOSTS="oms.example.com", GIFT_CARD_CODE_KEY="short")
    assert result.returncode != 0
    assert "GIFT_CARD_CODE_KEY must be set" in result.stderr


def test_error_reports_hide_post_data_and_local_variables(rf):
    import sys

    from oms.security import StrictExceptionReporterFilter

    request = rf.post("/sandbox-gateway/tokenize/", {"number": "4111111111111111"})
    assert StrictExceptionReporterFilter().get_post_parameters(request) == {"number": "********************"}
    try:
        card = "4111111111111111"  # noqa: F841 - a local the report must hide
        raise ValueError("boom")
    except ValueError:
        frame = sys.exc_info()[2].tb_frame
    hidden = dict(StrictExceptionReporterFilter().get_traceback_frame_variables(request, frame))
    assert hidden["card"] == "********************"


def test_the_sites_language_is_set_from_the_environment_and_must_be_one_of_ours(settings, client, db):
    result = _check_deploy(SECRET_KEY="w" * 64, ALLOWED_HOSTS="oms.example.com", LANGUAGE_CODE="fr")
    assert result.returncode != 0
    assert "LANGUAGE_CODE='fr' is none of en, pt-br, ar" in result.stderr

    settings.LANGUAGE_CODE = "pt-br"  # what LANGUAGE_CODE=pt-br gives: a browser asking none of ours reads it
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="pt-br"' in page
