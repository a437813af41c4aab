"""Money, dates, statuses and a quote's words for people: one implementation for pages, e-mails and the admin.

Babel does the locale work; we never build "1.234,56" by hand. Dates are written with the
month's name so "05/06" cannot be misread. The consent text is built here from the stored quote
alone, so what was shown, what was agreed and what the ledger keeps are the same words.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, get_currency_precision
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext, to_locale
from django.utils.translation import gettext_lazy as _

from subscriptions.cleverbridge import STATUS_LABELS
from subscriptions.models import CancelReason, ChangeKind, Quote

__all__ = [
    "CONSENT_TEXT_VERSION",
    "babel_locale",
    "cancel_reason_label",
    "charge_difference",
    "consent_text",
    "format_date",
    "format_datetime",
    "format_money",
    "format_month",
    "format_validity",
    "interval_phrase",
    "kind_label",
    "payment_label",
    "quote_state_phrase",
    "reconsent_explanation",
    "renewal_type_label",
    "sca_may_apply",
    "staff_state_label",
    "status_label",
    "status_sentence",
    "timeline_label",
    "with_currency",
]

DATE_PATTERNS = {"en": "d MMMM y", "de": "d. MMMM y"}
"""Day, month name, year: unambiguous. Other languages use Babel's "long" format."""


def babel_locale(locale: str | None = None) -> Locale:
    """A Babel locale from a Django language code ("de", "en-us") or locale ("de_DE"); default: the active one."""
    code = to_locale(locale or translation.get_language() or "en")
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_money(amount: Decimal | int | str, currency: str, locale: str | None = None) -> str:
    """`format_money(Decimal("1159.89"), "USD", "de")` → "1.159,89 $"; "en" → "$1,159.89".

    Rounded half-up to the currency's minor unit first, as the vendor rounds (Babel alone rounds half-even).
    """
    minor_unit = Decimal(1).scaleb(-get_currency_precision(currency))
    rounded = Decimal(amount).quantize(minor_unit, rounding=ROUND_HALF_UP)
    return format_currency(rounded, currency, locale=babel_locale(locale))


def format_date(value: date | datetime | None, locale: str | None = None) -> str:
    """`format_date(datetime(2026, 5, 23, ...), "en")` → "23 May 2026"; "de" → "23. Mai 2026"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    loc = babel_locale(locale)
    return babel_format_date(value, format=DATE_PATTERNS.get(loc.language, "long"), locale=loc)


def format_datetime(value: datetime | None, locale: str | None = None) -> str:
    """`format_datetime(aware, "en")` → "21 November 2026, 12:46 UTC"; "de" → "21. November 2026, 12:46 UTC"."""
    if value is None:
        return ""
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(moment, locale)}, {moment:%H:%M} {moment.tzname() or 'UTC'}"


def format_validity(value: datetime, *, now: datetime | None = None, locale: str | None = None) -> str:
    """Until when something holds: "today, 13:12 UTC" on the day itself, else with its date, as format_datetime."""
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    today = timezone.localtime(now or timezone.now())
    if moment.date() != today.date():
        return format_datetime(value, locale)
    with translation.override(locale or translation.get_language()):
        return gettext("today, %(time)s") % {"time": f"{moment:%H:%M} {moment.tzname() or 'UTC'}"}


BARE_AMOUNT = re.compile(r"(?<![\d.,$€£¥])(\d+\.\d{2})(?![\d%])")


def with_currency(text: str, currency: str, locale: str | None = None) -> str:
    """Amounts written bare in the catalog's own words ("Second seat at 600.00/year") as money in `currency`."""
    if not text or not currency:
        return text
    return BARE_AMOUNT.sub(lambda match: format_money(Decimal(match.group(1)), currency, locale), text)


TIMELINE_LABELS = {
    "change.quoted": _("Price quoted"),
    "change.prepared_by_agent": _("Prepared for you by our support team"),
    "change.consent_link_sent": _("Link to review the change sent by e-mail"),
    "change.consented": _("You agreed"),
    "change.reconsent_required": _("The price changed; a new agreement is needed"),
    "change.commit_sent": _("Sent to the billing provider"),
    "change.committed": _("Confirmed by the billing provider"),
    "change.confirmed_applied": _("Confirmed by the billing provider"),
    "change.rejected": _("Declined by the billing provider; nothing was charged"),
    "change.not_sent": _("Not sent; nothing was charged"),
    "change.outcome_unknown": _("Being confirmed with the billing provider"),
    "change.paid": _("Payment received"),
    "change.failed": _("Not applied; nothing was charged"),
    "change.flagged_for_support": _("Passed to our support team to check"),
    "change.charged_above_consent": _("Passed to our support team to check"),
}
"""What a customer's receipt says for each ledger action; actions not listed stay in the admin only."""


QUOTE_STATE_PHRASES = {
    "quoted": _("waiting for your agreement"),
    "committing": _("being confirmed with the billing provider"),
    "outcome_unknown": _("being confirmed with the billing provider"),
    "committed": _("done"),
    "paid": _("paid"),
    "rejected": _("declined by the billing provider, and nothing was charged"),
    "not_sent": _("not sent, and nothing was charged"),
    "failed": _("not applied, and nothing was charged"),
    "superseded": _("replaced by a new quote, and nothing was charged"),
    "expired": _("expired"),
}
"""A quote's state inside a sentence ("…; it is paid.")."""


STAFF_STATE_LABELS = {
    "quoted": "Waiting for the customer to agree",
    "committing": "Being sent",
    "committed": "Committed",
    "rejected": "Declined by the vendor",
    "not_sent": "Not sent",
    "outcome_unknown": "Outcome unknown, being reconciled",
    "superseded": "Replaced (terms changed before commit)",
    "expired": "Expired unused",
    "paid": "Paid",
    "failed": "Not applied",
}
"""A quote's state in the support console's words (English only, like the console): the QuoteState labels speak
to the customer ("Awaiting your consent"), and the agent reading them is not the one consenting."""


def staff_state_label(state: str) -> str:
    return STAFF_STATE_LABELS.get(str(state), str(state))


def quote_state_phrase(state: str) -> str:
    phrase = QUOTE_STATE_PHRASES.get(str(state))
    return str(phrase) if phrase is not None else str(state)


def timeline_label(action: str) -> str | None:
    label = TIMELINE_LABELS.get(action)
    return str(label) if label is not None else None


CUSTOMER_STATUS_LABELS = {
    3: _("Ended"),
    4: _("Payment overdue"),
    5: _("On hold"),
    6: _("Starting"),
    7: _("Managed elsewhere"),
    8: _("Awaiting a new order"),
}
"""The vendor's words for a status where they mean nothing to a customer ("Grace", "Hold", "Handled by client")."""

STATUS_SENTENCES = {
    2: _("This subscription has ended and is no longer billed."),
    3: _("This subscription has ended and is no longer billed."),
    4: _(
        "The last payment for this subscription did not go through. Please update your payment method so that it "
        "continues; until then it cannot be changed here."
    ),
    5: _("This subscription is on hold because a payment failed. It cannot be changed here until it is paid."),
    6: _("This subscription starts once its first payment is confirmed. It cannot be changed here before then."),
    7: _("This subscription is managed outside this portal, so it cannot be changed here."),
    8: _("This subscription is waiting for a new order, so it cannot be changed here."),
}

ENDED_STATUSES = frozenset({2, 3})
"""Deactivated and finished: not billed again, so no "next billing" is shown."""


def status_label(status: int) -> str:
    """The vendor's status number in words a customer understands, translatable."""
    label = CUSTOMER_STATUS_LABELS.get(status) or STATUS_LABELS.get(status)
    return str(label) if label is not None else str(_("Unknown status ({status})")).format(status=status)


def status_sentence(status: int) -> str:
    """What a subscription that is not active means for the customer, in one or two sentences."""
    sentence = STATUS_SENTENCES.get(status)
    if sentence is None:
        return gettext("This subscription is not active, so it cannot be changed here.")
    return str(sentence)


EEA = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)
"""The European Economic Area, where Strong Customer Authentication applies (PSD2)."""


def sca_may_apply(country: str | None) -> bool:
    """Whether the bank may ask the customer to confirm a card payment: in the EEA, or when we do not know."""
    return not country or country.upper() in EEA


def format_month(year: int | None, month: int | None, locale: str | None = None) -> str:
    """A card's expiry month: "December 2027" ("Dezember 2027")."""
    if not year or not month:
        return ""
    return babel_format_date(date(year, month, 1), format="MMMM y", locale=babel_locale(locale))


RENEWAL_TYPE_LABELS = {"Automatic": _("Automatic"), "Manual": _("Off")}
"""A customer reads "Manual" as "I have to renew by hand"; for them it means the subscription ends."""


def renewal_type_label(renewal_type: str) -> str:
    return str(RENEWAL_TYPE_LABELS.get(renewal_type, renewal_type))


def interval_phrase(months: int, days: int, *, label: bool = False) -> str:
    """A billing interval in words, inside a sentence or (`label=True`) on its own.

    In a sentence: "per month", "per year", "every 3 months", "every 14 days", else "per billing interval".
    As a label: "Monthly", "Yearly", "Every 3 months", "Every 14 days", else "" (nothing to show).
    """
    if months and not days:
        if months == 1:
            return gettext("Monthly") if label else gettext("per month")
        if months == 12:
            return gettext("Yearly") if label else gettext("per year")
        if label:
            return ngettext("Every %(n)d month", "Every %(n)d months", months) % {"n": months}
        return gettext("every %(n)d months") % {"n": months}
    if days and not months:
        if label:
            return ngettext("Every %(n)d day", "Every %(n)d days", days) % {"n": days}
        return gettext("every %(n)d days") % {"n": days}
    return "" if label else gettext("per billing interval")


# --- The words of a quote ---------------------------------------------------------------------

CONSENT_TEXT_VERSION = "2026-11-1"
"""Stored with every consent; a change to the sentence below gets a new version."""


def payment_label(quote: Quote) -> str:
    """What the quote will be charged to: "Visa ending in 765T", or the type alone, or the method on file."""
    if quote.payment_type and quote.payment_last_four:
        return gettext("%(type)s ending in %(last_four)s") % {
            "type": quote.payment_type,
            "last_four": quote.payment_last_four,
        }
    if quote.payment_type:
        return quote.payment_type
    return gettext("the payment method on file")


def consent_text(quote: Quote, *, language: str | None = None) -> str:
    """The exact sentence the customer agrees to, built from the stored quote only (version CONSENT_TEXT_VERSION)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            "product": quote.product_name,
            "subscription": f"S{quote.subscription_id}",
            "before": quote.quantity_before,
            "after": quote.quantity_after,
            "charge_gross": format_money(quote.charge_now_gross, quote.currency, language),
            "charge_net": format_money(quote.charge_now_net, quote.currency, language),
            "charge_vat": format_money(quote.charge_now_vat, quote.currency, language),
            "until": format_date(quote.next_billing_date, language),
            "recurring_gross": format_money(quote.next_billing_gross, quote.currency, language),
            "recurring_net": format_money(quote.next_billing_net, quote.currency, language),
            "recurring_vat": format_money(quote.next_billing_vat, quote.currency, language),
            "interval": interval_phrase(quote.interval_months, quote.interval_days),
            "payment": payment_label(quote),
            "new_product": quote.new_product_name or quote.product_name,
        }
        if quote.kind in NEW_KIND_TEXTS:
            return NEW_KIND_TEXTS[quote.kind](quote, values, language)
        if quote.kind == ChangeKind.ADDON:
            what = gettext("I agree to add %(product)s to subscription %(subscription)s.") % values
        else:
            what = (
                gettext(
                    "I agree to change %(product)s on subscription %(subscription)s from %(before)d to %(after)d seats."
                )
                % values
            )
        money = (
            gettext(
                "%(charge_gross)s (%(charge_net)s net plus %(charge_vat)s VAT) will be charged now to my "
                "%(payment)s for the remaining time until %(until)s. From %(until)s, %(recurring_gross)s "
                "(%(recurring_net)s net plus %(recurring_vat)s VAT) will be billed %(interval)s."
            )
            % values
        )
        return f"{what} {money}"


# --- The words of the changes that take effect later or charge nothing ------------------------


def cancel_reason_label(code: str) -> str:
    """A cancellation reason's words ("Too expensive"), or the code itself when it is not one of ours."""
    try:
        return str(CancelReason(code).label)
    except ValueError:
        return code


def _billed_from(values: dict[str, object]) -> str:
    return (
        gettext(
            "From %(until)s, %(recurring_gross)s (%(recurring_net)s net plus %(recurring_vat)s VAT) will be billed "
            "%(interval)s."
        )
        % values
    )


def _nothing_now() -> str:
    return gettext("Nothing is charged now.")


def _charged_now(values: dict[str, object]) -> str:
    return (
        gettext(
            "%(charge_gross)s (%(charge_net)s net plus %(charge_vat)s VAT) will be charged now to my %(payment)s "
            "for the remaining time until %(until)s."
        )
        % values
    )


def _reduce_text(quote: Quote, values: dict[str, object], language: str) -> str:
    what = (
        gettext(
            "I agree that from %(until)s subscription %(subscription)s has %(after)d seats of %(product)s instead "
            "of %(before)d."
        )
        % values
    )
    return f"{what} {_nothing_now()} {_billed_from(values)}"


def _switch_now_text(quote: Quote, values: dict[str, object], language: str) -> str:
    what = (
        gettext(
            "I agree to switch subscription %(subscription)s from %(product)s to %(new_product)s now, keeping "
            "%(after)d seats."
        )
        % values
    )
    money = _charged_now(values) if quote.charge_now_gross > 0 else _nothing_now()
    return f"{what} {money} {_billed_from(values)}"


def _switch_later_text(quote: Quote, values: dict[str, object], language: str) -> str:
    what = (
        gettext(
            "I agree that from %(until)s subscription %(subscription)s has %(after)d seats of %(new_product)s "
            "instead of %(product)s."
        )
        % values
    )
    return f"{what} {_nothing_now()} {_billed_from(values)}"


def _undo_text(quote: Quote, values: dict[str, object], language: str) -> str:
    what = (
        gettext(
            "I agree to undo the change scheduled for %(until)s: subscription %(subscription)s keeps %(after)d "
            "seats of %(product)s."
        )
        % values
    )
    return f"{what} {_nothing_now()} {_billed_from(values)}"


def _remove_addon_text(quote: Quote, values: dict[str, object], language: str) -> str:
    what = (
        gettext(
            "I agree to remove %(product)s from subscription %(subscription)s on %(until)s. It stays active and "
            "billed until then and is not renewed."
        )
        % values
    )
    return f"{what} {_nothing_now()} {_billed_from(values)}"


def _reactivate_text(quote: Quote, values: dict[str, object], language: str) -> str:
    if quote.quantity_before > 0:  # its removal was only scheduled: it simply stays
        what = (
            gettext("I agree to keep %(product)s on subscription %(subscription)s: its removal on %(until)s is undone.")
            % values
        )
    else:
        what = (
            gettext(
                "I agree to reactivate %(product)s on subscription %(subscription)s. It is active again now and "
                "billed again from %(until)s."
            )
            % values
        )
    return f"{what} {_nothing_now()} {_billed_from(values)}"


def _cancel_text(quote: Quote, values: dict[str, object], language: str) -> str:
    what = (
        gettext(
            "I agree to stop the automatic renewal of subscription %(subscription)s: it ends on %(until)s and is "
            "not charged again. I can resume it until then."
        )
        % values
    )
    text = f"{what} {_nothing_now()}"
    if quote.reason_code:
        reason = cancel_reason_label(quote.reason_code)
        if quote.reason_text:
            reason = gettext("%(reason)s (“%(words)s”)") % {"reason": reason, "words": quote.reason_text}
        text += " " + gettext("Reason: %(reason)s.") % {"reason": reason}
    return text


def _resume_text(quote: Quote, values: dict[str, object], language: str) -> str:
    what = (
        gettext(
            "I agree to resume the automatic renewal of subscription %(subscription)s: it renews on %(until)s "
            "and is billed until I cancel it."
        )
        % values
    )
    return f"{what} {_nothing_now()} {_billed_from(values)}"


NEW_KIND_TEXTS = {
    ChangeKind.REDUCE: _reduce_text,
    ChangeKind.SWITCH_NOW: _switch_now_text,
    ChangeKind.SWITCH_LATER: _switch_later_text,
    ChangeKind.UNDO: _undo_text,
    ChangeKind.REMOVE_ADDON: _remove_addon_text,
    ChangeKind.REACTIVATE: _reactivate_text,
    ChangeKind.CANCEL: _cancel_text,
    ChangeKind.RESUME: _resume_text,
}
"""The consent sentence of each kind added with scheduled changes, built from the stored quote's values."""


KIND_LABELS = {
    ChangeKind.INCREASE: _("Add seats now"),
    ChangeKind.COTERM: _("Add a co-termed seat"),
    ChangeKind.ADDON: _("Add a product"),
    ChangeKind.REDUCE: _("Fewer seats from the next billing date"),
    ChangeKind.SWITCH_NOW: _("Switch plan now"),
    ChangeKind.SWITCH_LATER: _("Switch plan at the next billing date"),
    ChangeKind.REMOVE_ADDON: _("Remove a product at the next billing date"),
    ChangeKind.CANCEL: _("Cancel at the end of the period"),
    ChangeKind.RESUME: _("Resume automatic renewal"),
    ChangeKind.REACTIVATE: _("Reactivate a product"),
    ChangeKind.UNDO: _("Undo a scheduled change"),
}


def kind_label(kind: str) -> str:
    """A kind of change in words, translatable (the model's labels are the admin's English)."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


# --- Why a price differs from what the customer saw ------------------------------------------

PRICE_REASONS = frozenset({"currency", "charge_now", "recurring"})


def reconsent_explanation(old: Quote, new: Quote, reasons: list[str]) -> tuple[str, list[str]]:
    """The re-consent banner's heading and one sentence per thing that changed since the customer agreed.

    `reasons` are those the commit's fresh check recorded (ledger `change.reconsent_required`); the heading speaks of
    the price only when the price is among them.
    """
    if PRICE_REASONS & set(reasons):
        heading = gettext("The price changed since you agreed. Nothing was charged.")
    else:
        heading = gettext("Something changed since you agreed. Nothing was charged.")
    money = {
        "old_now": format_money(old.charge_now_gross, old.currency),
        "new_now": format_money(new.charge_now_gross, new.currency),
        "old_recurring": format_money(old.next_billing_gross, old.currency),
        "new_recurring": format_money(new.next_billing_gross, new.currency),
    }
    sentences = []
    for reason in reasons:
        if reason == "currency":
            sentence = gettext("The billing provider now prices it in %(new)s instead of %(old)s.") % {
                "new": new.currency,
                "old": old.currency,
            }
        elif reason == "charge_now":
            sentence = gettext("The amount charged now went up from %(old_now)s to %(new_now)s.") % money
        elif reason == "recurring":
            sentence = (
                gettext("The price for each billing period went up from %(old_recurring)s to %(new_recurring)s.")
                % money
            )
        elif reason == "next_billing_date":
            sentence = gettext("The billing period moved on: the next billing date is now %(date)s.") % {
                "date": format_date(new.next_billing_date)
            }
        elif reason == "quantity":
            sentence = gettext(
                "The item now has %(now)d seats, not %(before)d, so the change now takes it to %(after)d seats."
            ) % {"now": new.quantity_before, "before": old.quantity_before, "after": new.quantity_after}
        elif reason == "payment_method":
            sentence = gettext("The card on file is now another one (%(payment)s).") % {"payment": payment_label(new)}
        else:
            sentence = gettext("The change had to be adjusted to the subscription as it is now.")
        if sentence not in sentences:
            sentences.append(sentence)
    return heading, sentences


def charge_difference(quote: Quote) -> str:
    """Why the confirmed charge differs from the quoted one, in one sentence; "" when it does not differ.

    A lower charge is the only difference a commit goes ahead with: less of the period was left when the customer
    confirmed (anything higher or otherwise different asks for consent again).
    """
    confirmed = quote.confirmed_charge_now_gross
    if confirmed is None or confirmed == quote.charge_now_gross:
        return ""
    values = {
        "confirmed": format_money(confirmed, quote.currency),
        "quoted": format_money(quote.charge_now_gross, quote.currency),
        "until": format_date(quote.next_billing_date),
    }
    if confirmed < quote.charge_now_gross:
        return (
            gettext(
                "You were charged %(confirmed)s now instead of the quoted %(quoted)s because less time was left "
                "until %(until)s when you confirmed than when the price was quoted."
            )
            % values
        )
    return (
        gettext(
            "You were charged %(confirmed)s now instead of the quoted %(quoted)s. Our support team checks this "
            "charge and will contact you."
        )
        % values
    )
