"""Which of the new changes a subscription offers, when each takes effect, and what comes before a cancellation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from subscriptions.catalog import offers_for, retention_offers
from subscriptions.cleverbridge import get_client
from subscriptions.models import CatalogProduct, ChangeKind, PlanSwitch
from tests.cast import BACKUP, CLOUDIFY_L, CLOUDIFY_M, CLOUDIFY_S, DEACTIVATED, MONTHLY, YEARLY
from tests.changes.scheduled import commit, quote

BILLING_DATE = datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
NEW = set(ChangeKind.values) - {"increase", "coterm", "addon"}


def _new(subscription_id: int) -> list[tuple]:
    offers = offers_for(get_client().get_subscription(subscription_id))
    return [
        (offer.kind, offer.running_no, offer.new_product_id, offer.effective_at)
        for offer in offers
        if offer.kind in NEW
    ]


def test_the_monthly_plan_offers_fewer_seats_switches_and_cancelling(vendor, catalog):
    assert _new(MONTHLY) == [
        ("reduce", 1, CLOUDIFY_M, BILLING_DATE),
        ("switch_now", 1, CLOUDIFY_L, None),
        ("switch_later", 1, CLOUDIFY_L, BILLING_DATE),
        ("switch_later", 1, CLOUDIFY_S, BILLING_DATE),
        ("cancel", None, None, BILLING_DATE),
    ]
    offers = offers_for(get_client().get_subscription(MONTHLY))
    reduce = next(offer for offer in offers if offer.kind == "reduce")
    assert (reduce.current_quantity, reduce.min_quantity, reduce.max_quantity) == (10, 1, 9)
    switch = next(offer for offer in offers if offer.kind == "switch_now")
    assert (switch.new_product_name, switch.total_quantity, switch.takes_effect_now) == ("Cloudify L", 10, True)


def test_an_add_on_item_may_be_removed_but_not_the_last_item(vendor, catalog, scenario):
    scenario["subscriptions"][0]["items"].append({"product_id": BACKUP, "quantity": 1})
    vendor.load(scenario, reset=True)

    removals = [offer for offer in _new(MONTHLY) if offer[0] == "remove_addon"]

    assert removals == [("remove_addon", 2, BACKUP, BILLING_DATE)]
    assert not [offer for offer in _new(YEARLY) if offer[0] == "remove_addon"]


def test_the_fewest_seats_and_the_switches_follow_the_catalog(vendor, catalog):
    product = CatalogProduct.objects.get(vendor_product_id=CLOUDIFY_M)
    product.min_total_seats = 10
    product.save()
    PlanSwitch.objects.filter(to_product_id=CLOUDIFY_S).update(active=False)
    PlanSwitch.objects.get(to_product_id=CLOUDIFY_L).save()  # a save moves the catalog on, as the admin does

    kinds = [offer[0] for offer in _new(MONTHLY)]

    assert "reduce" not in kinds and kinds.count("switch_later") == 1


def test_a_cancelling_subscription_offers_only_to_resume(anna, vendor, catalog):
    commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL))

    offers = offers_for(get_client().get_subscription(MONTHLY))

    assert [(offer.kind, offer.effective_at) for offer in offers] == [("resume", None)]


def test_a_scheduled_item_offers_only_its_undo(anna, vendor, catalog):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))

    offers = offers_for(get_client().get_subscription(MONTHLY))

    assert [(offer.kind, offer.running_no) for offer in offers if offer.running_no == 1] == [("undo", 1)]
    assert "cancel" in [offer.kind for offer in offers]


def test_an_inactive_subscription_offers_nothing_new(vendor, catalog):
    assert _new(DEACTIVATED) == []


def test_retention_offers_fewer_seats_and_the_cheaper_plan_only(vendor, catalog):
    subscription = get_client().get_subscription(MONTHLY)

    kept = [(offer.kind, offer.new_product_id) for offer in retention_offers(subscription)]

    assert kept == [("reduce", CLOUDIFY_M), ("switch_later", CLOUDIFY_S)]
    product = CatalogProduct.objects.get(vendor_product_id=CLOUDIFY_M)
    product.retain_with_fewer_seats = False
    product.retain_with_cheaper_plan = False
    product.save()
    assert retention_offers(subscription) == []


def test_the_catalog_refuses_a_fewest_seats_above_the_most_and_a_switch_to_itself(catalog):
    product = CatalogProduct.objects.get(vendor_product_id=CLOUDIFY_M)
    product.min_total_seats = product.max_total_seats + 1
    with pytest.raises(ValidationError) as refused:
        product.full_clean()
    assert "min_total_seats" in refused.value.message_dict
    switch = PlanSwitch(product=product, to_product_id=CLOUDIFY_M, to_name="Cloudify M")
    with pytest.raises(ValidationError) as refused:
        switch.full_clean()
    assert "to_product_id" in refused.value.message_dict


def test_a_cancelling_subscription_offers_no_undo_of_what_would_never_take_effect(anna, vendor, catalog):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))
    commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL))

    offers = offers_for(get_client().get_subscription(MONTHLY))

    assert [offer.kind for offer in offers] == ["resume"]  # an undo would promise billing after the end
