"""Forms for starting and confirming a change. They carry intent only, never prices."""

from django import forms
from django.utils.translation import gettext_lazy as _

from subscriptions.models import ChangeKind


class ChangeRequestForm(forms.Form):
    """What the customer asks for: a kind, the item, and seats to add or the add-on's product id."""

    kind = forms.ChoiceField(choices=ChangeKind.choices)
    running_no = forms.IntegerField(required=False, min_value=1)
    # No upper bound here: the catalog's limit for the item is checked by the service, which names it to the customer.
    quantity = forms.IntegerField(required=False, min_value=1, label=_("Seats to add"))
    product_id = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ChangeKind.INCREASE:
            if not data.get("running_no"):
                self.add_error("running_no", _("Choose the item."))
            if data.get("quantity") is None and "quantity" not in self.errors:
                self.add_error("quantity", _("Say how many seats to add."))
        elif kind == ChangeKind.COTERM:
            if not data.get("running_no"):
                self.add_error("running_no", _("Choose the item."))
        elif kind == ChangeKind.ADDON and not data.get("product_id"):
            self.add_error("product_id", _("Choose a product to add."))
        return data


class ConsentForm(forms.Form):
    """The confirm form: only the consent box (the quote is in the URL)."""

    consent = forms.BooleanField(required=False)
