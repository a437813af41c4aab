"""Every amount the support console shows is money: currency, grouping and the currency's minor unit ("$1,159.89").

Stored amounts keep three decimals; "1159.890" on a page is a number, not a price. The vendor's own bodies, shown
as they were sent (in <pre>), are the exception.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from subscriptions.models import Quote
from tests.admin.otp import verified
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview

pytestmark = pytest.mark.django_db

BARE_AMOUNT = re.compile(r"(?<![\d.,$€£])\d+\.\d{2,3}(?![\d%])")


def bare_amounts(html: str) -> list[str]:
    """Numbers with decimals and no currency, outside the vendor's bodies and the page's scripts and attributes."""
    html = re.sub(r"<(pre|script|style)\b.*?</\1>", " ", html, flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", html)
    return BARE_AMOUNT.findall(visible)


@pytest.fixture
def a_change(anna_client, vendor) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    quote.refresh_from_db()
    return quote


def test_no_page_of_the_console_shows_a_bare_amount(agent_client, a_change, anna):
    pages = {
        "changes": reverse("admin:subscriptions_quote_changelist"),
        "change": reverse("admin:subscriptions_quote_change", args=[a_change.pk]),
        "customer": reverse("admin:subscriptions_customer_change", args=[anna.pk]),
        "ledger": reverse("admin:subscriptions_ledgerentry_changelist"),
        "consents": reverse("admin:subscriptions_consent_changelist"),
    }
    found = {}
    for name, url in pages.items():
        response = agent_client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        if amounts := bare_amounts(response.content.decode()):
            found[name] = amounts
    assert found == {}
    html = agent_client.get(pages["customer"]).content.decode()
    assert "$1,159.89" in html


def test_nor_do_the_sandboxs_pages_in_the_same_console(a_change, roles):
    """The demo's vendor records (purchases, prices) sit beside ours in the console: the same money."""
    from sandbox.models import Product, Purchase, Subscription

    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    client = verified(superuser)
    purchase = Purchase.objects.filter(subscription_id=MONTHLY).order_by("-id").first()
    pages = {
        "purchases": reverse("admin:sandbox_purchase_changelist"),
        "purchase": reverse("admin:sandbox_purchase_change", args=[purchase.pk]),
        "product": reverse("admin:sandbox_product_change", args=[Product.objects.get(pk=294835).pk]),
        "subscription": reverse("admin:sandbox_subscription_change", args=[Subscription.objects.get(pk=MONTHLY).pk]),
    }
    found = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        if amounts := bare_amounts(response.content.decode()):
            found[name] = amounts
    assert found == {}
    assert "$1,159.89" in client.get(pages["purchases"]).content.decode()
    assert "$600.00" in client.get(pages["product"]).content.decode()


def test_the_check_finds_a_bare_amount():
    assert bare_amounts("<td>1159.890</td><td>$1,159.89</td><pre>1159.89</pre>") == ["1159.890"]


def test_console_pages_write_dates_the_one_way(agent_client, anna, vendor, catalog):
    from subscriptions.models import AssistedChange
    from tests.admin.test_assisted import prepare

    prepare(agent_client, anna, MONTHLY, kind="increase", running_no=1, quantity=15)
    pages = [
        reverse("admin:subscriptions_assistedchange_change", args=[AssistedChange.objects.get().pk]),
        reverse("admin:subscriptions_customer_change", args=[anna.pk]),
        reverse("admin:subscriptions_customer_prepare", args=[anna.pk]),
    ]
    for url in pages:
        html = agent_client.get(url).content.decode()
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(pre|script|style)\b.*?</\1>", " ", html, flags=re.S))
        assert re.findall(r"\b20\d\d-\d\d-\d\d\b", visible) == [], url
    assert "23 May 2026" in agent_client.get(pages[0]).content.decode()
