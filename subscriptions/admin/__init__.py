from subscriptions.admin.site import install

install()  # before the registrations below: every admin page needs two-factor authentication

from subscriptions.admin import changes, customers, notifications  # noqa: E402, F401
