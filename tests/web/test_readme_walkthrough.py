"""The README's walk-through promises what the customer sees; this walks it and checks each promise on the page.

Every amount, date and subscription id a step of "A walk through the guides' figures" names is looked for on the
page that step is about, so the README and the pages cannot drift apart.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.cast import COTERM_NOW, MONTHLY, YEARLY
from tests.changes.flows import commit, preview
from tests.web.test_pages import text

pytestmark = pytest.mark.django_db

FIGURE = re.compile(
    r"\$[\d,]+\.\d{2}|\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December) \d{4}\b|\bS\d{8}\b|\b\d+ seats\b"
)


def walkthrough_steps() -> dict[int, str]:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("### A walk through the guides' figures", 1)[1].split("\n### ", 1)[0]
    steps = {}
    for match in re.finditer(r"^(\d+)\. (.*?)(?=^\d+\. |\Z)", section, flags=re.S | re.M):
        steps[int(match.group(1))] = re.sub(r"\s+", " ", match.group(2))
    return steps


def sentences(step: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.:])\s+(?=[A-Z*])", step) if part]


def promised(sentence: str) -> list[str]:
    return FIGURE.findall(sentence)


def test_step_2_my_subscriptions_and_the_subscription_page(anna_client, vendor):
    step = walkthrough_steps()[2]
    listing = text(anna_client.get("/"))
    page = text(anna_client.get(reverse("subscriptions:subscription", args=[MONTHLY])))

    on_list = [s for s in sentences(step) if "My subscriptions" in s]
    on_page = [s for s in sentences(step) if "page of S68574751" in s]
    assert on_list and on_page, step
    assert [f for s in on_list for f in promised(s) if f not in listing] == []
    assert [f for s in on_page for f in promised(s) if f not in page] == []


def test_step_3_add_seats_now(anna_client, vendor):
    step = walkthrough_steps()[3]
    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    quote_page = text(anna_client.get(response["Location"]))
    commit(anna_client, quote)
    receipt = text(anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])))
    history = text(anna_client.get(reverse("subscriptions:changes")))

    figures = promised(step)
    assert "$1,159.89" in figures and "25 seats" in figures
    assert [f for f in figures if f not in quote_page + receipt] == []
    assert "25 seats" in receipt and "Cloudify M: 10 → 25 seats" in history


def test_step_4_a_co_termed_seat(anna_client, vendor):
    step = walkthrough_steps()[4]
    assert COTERM_NOW in step
    vendor.clock(COTERM_NOW)
    page = text(anna_client.get(reverse("subscriptions:subscription", args=[YEARLY])))
    response, _ = preview(anna_client, YEARLY, kind="coterm", running_no=1)
    quote_page = text(anna_client.get(response["Location"]))

    figures = promised(step)
    assert "$600.00" in figures and "$540.82" in figures
    assert [f for f in figures if f not in page + quote_page] == []


def test_the_walk_through_is_found():
    steps = walkthrough_steps()
    assert set(steps) >= {1, 2, 3, 4, 5, 6}
    assert promised("$800.00 = $672.27 net on 23 May 2026 for S68574751") == [
        "$800.00",
        "$672.27",
        "23 May 2026",
        "S68574751",
    ]
