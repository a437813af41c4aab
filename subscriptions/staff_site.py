"""The support console's admin site: every admin page needs a password AND a TOTP code (django-otp).

`StaffAdminSite` is the default admin site, named by `subscriptions.apps.StaffAdminConfig` (in
INSTALLED_APPS instead of `django.contrib.admin`), so `django.contrib.admin.site` and every
`@admin.register` in every app (auth, django-otp, the task queue, the sandbox, ours) are this site:
no ModelAdmin anywhere is served without two-factor authentication.

It lives outside `subscriptions.admin` on purpose: Django imports this module to build the default
site, and importing that package registers our ModelAdmins on the default site, which would then be
built twice and lose them.
"""

from django_otp.admin import OTPAdminSite

__all__ = ["StaffAdminSite"]


class StaffAdminSite(OTPAdminSite):
    """Staff with a verified TOTP device only; a password alone is treated like no staff at all."""

    site_header = "Support console"
    site_title = "Support console"
    index_title = "Customers, changes and the ledger"

    def __init__(self, name: str = "admin"):
        super().__init__(name)  # as the default site, under the admin's own URL names (django-otp's is "otpadmin")
