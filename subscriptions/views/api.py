"""The portal-session API for the vendor's own product (as Stripe's billing-portal sessions)."""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from subscriptions import signin, throttles
from subscriptions.cleverbridge import CleverbridgeError, Rejected
from subscriptions.models import PortalKey


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="portal-sessions"'
    return response


def _throttled(verdict: throttles.Verdict) -> JsonResponse:
    response = _error(429, f"too many portal-session requests; try again in {verdict.retry_after} seconds")
    response["Retry-After"] = str(verdict.retry_after)
    return response


@csrf_exempt
@require_POST
def portal_sessions(request: HttpRequest) -> JsonResponse:
    """`POST {"customer_id": ..., "return_url": ...}` with `Authorization: Bearer <key>` → `{"url", "expires_at"}`.

    Throttled per IP before the key is checked (guessing keys costs the guesser), then per key (a leaked or looping
    key must not spend the vendor budget everyone shares): 429 with Retry-After, and no vendor call.
    """
    by_ip = throttles.throttle_hit(limit=throttles.portal_ip_limit(), subject=throttles.client_ip(request))
    if not by_ip.allowed:
        return _throttled(by_ip)
    scheme, _, raw_key = request.headers.get("Authorization", "").partition(" ")
    key = PortalKey.find_active(raw_key.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        return _error(401, "missing, unknown or revoked API key")
    by_key = throttles.throttle_hit(limit=throttles.portal_key_limit(), subject=str(key.pk))
    if not by_key.allowed:
        return _throttled(by_key)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "the body must be JSON")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    customer_id = body.get("customer_id")
    if isinstance(customer_id, str) and customer_id.isascii() and customer_id.isdigit():
        customer_id = int(customer_id)
    if not isinstance(customer_id, int) or isinstance(customer_id, bool) or customer_id <= 0:
        return _error(400, "customer_id must be the vendor's CustomerId (a positive integer)")
    return_url = body.get("return_url")
    if not isinstance(return_url, str) or not signin.portal_return_url_allowed(return_url):
        return _error(400, "return_url must be an http(s) URL on an allowed host")
    try:
        known = signin.portal_customer_known(customer_id=customer_id)
    except Rejected:
        return _error(502, "the subscription service refused the lookup")
    except CleverbridgeError:
        return _error(503, "the subscription service is unavailable; try again")
    if not known:
        return _error(404, "no subscriptions for this customer")
    session = signin.portal_session_create(key=key, customer_id=customer_id, return_url=return_url)
    return JsonResponse({"url": session.url, "expires_at": session.expires_at.isoformat()}, status=201)
