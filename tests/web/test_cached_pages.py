"""Pages read the vendor through the shared cache: at most one call a view, none for ids that are not the customer's,
and the last known state, said as such, instead of a 503 when the vendor may not be called."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from subscriptions import reads
from subscriptions.cleverbridge.budget import BudgetExhausted, Kind, VendorBlocked, VendorBudget
from subscriptions.errors import NotFound
from subscriptions.models import PortalKey
from tests.cast import ANNA, BENS, MONTHLY, OTTOS, YEARLY
from tests.changes.flows import HTMX, preview

pytestmark = pytest.mark.django_db

PAGE = reverse("subscriptions:subscription", args=[MONTHLY])
STALE_NOTE = "we cannot reach the billing provider right now; changes are paused until we can."


@pytest.fixture
def past_the_bound(monkeypatch, settings):
    """Move the product's clock past the cache's bound: what it holds is no longer fresh, only last known."""

    def move() -> None:
        later = timezone.now() + timedelta(seconds=settings.VENDOR_CACHE_FRESH_SECONDS + 60)
        monkeypatch.setattr(reads, "_now", lambda: later)

    return move


def vendor_down(vendor) -> None:
    for method in ("getsubscription", "getsubscriptionsforcustomer"):
        vendor.fault(method, status=503, count=20)


@pytest.fixture
def vendor_blocks_us(monkeypatch):
    """The shared budget says the vendor has blocked us: the client makes no call and says so."""

    def blocked(*args, **kwargs):
        raise VendorBlocked(timezone.now() + timedelta(seconds=60), 60.0)

    def start() -> None:
        monkeypatch.setattr(VendorBudget, "acquire", blocked)

    return start


def assert_stale(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert '<main id="main" tabindex="-1" class="wrap" data-stale="true">' in html
    assert "Shown as of " in html and STALE_NOTE in html
    return html


def assert_fresh(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-stale" not in html and "Shown as of" not in html
    return html


# --- How many calls a view makes ----------------------------------------------------------------


def test_the_list_is_one_call_and_warms_every_subscription_on_it(anna_client, vendor_calls):
    assert_fresh(anna_client.get("/"))
    assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]

    for subscription_id in (MONTHLY, YEARLY):
        assert_fresh(anna_client.get(reverse("subscriptions:subscription", args=[subscription_id])))
    anna_client.get("/")
    assert len(vendor_calls) == 1


def test_a_page_past_the_bound_reads_once_and_fragments_and_polls_never(anna_client, vendor_calls, past_the_bound):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor_calls.clear()

    for url in (
        reverse("subscriptions:quote", args=[quote.public_id]),
        reverse("subscriptions:receipt", args=[quote.public_id]),
        reverse("subscriptions:changes"),
    ):
        assert anna_client.get(url).status_code == 200
        assert anna_client.get(url, **HTMX).status_code == 200
    assert anna_client.get(PAGE).status_code == 200
    assert len(vendor_calls) == 0

    past_the_bound()
    assert_fresh(anna_client.get(PAGE))
    assert vendor_calls.methods() == ["getsubscription"]
    assert_fresh(anna_client.get("/"))
    assert vendor_calls.methods() == ["getsubscription", "getsubscriptionsforcustomer"]


# --- Ids that are not the customer's --------------------------------------------------------------


@pytest.mark.parametrize("warm", [True, False], ids=["list known", "nothing known"])
def test_another_customers_subscription_is_404_without_a_call_for_it(anna_client, otto, vendor_calls, warm):
    if warm:
        anna_client.get("/")
        vendor_calls.clear()

    assert anna_client.get(reverse("subscriptions:subscription", args=[OTTOS])).status_code == 404
    response, quote = preview(anna_client, OTTOS, kind="increase", running_no=1, quantity=1)
    assert response.status_code == 404 and quote is None
    assert anna_client.get(reverse("subscriptions:subscription", args=[BENS])).status_code == 404

    assert vendor_calls.about(OTTOS) == [] and vendor_calls.about(BENS) == []
    assert vendor_calls.methods() == ([] if warm else ["getsubscriptionsforcustomer"])


def test_a_subscription_missing_from_a_list_older_than_the_bound_is_looked_for_once(
    anna_client, vendor_calls, past_the_bound
):
    anna_client.get("/")
    past_the_bound()
    vendor_calls.clear()

    assert anna_client.get(reverse("subscriptions:subscription", args=[OTTOS])).status_code == 404
    assert anna_client.get(reverse("subscriptions:subscription", args=[OTTOS])).status_code == 404
    assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]
    assert vendor_calls.about(OTTOS) == []


@pytest.mark.parametrize(
    "path",
    [
        "/subscriptions/99999999999999999999/",
        "/subscriptions/9223372036854775808/",
        "/subscriptions/0/",
        "/subscriptions/00000000000000000000/",
        "/subscriptions/99999999999999999999/changes/",
    ],
)
def test_ids_no_subscription_can_have_are_404_without_any_call(anna_client, vendor_calls, path):
    response = anna_client.post(path, {"kind": "increase"}) if path.endswith("changes/") else anna_client.get(path)
    assert response.status_code == 404
    assert len(vendor_calls) == 0


@pytest.mark.parametrize("number", ["99999999999999999999", "9223372036854775808", "0"])
def test_the_url_does_not_match_an_impossible_id(number):
    with pytest.raises(Resolver404):
        resolve(f"/subscriptions/{number}/")
    assert resolve("/subscriptions/9223372036854775807/").kwargs == {"subscription_id": 2**63 - 1}


def test_the_largest_possible_id_is_looked_up_on_the_list_only(anna_client, vendor_calls):
    assert anna_client.get("/subscriptions/9223372036854775807/").status_code == 404
    assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]


def test_the_services_refuse_impossible_ids_too_without_any_call(anna, vendor_calls):
    with pytest.raises(NotFound):
        reads.subscription_for_page(customer=anna, subscription_id=2**63)
    with pytest.raises(NotFound):
        reads.subscription_for_plan(customer=anna, subscription_id=-MONTHLY)
    assert len(vendor_calls) == 0


# --- The vendor cannot be called ---------------------------------------------------------------------


def test_the_vendor_down_shows_the_last_known_state_and_offers_no_change(anna_client, vendor, past_the_bound):
    assert 'name="kind"' in assert_fresh(anna_client.get(PAGE))
    past_the_bound()
    vendor_down(vendor)

    html = assert_stale(anna_client.get(PAGE))
    assert '<td data-label="Seats" class="num">10</td>' in html
    assert 'name="kind"' not in html and reverse("subscriptions:change_preview", args=[MONTHLY]) not in html
    assert "Changes are paused while we cannot reach the billing provider." in html

    html = assert_stale(anna_client.get("/"))
    assert f"S{MONTHLY}" in html and f"S{YEARLY}" in html


def test_an_invalidated_entry_is_still_the_last_known_state(anna_client, vendor):
    anna_client.get(PAGE)
    reads.invalidate(MONTHLY, customer_vendor_id=159215775)
    vendor_down(vendor)

    assert_stale(anna_client.get(PAGE))
    assert_stale(anna_client.get("/"))


def test_the_vendor_blocking_us_shows_the_last_known_state_without_a_call(
    anna_client, vendor_calls, past_the_bound, vendor_blocks_us
):
    anna_client.get(PAGE)
    past_the_bound()
    vendor_blocks_us()
    vendor_calls.clear()

    assert_stale(anna_client.get(PAGE))
    assert_stale(anna_client.get("/"))
    assert len(vendor_calls) == 0


def test_the_budget_used_up_shows_the_last_known_state(anna_client, monkeypatch, past_the_bound):
    anna_client.get(PAGE)
    past_the_bound()

    def exhausted(*args, **kwargs):
        raise BudgetExhausted(Kind.READ, 0.4)

    monkeypatch.setattr(VendorBudget, "acquire", exhausted)
    assert_stale(anna_client.get(PAGE))


@pytest.mark.parametrize("cause", ["down", "blocked"])
def test_with_nothing_known_the_page_is_the_friendly_503(anna_client, vendor, vendor_blocks_us, cause):
    if cause == "down":
        vendor_down(vendor)
    else:
        vendor_blocks_us()
    for url in (PAGE, "/"):
        response = anna_client.get(url)
        assert response.status_code == 503
        assert "cannot be shown right now" in response.content.decode()


def test_the_stale_note_is_german_on_a_german_page(anna_client, vendor, past_the_bound):
    anna_client.get(PAGE)
    past_the_bound()
    vendor_down(vendor)

    html = anna_client.get(PAGE, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Stand: " in html and "wir können den Abrechnungsdienst gerade nicht erreichen" in html
    assert "Änderungen sind angehalten, solange wir den Abrechnungsdienst nicht erreichen." in html


def test_a_portal_sign_in_reads_the_list_once_for_the_pages_that_follow(client, vendor, vendor_calls):
    _key, raw = PortalKey.issue("Cloudify")
    response = client.post(
        "/api/portal-sessions",
        json.dumps({"customer_id": ANNA.vendor_id, "return_url": "https://example.com/"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201
    assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]

    landing = client.get("/" + response.json()["url"].split("://", 1)[1].split("/", 1)[1])
    assert landing.status_code == 302
    assert_fresh(client.get("/"))
    assert_fresh(client.get(PAGE))
    assert len(vendor_calls) == 1
