"""Staff sign in with user name, password and the 6-digit code on one form, with one button.

The console speaks to the agent: a quote waiting for the customer is not "awaiting your consent", and a change's
ledger reads newest first, as an agent reads a case.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from subscriptions.models import AssistedChange, LedgerEntry
from tests.admin.otp import current_token, device_for
from tests.admin.test_assisted import prepare
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


@pytest.fixture
def staff(roles):
    user = get_user_model().objects.create_user("sam", "sam@example.com", "pw-sam", is_staff=True)
    device_for(user)
    return user


def _sign_in(client: Client, user, *, code: str, password: str = "pw-sam"):
    return client.post(
        LOGIN + "?next=/admin/", {"username": user.get_username(), "password": password, "otp_token": code}
    )


def test_one_form_asks_for_name_password_and_code(client):
    html = client.get(LOGIN).content.decode()
    form = html.split('id="login-form"', 1)[1].split("</form>", 1)[0]

    assert re.findall(r'name="(\w+)"', form) == ["csrfmiddlewaretoken", "username", "password", "otp_token", "next"]
    assert 'autocomplete="one-time-code"' in form and 'inputmode="numeric"' in form
    assert "otp_device" not in html and "otp_challenge" not in html and "Get OTP Challenge" not in html
    assert len(re.findall(r'type="submit"', form)) == 1


def test_the_right_code_signs_in_at_once(client, staff):
    response = _sign_in(client, staff, code=current_token(device_for(staff)))

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_named_as_the_problem(client, staff):
    response = _sign_in(client, staff, code="000000")

    html = response.content.decode()
    assert response.status_code == 200
    assert "That code is not right or has expired. Enter the 6-digit code your authenticator app shows now." in html
    assert client.get("/admin/").status_code == 302


def test_a_wrong_password_does_not_say_anything_about_the_code(client, staff):
    response = _sign_in(client, staff, code=current_token(device_for(staff)), password="nope")

    html = response.content.decode()
    assert "Please enter the correct username and password" in html
    assert "code is not right" not in html


def test_staff_without_an_authenticator_are_told_what_to_do(client, roles):
    user = get_user_model().objects.create_user("newbie", "n@example.com", "pw-sam", is_staff=True)

    html = _sign_in(client, user, code="123456").content.decode()

    assert "No authenticator app is set up for this account. Ask an administrator to add one." in html


def test_the_agent_is_not_the_one_consenting(agent_client, anna, vendor, catalog):
    prepare(agent_client, anna, MONTHLY, kind="increase", running_no=1, quantity=15)
    prepared = AssistedChange.objects.get()

    pages = [
        agent_client.get(reverse("admin:subscriptions_assistedchange_change", args=[prepared.pk])),
        agent_client.get(reverse("admin:subscriptions_assistedchange_changelist")),
        agent_client.get(reverse("admin:subscriptions_quote_changelist")),
        agent_client.get(reverse("admin:subscriptions_customer_change", args=[anna.pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert "your consent" not in html
    assert "Waiting for the customer to agree" in pages[0].content.decode()


def test_a_changes_ledger_reads_newest_first(agent_client, anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    actions = list(LedgerEntry.objects.filter(quote=quote).order_by("-sequence").values_list("action", flat=True))

    html = agent_client.get(reverse("admin:subscriptions_quote_change", args=[quote.pk])).content.decode()

    shown = re.findall(r"change\.[a-z_]+", html.split("Ledger entries", 1)[-1])
    assert [a for i, a in enumerate(shown) if a in actions and a not in shown[:i]] == actions
    assert actions[0] == "change.committed"
