"""The support console's two roles, as permission groups.

- Support agent: sees customers, changes, consents, the ledger, the catalog and (when present) the
  notification inbox; reads a customer's live subscriptions; prepares changes; exports the ledger.
- Catalog manager: all of that, and edits the catalog (products, co-term offers, add-ons, plan switches).

Portal keys, users, TOTP devices and the sandbox stay with superusers.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

__all__ = ["CATALOG_MANAGER", "SUPPORT_AGENT", "roles_setup"]

SUPPORT_AGENT = "Support agent"
CATALOG_MANAGER = "Catalog manager"

CONSOLE_PERMISSIONS = ("prepare_change", "export_ledger", "view_live_subscription", "reprocess_notification")
CATALOG_MODELS = ("catalogproduct", "cotermoffer", "addon", "planswitch")
HIDDEN_MODELS = ("portalkey",)


def _support_permissions() -> list[Permission]:
    app = Permission.objects.filter(content_type__app_label="subscriptions")
    views = [
        permission
        for permission in app.filter(codename__startswith="view_")
        if permission.content_type.model not in HIDDEN_MODELS
    ]
    return views + list(app.filter(codename__in=CONSOLE_PERMISSIONS))


def _catalog_permissions() -> list[Permission]:
    codenames = [f"{action}_{model}" for model in CATALOG_MODELS for action in ("add", "change", "delete")]
    return list(Permission.objects.filter(content_type__app_label="subscriptions", codename__in=codenames))


def roles_setup() -> str:
    """Create or update both groups to exactly their permissions; safe to run again. Returns a summary."""
    support = _support_permissions()
    lines = []
    for name, permissions in ((SUPPORT_AGENT, support), (CATALOG_MANAGER, support + _catalog_permissions())):
        group, created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        lines.append(f"{name}: {len(permissions)} permissions ({'created' if created else 'updated'})")
    return "\n".join(lines)
