"""CI fails when a suite it expects was skipped or never ran."""

import subprocess
import sys
import textwrap
from pathlib import Path


def _run_pytest(tmp_path, body: str, require: str) -> subprocess.CompletedProcess:
    test_file = tmp_path / "tests" / "test_probe.py"
    test_file.parent.mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(Path("tests/conftest.py").read_text())
    test_file.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", str(test_file)],
        cwd=tmp_path,
        env={
            "REQUIRE_SUITES": require,
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "selfservice.settings",
            "PYTHONPATH": str(Path.cwd()),
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_skipped_required_suite_fails_the_run(tmp_path):
    result = _run_pytest(
        tmp_path,
        """
        import pytest

        @pytest.mark.postgres
        def test_needs_postgres():
            pytest.skip("needs PostgreSQL")
        """,
        "postgres",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "required suite 'postgres' had 1 skipped" in result.stderr


def test_required_suite_that_never_ran_fails_the_run(tmp_path):
    result = _run_pytest(tmp_path, "def test_other():\n    pass\n", "browser")
    assert result.returncode == 1
    assert "required suite 'browser' ran no test" in result.stderr


def test_passing_required_suite_keeps_the_run_green(tmp_path):
    result = _run_pytest(
        tmp_path,
        """
        import pytest

        @pytest.mark.postgres
        def test_needs_postgres():
            assert 1 + 1 == 2
        """,
        "postgres",
    )
    assert result.returncode == 0, result.stdout + result.stderr
