"""The audit ledger is append-only: no update or delete through the ORM, querysets or the admin."""

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, transaction
from django.urls import reverse

from subscriptions import ledger
from subscriptions.models import AppendOnlyError, Consent, LedgerEntry, Quote, QuoteState
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview


@pytest.fixture
def committed(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    quote.refresh_from_db()
    return quote


def test_entries_cannot_be_changed_or_removed(committed):
    entry = LedgerEntry.objects.filter(quote=committed).first()
    original = (entry.action, entry.data)
    entry.action = "change.forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(action="change.forged")
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.bulk_update([entry], ["action"])
    fresh = LedgerEntry.objects.get(pk=entry.pk)
    assert (fresh.action, fresh.data) == original
    assert LedgerEntry.objects.filter(quote=committed).count() == 4


def test_quotes_and_customers_with_entries_cannot_be_deleted(committed):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        committed.delete()
    with pytest.raises(ProtectedError):
        committed.customer.delete()


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(committed):
    with pytest.raises(RuntimeError):
        ledger.record(action="change.noted", quote=committed, data={})


def test_record_masks_secrets_and_keeps_amounts_as_strings(committed):
    from decimal import Decimal

    with transaction.atomic():
        entry = ledger.record(
            action="change.noted",
            quote=committed,
            data={
                "Authorization": "Basic c2FuZGJveDpzYW5kYm94",
                "nested": {"password": "x"},
                "amount": Decimal("1.10"),
            },
        )
    entry = LedgerEntry.objects.get(pk=entry.pk)
    assert entry.data == {"Authorization": "***", "nested": {"password": "***"}, "amount": "1.10"}


def test_no_credentials_reach_the_ledger(committed):
    text = str(list(LedgerEntry.objects.values_list("data", flat=True)))
    assert "c2FuZGJveDpzYW5kYm94" not in text  # base64 of sandbox:sandbox
    assert "Authorization" not in text


def test_admin_shows_entries_read_only(admin_client, committed):
    model_admin = site._registry[LedgerEntry]
    request = type("R", (), {"user": None})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    entry = LedgerEntry.objects.filter(quote=committed).first()
    assert admin_client.get(reverse("admin:subscriptions_ledgerentry_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:subscriptions_ledgerentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    deletion = admin_client.post(reverse("admin:subscriptions_ledgerentry_delete", args=[entry.pk]), {"post": "yes"})
    assert deletion.status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_second_consent_for_a_quote_is_impossible(committed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            quote=committed, customer=committed.customer, text="again", text_version="x", language="en"
        )


def test_two_changes_of_one_item_cannot_be_in_flight(anna_client, vendor):
    _, first = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    _, second = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=2)
    Quote.objects.filter(pk=first.pk).update(state=QuoteState.OUTCOME_UNKNOWN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.filter(pk=second.pk).update(state=QuoteState.COMMITTING)
    Quote.objects.filter(pk=second.pk).update(state=QuoteState.REJECTED)  # finished states do not count
