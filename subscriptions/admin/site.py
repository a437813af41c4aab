"""The support console's small shared tools: read-only admins, a date-range list filter, id-aware search.

The console's two-factor site itself is `subscriptions.staff_site.StaffAdminSite`, the default admin site.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.contrib import admin
from django.db.models import Q

__all__ = [
    "DateRangeFilter",
    "IdSearchMixin",
    "ReadOnlyAdmin",
    "ReadOnlyMixin",
    "pretty_json",
]


class ReadOnlyMixin:
    """Records of money and consent: visible to staff, never added, edited or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    def get_actions(self, request):
        return {}


class DateRangeFilter(admin.FieldListFilter):
    """From/to dates (inclusive, UTC days) for a date-time field: `?created_at__date__gte=2026-04-01&...__lte=`."""

    template = "admin/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_since = f"{field_path}__date__gte"
        self.lookup_until = f"{field_path}__date__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        for name in (self.lookup_since, self.lookup_until):
            values = self.used_parameters.get(name)
            value = values[-1] if isinstance(values, list) and values else values
            try:
                datetime.date.fromisoformat(value) if value else None
            except ValueError:
                self.used_parameters.pop(name)

    def expected_parameters(self):
        return [self.lookup_since, self.lookup_until]

    def _value(self, name: str) -> str:
        values = self.used_parameters.get(name)
        if isinstance(values, list):
            return values[-1] if values else ""
        return values or ""

    def choices(self, changelist):
        yield {
            "since_name": self.lookup_since,
            "until_name": self.lookup_until,
            "since": self._value(self.lookup_since),
            "until": self._value(self.lookup_until),
            "other_params": [
                (key, value)
                for key, values in changelist.get_filters_params().items()
                if key not in self.expected_parameters()
                for value in (values if isinstance(values, list) else [values])
            ],
            "clear_url": changelist.get_query_string(remove=self.expected_parameters()),
        }


class IdSearchMixin:
    """Search text fields by substring and ids by exact number (`S68574751` and `68574751` alike)."""

    text_search_fields: tuple[str, ...] = ()
    number_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        terms = search_term.split()
        if not terms:
            return queryset, False
        wanted = Q()
        for term in terms:
            either = Q()
            for name in self.text_search_fields:
                either |= Q(**{f"{name}__icontains": term})
            number = term[1:] if term[:1] in ("S", "s") else term
            if number.isascii() and number.isdigit() and len(number) <= 18:
                for name in self.number_search_fields:
                    either |= Q(**{name: int(number)})
            wanted &= either
        return queryset.filter(wanted), False


def pretty_json(value) -> str:
    """JSON as an agent reads it: indented, keys in the vendor's order, amounts as written."""
    if value in (None, "", {}):
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value, parse_float=Decimal)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
