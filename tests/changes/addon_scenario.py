"""Anna's monthly subscription with an add-on item: ten seats of Cloudify M (800.00) and Cloudify Backup (15.00)."""

import pytest

from tests.cast import BACKUP

__all__ = ["scenario"]


@pytest.fixture
def scenario(scenario):
    scenario["subscriptions"][0]["items"].append({"product_id": BACKUP, "quantity": 1})
    return scenario
