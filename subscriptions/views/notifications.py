"""The vendor's notification endpoint: check the secret, store the message, answer quickly.

The vendor documents no signature, so the URL carries a long random secret (compared in constant
time) and, when configured, HTTP Basic credentials are a second factor. A wrong secret looks like
any unknown page (404), wrong credentials get 401; both store nothing and log one line on the
`django.security` logger (never the secret). Past NOTIFICATION_RATE_PER_MINUTE from one address the
answer is 429 with Retry-After, and nothing is stored. Everything else is stored, in one transaction with its
processing task, and processed in the background; the answer is a 500 only when not even the raw
body could be stored (the vendor then retries).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found

from subscriptions import notifications

security_log = logging.getLogger("django.security.notifications")
logger = logging.getLogger(__name__)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def _basic_ok(request: HttpRequest) -> bool:
    user = settings.CLEVERBRIDGE_NOTIFICATION_USER
    password = settings.CLEVERBRIDGE_NOTIFICATION_PASSWORD
    if not user:
        return True
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_ok = _same(given_user, user)
    password_ok = _same(given_password, password)
    return user_ok and password_ok


def _quiet(response: HttpResponse) -> HttpResponse:
    """Keep django.request from logging this 4xx: its log line would carry the path, and so the secret."""
    response._has_been_logged = True
    return response


def _read_body(request: HttpRequest) -> tuple[bytes, bool]:
    """At most NOTIFICATION_MAX_BYTES of the body, and whether there was more."""
    limit = settings.NOTIFICATION_MAX_BYTES
    body = request.read(limit + 1)
    return body[:limit], len(body) > limit


@csrf_exempt
def notification_receive(request: HttpRequest, secret: str) -> HttpResponse:
    expected = settings.CLEVERBRIDGE_NOTIFICATION_SECRET
    remote = request.META.get("REMOTE_ADDR") or None
    if not expected or not _same(secret, expected):
        security_log.warning("notification with a wrong secret from %s", remote or "-")
        return _quiet(page_not_found(request, Http404()))
    if request.method != "POST":
        return _quiet(HttpResponseNotAllowed(["POST"]))
    if not _basic_ok(request):
        security_log.warning("notification with wrong or missing Basic credentials from %s", remote or "-")
        response = HttpResponse("Unauthorized.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Basic realm="notifications"'
        return _quiet(response)
    wait = notifications.notification_rate_check(remote_addr=remote)
    if wait:
        logger.warning("notification from %s refused: past NOTIFICATION_RATE_PER_MINUTE", remote or "-")
        response = JsonResponse({"status": "rate_limited"}, status=429)
        response["Retry-After"] = str(wait)
        return _quiet(response)
    body, too_large = _read_body(request)
    try:
        receipt = notifications.notification_receive(
            body=body,
            headers=notifications.sanitized_headers(request.META),
            remote_addr=remote,
            too_large=too_large,
        )
    except notifications.NotStored:
        logger.exception("notification from %s could not be stored; answering 500 so the vendor retries", remote or "-")
        return _quiet(JsonResponse({"status": "not_stored"}, status=500))
    stored = receipt.notification
    return _quiet(JsonResponse({"status": stored.status, "id": stored.pk}, status=receipt.status))
