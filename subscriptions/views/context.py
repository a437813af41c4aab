"""What every customer page may show beside its own content: whom to contact."""

from django.conf import settings
from django.http import HttpRequest


def support_contact(request: HttpRequest) -> dict:
    """`support`: the e-mail address, and the help page and phone number when set (settings.SUPPORT_CONTACT)."""
    return {"support": settings.SUPPORT_CONTACT}
