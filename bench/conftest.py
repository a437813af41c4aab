"""Benchmarks share the test suite's fixtures: the in-process sandbox stands in for the vendor."""

from tests.changes.conftest import anna, browser, catalog, scenario, vendor  # noqa: F401
from tests.conftest import _in_process_vendor, _test_settings, vendor_pauses  # noqa: F401
