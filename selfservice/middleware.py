"""Middleware of the project's own.

`SessionRefreshMiddleware` keeps the customer's idle timeout without writing the session on every request:
Django's `SESSION_SAVE_EVERY_REQUEST` saves the row (one database write) on each page view, poll and fragment. Here
a session is saved only when its contents change or when its expiry was last renewed more than
`SESSION_REFRESH_SECONDS` ago, so an idle session still ends `SESSION_COOKIE_AGE` after the last request, give or
take that interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

REFRESHED_KEY = "_refreshed_at"


def now() -> float:
    """The clock the middleware reads; tests replace it instead of waiting."""
    return time.time()


class SessionRefreshMiddleware:
    """Renews a non-empty session's expiry at most every SESSION_REFRESH_SECONDS; listed after SessionMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or response.status_code >= 500:
            return response
        moment = now()
        refreshed = session.get(REFRESHED_KEY)
        if (
            session.modified
            or not isinstance(refreshed, int | float)
            or moment - refreshed >= settings.SESSION_REFRESH_SECONDS
        ):
            session[REFRESHED_KEY] = moment
        return response


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class PermissionsPolicyMiddleware:
    """Switches off browser features no page here uses, so injected or third-party code cannot ask for them either."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class NoStoreMiddleware:
    """Pages show money and forms, so the browser keeps none of them: Back refetches, and no shared machine's cache
    holds a quote or a receipt. Without it, Back after paying (no JavaScript) showed the cached quote with its box
    ticked and "Confirm and pay". A view that sets its own Cache-Control opts out; static files never get here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response and response.get("Content-Type", "").startswith("text/html"):
            patch_cache_control(response, no_store=True, private=True)
        return response
