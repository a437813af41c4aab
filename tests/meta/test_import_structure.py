"""The import structure CI holds the code to (`lint-imports`, contracts in pyproject.toml), and proof that it bites."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "contract",
    [
        "product-acyclic",
        "sandbox-acyclic",
        "product-without-sandbox",
        "product-layers",
        "sandbox-layers",
    ],
)
def test_the_contract_is_kept(contract):
    result = lint_imports("--contract", contract)
    assert result.returncode == 0, result.stdout + result.stderr


def _package(tmp_path: Path, modules: dict[str, str]) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in modules.items():
        (package / f"{name}.py").write_text(textwrap.dedent(source))


CONFIG = """
[importlinter]
root_package = shop

[importlinter:contract:acyclic]
name = No cycles in the shop
type = acyclic_siblings
ancestors = shop
"""


def test_a_planted_cycle_breaks_the_check_and_is_named(tmp_path):
    _package(
        tmp_path,
        {
            "orders": "from shop import billing\n",
            "billing": """
            def charge():
                from shop import orders  # hidden inside a function, as cycles like to be
                return orders
            """,
        },
    )
    (tmp_path / ".importlinter").write_text(CONFIG)

    result = lint_imports(cwd=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "No cycles in the shop BROKEN" in result.stdout
    assert ".billing -> .orders" in result.stdout or ".orders -> .billing" in result.stdout


def test_the_same_package_without_the_cycle_passes(tmp_path):
    _package(tmp_path, {"orders": "from shop import billing\n", "billing": "def charge():\n    return 1\n"})
    (tmp_path / ".importlinter").write_text(CONFIG)

    result = lint_imports(cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
