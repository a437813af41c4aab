"""gunicorn's access log never carries the notification secret that the vendor's URL holds."""

import datetime
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from selfservice.access_log import RedactedAccessLogger

SECRET = "s3cr3t-0123456789abcdef0123456789abcdef"


def _line(path: str) -> dict:
    logger = RedactedAccessLogger(Config())
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": path,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
    }
    response = SimpleNamespace(status="200 OK", sent=2, headers=[])
    return logger.atoms(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(milliseconds=3))


def test_the_secret_in_a_notification_path_is_replaced():
    atoms = _line(f"/cleverbridge/notifications/{SECRET}/")
    assert SECRET not in atoms["r"] and SECRET not in atoms["U"]
    assert atoms["r"] == "POST /cleverbridge/notifications/[secret]/ HTTP/1.1"


def test_other_paths_are_logged_as_they_are():
    assert _line("/subscriptions/68574751/?tab=items")["r"] == "POST /subscriptions/68574751/?tab=items HTTP/1.1"


def test_gunicorn_uses_the_redacting_logger():
    config: dict = {}
    exec(Path("gunicorn.conf.py").read_text(), config)
    assert config["logger_class"] == "selfservice.access_log.RedactedAccessLogger"
