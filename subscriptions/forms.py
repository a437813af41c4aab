"""Forms for starting and confirming a change. They carry intent only, never prices."""

from django import forms
from django.utils.translation import gettext_lazy as _

from subscriptions.models import CancelReason, ChangeKind

REASON_TEXT_MAX = 1000

ITEM_KINDS_ASKED = (
    ChangeKind.INCREASE,
    ChangeKind.COTERM,
    ChangeKind.REDUCE,
    ChangeKind.SWITCH_NOW,
    ChangeKind.SWITCH_LATER,
    ChangeKind.REMOVE_ADDON,
    ChangeKind.REACTIVATE,
    ChangeKind.UNDO,
)
"""The kinds that name an existing item (its running number)."""


class ChangeRequestForm(forms.Form):
    """What the customer asks for: a kind, the item, seats (to add, or the new total for fewer), a product, a reason."""

    kind = forms.ChoiceField(choices=ChangeKind.choices)
    running_no = forms.IntegerField(required=False, min_value=1)
    # No upper bound here: the catalog's limit for the item is checked by the service, which names it to the customer.
    quantity = forms.IntegerField(required=False, min_value=1, label=_("Seats"))
    product_id = forms.IntegerField(required=False, min_value=1)
    reason_code = forms.ChoiceField(choices=CancelReason.choices, required=False)
    reason_text = forms.CharField(required=False, max_length=REASON_TEXT_MAX, strip=True)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in ITEM_KINDS_ASKED and not data.get("running_no") and "running_no" not in self.errors:
            self.add_error("running_no", _("Choose the item."))
        if kind == ChangeKind.INCREASE and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Say how many seats to add."))
        elif kind == ChangeKind.REDUCE and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Say how many seats you want to keep."))
        elif kind in (ChangeKind.ADDON, ChangeKind.SWITCH_NOW, ChangeKind.SWITCH_LATER) and not data.get("product_id"):
            self.add_error("product_id", _("Choose a product."))
        return data

    @property
    def details(self) -> dict | None:
        """A cancellation's reason, as the quote keeps it; None for every other kind."""
        if self.cleaned_data.get("kind") != ChangeKind.CANCEL:
            return None
        return {
            "reason_code": self.cleaned_data.get("reason_code") or "",
            "reason_text": self.cleaned_data.get("reason_text") or "",
        }


class CancelForm(forms.Form):
    """The cancellation page's reason: one of the usual reasons and the customer's own words, both optional."""

    reason_code = forms.ChoiceField(
        choices=CancelReason.choices, required=False, widget=forms.RadioSelect, label=_("Reason")
    )
    reason_text = forms.CharField(
        required=False,
        max_length=REASON_TEXT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REASON_TEXT_MAX}),
        label=_("Anything else you want to tell us (optional)"),
    )


class ConsentForm(forms.Form):
    """The confirm form: only the consent box (the quote is in the URL)."""

    consent = forms.BooleanField(required=False)
