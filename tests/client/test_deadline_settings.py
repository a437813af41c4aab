"""The deadlines are read strictly; settings refuse deadlines that do not fit inside the web worker's timeout."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_settings import _load_settings


def test_the_defaults_fit_with_the_margin():
    result = _load_settings()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"GUNICORN_TIMEOUT": "30"}, r"= 40 s\) and 5 s to record its outcome do not fit in GUNICORN_TIMEOUT \(30 s\)"),
        ({"CLEVERBRIDGE_COMMIT_DEADLINE": "21"}, r"do not fit in GUNICORN_TIMEOUT \(45 s\)"),
        ({"CLEVERBRIDGE_READ_DEADLINE": "0.5"}, "CLEVERBRIDGE_READ_DEADLINE must be at least 1 second"),
        ({"CLEVERBRIDGE_PREVIEW_DEADLINE": "nan"}, "CLEVERBRIDGE_PREVIEW_DEADLINE must be at least 1 second"),
        ({"CLEVERBRIDGE_COMMIT_DEADLINE": "soon"}, "CLEVERBRIDGE_COMMIT_DEADLINE must be a number"),
        ({"GUNICORN_TIMEOUT": "45s"}, "GUNICORN_TIMEOUT must be a whole number"),
    ],
)
def test_deadlines_that_do_not_fit_refuse_to_start(overrides, message):
    result = _load_settings(**overrides)
    assert result.returncode != 0
    assert re.search(message, result.stderr), result.stderr


def test_a_longer_worker_timeout_makes_room_for_longer_deadlines():
    result = _load_settings(GUNICORN_TIMEOUT="60", CLEVERBRIDGE_COMMIT_DEADLINE="35")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", [None, "60"])
def test_gunicorn_reads_the_same_timeout_with_the_same_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("GUNICORN_TIMEOUT", value)
    config = runpy.run_path("gunicorn.conf.py")

    assert config["timeout"] == int(value or 45) == settings_value("GUNICORN_TIMEOUT", value)
    assert config["graceful_timeout"] == config["timeout"]


def settings_value(name: str, value: str | None) -> int:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print(settings.{name})",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "selfservice.settings", **({name: value} if value else {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip())


def test_the_image_runs_gunicorn_with_the_settings_default():
    assert "GUNICORN_TIMEOUT=45" in Path("Dockerfile").read_text()
