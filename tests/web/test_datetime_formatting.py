from datetime import UTC, datetime

from django.utils import translation

from subscriptions.formatting import format_datetime, timeline_label


def test_moments_read_as_day_month_name_year_and_time_in_utc():
    moment = datetime(2026, 4, 24, 16, 1, 10, tzinfo=UTC)
    assert format_datetime(moment, "en") == "24 April 2026, 16:01 UTC"
    assert format_datetime(moment, "de") == "24. April 2026, 16:01 UTC"
    assert format_datetime(None, "en") == ""


def test_customers_see_words_for_ledger_actions_and_nothing_for_staff_only_ones():
    with translation.override("en"):
        assert timeline_label("change.paid") == "Payment received"
    with translation.override("de"):
        assert timeline_label("change.paid") == "Zahlung eingegangen"
    assert timeline_label("staff.viewed_subscription") is None
