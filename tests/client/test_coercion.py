"""One set of helpers reads the vendor's values for the API client and the notification parser alike."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from subscriptions.cleverbridge import Unavailable
from subscriptions.cleverbridge.parsing import REQUIRED, Unreadable, amount, json_object, moment, text, whole_number
from tests.client.scripted import Vendor, reply


@pytest.mark.parametrize(
    ("value", "number"), [(7, 7), (Decimal("7"), 7), ("7", 7), (" S68574751 ", 68574751), ("s12", 12), (-3, -3)]
)
def test_whole_numbers_read_from_numbers_and_digit_strings(value, number):
    assert whole_number(value, "Id") == number


@pytest.mark.parametrize("value", [True, "12x", "²", "S¹²", Decimal("1.5"), 1.0, [1], "-3"])
def test_anything_else_is_not_a_whole_number(value):
    with pytest.raises(Unreadable, match=r"^Id is not a whole number$"):
        whole_number(value, "Id")


def test_a_missing_number_is_required_unless_the_caller_names_a_default():
    with pytest.raises(Unreadable, match=r"^Id is missing$"):
        whole_number(None, "Id")
    with pytest.raises(Unreadable, match=r"^Id is missing$"):
        whole_number("", "Id", missing=REQUIRED)
    assert whole_number(None, "Status", missing=1) == 1
    assert whole_number("", "quantity", missing=None) is None


def test_a_bound_keeps_a_number_within_what_its_column_holds():
    assert whole_number(2**31 - 1, "quantity", most=2**31 - 1) == 2**31 - 1
    with pytest.raises(Unreadable, match="quantity is out of range"):
        whole_number(2**31, "quantity", most=2**31 - 1)
    with pytest.raises(Unreadable, match="quantity is out of range"):
        whole_number(-1, "quantity", most=2**31 - 1)
    assert whole_number(2**70, "Id") == 2**70


def test_amounts_are_exact_decimals():
    assert amount(Decimal("1159.89"), "Gross") == Decimal("1159.89")
    assert amount("0.10", "Gross") == Decimal("0.10")
    assert amount(800, "Gross") == Decimal(800)
    assert amount(None, "Gross", missing=Decimal(0)) == Decimal(0)
    assert amount("", "Gross", missing=None) is None
    for bad in ("lots", "NaN", "Infinity", True, 1.5, {"value": 1}):
        with pytest.raises(Unreadable, match=r"^Gross is not an amount$"):
            amount(bad, "Gross")
    with pytest.raises(Unreadable, match=r"^Gross is missing$"):
        amount(None, "Gross")


def test_timestamps_without_an_offset_mean_utc():
    assert moment("2026-04-24T16:01:10.5", "Date") == datetime(2026, 4, 24, 16, 1, 10, 500000, tzinfo=UTC)
    assert moment("2026-04-24T18:01:10+02:00", "Date") == datetime(2026, 4, 24, 16, 1, 10, tzinfo=UTC)
    assert moment("2026-04-24T18:01:10+02:00", "Date").utcoffset() == timedelta(0)
    assert moment("2026-04-24T16:01:10Z", "Date") == datetime(2026, 4, 24, 16, 1, 10, tzinfo=UTC)
    assert moment(None, "Date") is None
    with pytest.raises(Unreadable, match=r"^Date is missing$"):
        moment("", "Date", missing=REQUIRED)
    for bad in ("tomorrow", 20260424):
        with pytest.raises(Unreadable, match=r"^Date is not a timestamp$"):
            moment(bad, "Date")


def test_text_never_holds_nul():
    assert text(None) == ""
    assert text("Cloudify\x00 M") == "Cloudify\ufffd M"
    assert text(42) == "42"


@pytest.mark.parametrize(
    ("body", "why"), [("{not json", "not JSON"), ("[1]", "not a JSON object"), ("[" * 100000, "not JSON")]
)
def test_only_a_json_object_is_read(body, why):
    with pytest.raises(Unreadable, match=why):
        json_object(body)


def test_a_vendor_answer_nested_too_deep_is_unavailable_not_a_crash(client_for):
    vendor = Vendor(reply(200, "[" * 100000))

    with pytest.raises(Unavailable, match="no usable answer"):
        client_for(vendor).get_subscription(68574751)
