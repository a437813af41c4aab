"""The support console's admin site: every admin page needs a password AND a TOTP code (django-otp).

`StaffAdminSite` is the default admin site, named by `subscriptions.apps.StaffAdminConfig` (in
INSTALLED_APPS instead of `django.contrib.admin`), so `django.contrib.admin.site` and every
`@admin.register` in every app (auth, django-otp, the task queue, the sandbox, ours) are this site:
no ModelAdmin anywhere is served without two-factor authentication.

It lives outside `subscriptions.admin` on purpose: Django imports this module to build the default
site, and importing that package registers our ModelAdmins on the default site, which would then be
built twice and lose them.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db import transaction
from django_otp import devices_for_user
from django_otp.admin import OTPAdminSite

__all__ = ["StaffAdminSite", "StaffSignInForm"]

CODE_WRONG = "That code is not right or has expired. Enter the 6-digit code your authenticator app shows now."
CODE_THROTTLED = "Too many wrong codes. Wait a minute, then enter the code your authenticator app shows."
NO_AUTHENTICATOR = "No authenticator app is set up for this account. Ask an administrator to add one."


class StaffSignInForm(AdminAuthenticationForm):
    """User name, password and the authenticator's current code in one step, with one button.

    The code is tried on each of the person's confirmed devices (an agent has one), so there is no device to
    choose and no challenge to request; a wrong code is named as the problem, a wrong password says nothing
    about the code.
    """

    otp_token = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}", "size": 6}
        ),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        code = (cleaned.get("otp_token") or "").strip()
        devices = list(devices_for_user(user, confirmed=True))
        if not devices:
            raise forms.ValidationError(NO_AUTHENTICATOR, code="no_device")
        throttled = False
        for device in devices:
            with transaction.atomic():
                # Locked, as django_otp.verify_token does, so two tries cannot both pass the throttle.
                device = type(device).objects.select_for_update().get(pk=device.pk)
                allowed, _ = device.verify_is_allowed()
                if not allowed:
                    throttled = True
                    continue
                if code and device.verify_token(code):
                    user.otp_device = device  # django-otp marks the session verified when the user logs in
                    return cleaned
        raise forms.ValidationError(CODE_THROTTLED if throttled else CODE_WRONG, code="code")


class StaffAdminSite(OTPAdminSite):
    """Staff with a verified TOTP device only; a password alone is treated like no staff at all."""

    site_header = "Support console"
    site_title = "Support console"
    index_title = "Customers, changes and the ledger"
    login_form = StaffSignInForm
    login_template = "admin/staff_login.html"

    def __init__(self, name: str = "admin"):
        super().__init__(name)  # as the default site, under the admin's own URL names (django-otp's is "otpadmin")
