"""The receipt offers the customer's consent record; the file downloaded is the one verify_ledger accepts."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from subscriptions import ledger
from subscriptions.models import Quote
from tests.cast import sign_in
from tests.changes.conftest import MONTHLY
from tests.changes.flows import commit, preview

LINK_TEXT = "Download the record of your consent (JSON)"


@pytest.fixture
def consented(anna_client) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    return quote


def download_url(quote: Quote) -> str:
    return f"/changes/{quote.public_id}/consent.json"


def test_the_receipt_links_to_the_download(anna_client, consented):
    page = anna_client.get(f"/changes/{consented.public_id}/receipt/").content.decode()

    assert f'<a href="{download_url(consented)}" download>{LINK_TEXT}</a>' in page


def test_the_link_is_in_german_for_a_german_customer(anna_client, consented):
    page = anna_client.get(f"/changes/{consented.public_id}/receipt/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    with translation.override("de"):
        assert translation.gettext(LINK_TEXT) == "Den Nachweis Ihrer Zustimmung herunterladen (JSON)"
    assert "Den Nachweis Ihrer Zustimmung herunterladen (JSON)" in page


def test_a_quote_not_consented_to_has_no_link_and_no_record(anna_client):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    page = anna_client.get(f"/changes/{quote.public_id}/receipt/").content.decode()

    assert LINK_TEXT not in page
    assert anna_client.get(download_url(quote)).status_code == 404


def test_the_download_is_an_attachment_that_verify_ledger_accepts(anna_client, consented, tmp_path):
    response = anna_client.get(download_url(consented))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="consent-{consented.public_id}.json"'
    assert json.loads(response.content) == ledger.consent_record(consented)
    path = tmp_path / "consent.json"
    path.write_bytes(response.content)
    out = StringIO()
    call_command("verify_ledger", "--consent", str(path), stdout=out)
    assert out.getvalue().startswith("consent record intact: ledger entry ")
    assert str(consented.public_id) in out.getvalue()


def test_a_downloaded_record_changed_by_one_cent_does_not_verify(anna_client, consented, tmp_path):
    record = json.loads(anna_client.get(download_url(consented)).content)
    record["entry"]["data"]["charge_now_gross"] = "1159.88"
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(record), encoding="utf-8")

    with pytest.raises(CommandError, match="the record was changed"):
        call_command("verify_ledger", "--consent", str(path), stdout=StringIO())


def test_another_customers_record_is_not_found(consented, otto):
    outsider = sign_in(Client(), otto)
    assert outsider.get(download_url(consented)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(consented):
    response = Client().get(download_url(consented))
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
