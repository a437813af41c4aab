"""Each of the product's vendor calls draws from the budget in its class: visitors not yet known never as customers."""

import pytest

from subscriptions import reads, signin
from subscriptions.cleverbridge.budget import get_budget
from tests.cast import *  # noqa: F403
from tests.cast import ANNA
from tests.changes.flows import commit, preview

MONTHLY = 68574751


@pytest.fixture
def permits(monkeypatch) -> list[str]:
    """The class of every permit taken from this process's budget."""
    budget = get_budget()
    acquire = budget.acquire
    asked: list[str] = []

    def counted(*, kind, **kwargs):
        asked.append(str(kind))
        return acquire(kind=kind, **kwargs)

    monkeypatch.setattr(budget, "acquire", counted)
    return asked


def test_the_sign_in_lookup_by_e_mail_is_anonymous(anna, permits):
    assert signin.sign_in_email_send(email=ANNA.email) == 1
    assert permits == ["anonymous"]


def test_the_portal_sessions_customer_check_is_a_read(anna, permits):
    """The vendor's product asks with its key (throttled per key and IP): the visit's first read, not a visitor's."""
    assert signin.portal_customer_known(customer_id=ANNA.vendor_id)
    assert permits == ["read"]


def test_a_signed_in_customers_pages_are_reads(anna_client, permits):
    assert anna_client.get("/").status_code == 200
    assert anna_client.get(f"/subscriptions/{MONTHLY}/").status_code == 200
    assert permits == ["read"]  # the list's read also keeps the subscription for its page


def test_the_lookup_by_customer_id_is_a_read(anna, permits):
    reads.customer_subscriptions(customer=anna)
    assert permits == ["read"]


def test_a_quote_is_a_read_then_a_preview_and_a_confirmation_adds_a_commit(anna_client, permits):
    _response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    assert permits == ["read", "preview"]

    commit(anna_client, quote)
    assert permits == ["read", "preview", "read", "preview", "commit"]
