"""Pages travel compressed when the browser accepts it."""

import gzip
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db


def test_a_page_is_gzipped_for_a_browser_that_accepts_it(client):
    plain = client.get("/sign-in/")
    packed = client.get("/sign-in/", headers={"accept-encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < len(plain.content) / 2
    assert b"<form" in gzip.decompress(packed.content)


def test_gunicorn_runs_threaded_workers():
    config: dict = {}
    exec(Path("gunicorn.conf.py").read_text(), config)
    assert config["worker_class"] == "gthread"
    assert config["threads"] >= 2
