"""Unpriced changes (deactivate, reinstate, renewal type): their bodies, and apply() under a commit's rules."""

import logging

import httpx
import pytest

from subscriptions.cleverbridge import (
    AddItem,
    DeactivateItems,
    IncreaseQuantity,
    OutcomeUnknown,
    ReinstateItems,
    Rejected,
    SetRenewalType,
    Unavailable,
    UpdateItem,
)
from subscriptions.cleverbridge.budget import Kind
from tests.client.scripted import Vendor, reply

OK = reply(200, {"ResultMessage": "OK"})
DEACTIVATE = DeactivateItems(subscription_id=68574751, running_nos=(2,))
UNPRICED = [
    pytest.param(DEACTIVATE, id="deactivate"),
    pytest.param(ReinstateItems(68574751, (2, 3)), id="reinstate"),
    pytest.param(SetRenewalType(68574751, "Manual"), id="renewal-type"),
]
PRICED = [
    pytest.param(IncreaseQuantity(68574751, 1, 2), id="increase"),
    pytest.param(UpdateItem(68574751, 1, 293160, 5), id="update"),
    pytest.param(AddItem(68574751, 294835), id="add"),
]


# --- Bodies ----------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False])
def test_unpriced_bodies_are_the_vendors_and_ignore_preview(preview):
    assert DeactivateItems(12345678, (3,)).request_body(preview=preview) == {
        "SubscriptionId": "S12345678",
        "Items": [3],
        "GenerateMail": True,
    }
    assert ReinstateItems(12345678, (2, 3)).request_body(preview=preview) == {
        "SubscriptionId": "S12345678",
        "Items": [2, 3],
        "GenerateMail": True,
    }
    assert SetRenewalType(12345678, "Automatic").request_body(preview=preview) == {
        "SubscriptionId": "S12345678",
        "RenewalType": "Automatic",
    }


def test_method_names_and_which_are_priced():
    assert DeactivateItems(1, (1,)).method == "deactivatesubscriptionitems"
    assert ReinstateItems(1, (1,)).method == "reinstatesubscriptionitems"
    assert SetRenewalType(1, "Manual").method == "updatesubscriptionrenewaltype"
    assert [change.priced for change in (IncreaseQuantity(1, 1, 1), UpdateItem(1, 1, 1, 1), AddItem(1, 1))] == [
        True,
        True,
        True,
    ]
    assert [
        change.priced for change in (DeactivateItems(1, (1,)), ReinstateItems(1, (1,)), SetRenewalType(1, "Manual"))
    ] == [
        False,
        False,
        False,
    ]


@pytest.mark.parametrize("preview", [True, False])
def test_a_change_at_the_next_billing_date_is_sent_without_alignment(preview):
    body = UpdateItem(12345678, 1, 293160, 8, update_action="Downgrade", at_next_billing=True).request_body(
        preview=preview
    )
    assert body == {
        "SubscriptionId": "S12345678",
        "RunningNumber": 1,
        "ProductId": 293160,
        "Quantity": 8,
        "UpdateAction": "Downgrade",
        "TriggerImmediateRenewal": False,
        "AlignmentSettings": {
            "AlignToCurrentInterval": False,
            "ExtendInterval": False,
            "GetCustomerPricePreviewOnly": preview,
        },
        "GenerateMail": not preview,
    }


def test_an_upgrade_is_aligned_unless_asked_for_the_next_billing_date():
    now = UpdateItem(1, 1, 2, 3, update_action="Upgrade").request_body(preview=False)
    later = UpdateItem(1, 1, 2, 3, update_action="Update", at_next_billing=True).request_body(preview=False)
    assert now["AlignmentSettings"]["AlignToCurrentInterval"] is True
    assert later["AlignmentSettings"]["AlignToCurrentInterval"] is False
    assert later["TriggerImmediateRenewal"] is False


@pytest.mark.parametrize(
    "build",
    [
        lambda: UpdateItem(1, 1, 1, 3, update_action="Downgrade"),
        lambda: DeactivateItems(1, ()),
        lambda: DeactivateItems(1, [2]),
        lambda: DeactivateItems(1, (0,)),
        lambda: DeactivateItems(1, (2, 2)),
        lambda: ReinstateItems(1, (True,)),
        lambda: ReinstateItems("S1", ("2",)),
        lambda: SetRenewalType(1, "manual"),
        lambda: SetRenewalType(1, "Never"),
    ],
)
def test_nonsense_changes_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_a_bad_subscription_id_is_refused_when_the_body_is_built():
    with pytest.raises(ValueError):
        SetRenewalType("S12x", "Manual").request_body(preview=False)


# --- apply() -----------------------------------------------------------------------


@pytest.mark.parametrize("change", UNPRICED)
def test_apply_sends_once_and_returns_the_exchange(client_for, change):
    vendor = Vendor(OK)

    exchange = client_for(vendor).apply(change)

    assert vendor.requests[0].method == "POST"
    assert vendor.requests[0].url.path == f"/subscription/{change.method}"
    assert vendor.bodies() == [change.request_body(preview=False)]
    assert (exchange.method, exchange.status) == (change.method, 200)
    assert exchange.request_body == change.request_body(preview=False)
    assert '"OK"' in exchange.response_text


def test_apply_draws_a_commit_permit(client_for, budget, monkeypatch):
    kinds = []
    acquire = budget.acquire

    def counted(*, kind, **kwargs):
        kinds.append(kind)
        return acquire(kind=kind, **kwargs)

    monkeypatch.setattr(budget, "acquire", counted)
    client_for(Vendor(OK)).apply(DEACTIVATE)
    assert kinds == [Kind.COMMIT]


@pytest.mark.parametrize("status", [400, 402, 404])
def test_apply_refused_by_the_vendor_is_rejected(client_for, sleep, status):
    vendor = Vendor(reply(status, {"ResultMessage": "At least one item must stay active."}), OK)

    with pytest.raises(Rejected) as caught:
        client_for(vendor).apply(DEACTIVATE)

    assert (caught.value.status, caught.value.message) == (status, "At least one item must stay active.")
    assert caught.value.method == "deactivatesubscriptionitems"
    assert len(vendor.requests) == 1
    assert sleep.calls == []


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(reply(500, {"ResultMessage": "Internal error"}), id="500"),
        pytest.param(reply(502, "<html>Bad Gateway</html>"), id="502-html"),
        pytest.param(reply(200, "<html>oops</html>"), id="200-unreadable"),
        pytest.param(reply(200, {"ResultMessage": "Pending"}), id="200-not-ok"),
        pytest.param(reply(200, {}), id="200-no-result-message"),
        pytest.param(httpx.ReadTimeout, id="read-timeout"),
        pytest.param(httpx.WriteTimeout, id="write-timeout"),
        pytest.param(httpx.RemoteProtocolError, id="protocol-error"),
    ],
)
def test_apply_without_a_definite_answer_is_outcome_unknown_after_one_send(client_for, sleep, failure):
    vendor = Vendor(failure, OK)

    with pytest.raises(OutcomeUnknown) as caught:
        client_for(vendor).apply(DEACTIVATE)

    assert len(vendor.requests) == 1
    assert sleep.calls == []
    assert caught.value.exchange.request_body == DEACTIVATE.request_body(preview=False)


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_apply_that_could_not_be_sent_is_unavailable(client_for, sleep, failure):
    vendor = Vendor(failure, OK)

    with pytest.raises(Unavailable):
        client_for(vendor).apply(DEACTIVATE)

    assert len(vendor.requests) == 1
    assert sleep.calls == []


def test_rate_limited_apply_is_unavailable_and_not_retried(client_for, sleep, budget):
    vendor = Vendor(reply(429, {"ResultMessage": "Too many requests"}, {"Retry-After": "2"}), OK)

    with pytest.raises(Unavailable) as caught:
        client_for(vendor).apply(SetRenewalType(68574751, "Manual"))

    assert caught.value.retry_after == 2
    assert len(vendor.requests) == 1
    assert sleep.calls == []


def test_apply_is_logged_once(client_for, caplog):
    caplog.set_level(logging.INFO, logger="subscriptions.cleverbridge")
    client_for(Vendor(OK)).apply(DEACTIVATE)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "subscriptions.cleverbridge"]
    assert "deactivatesubscriptionitems S68574751" in line and "committed" in line


@pytest.mark.parametrize("change", UNPRICED)
def test_unpriced_changes_cannot_be_previewed_or_committed(client_for, change):
    vendor = Vendor(OK)
    client = client_for(vendor)
    with pytest.raises(TypeError):
        client.preview(change)
    with pytest.raises(TypeError):
        client.commit(change)
    assert vendor.requests == []


@pytest.mark.parametrize("change", PRICED)
def test_priced_changes_cannot_be_applied(client_for, change):
    vendor = Vendor(OK)
    with pytest.raises(TypeError):
        client_for(vendor).apply(change)
    assert vendor.requests == []
