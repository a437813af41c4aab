"""The vendor failing or unreachable becomes one friendly page, never a 500.

`vendor_failure_page` wraps a view (``customer_required`` already does); a `CleverbridgeError`
that escapes the view is rendered as templates/errors/vendor_unavailable.html with status 503
and a retry link to the same page; htmx requests get the page's ``failure`` partial.
"""

from __future__ import annotations

import functools
import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from subscriptions.cleverbridge import CleverbridgeError, OutcomeUnknown, Rejected, Unavailable

logger = logging.getLogger(__name__)

__all__ = ["vendor_failure_page", "vendor_failure_response"]


def vendor_failure_response(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, OutcomeUnknown):
        kind = "outcome_unknown"
    elif isinstance(exc, Rejected):
        kind = "rejected"
    elif isinstance(exc, Unavailable):
        kind = "unavailable"
    else:
        kind = "failed"
    logger.warning(
        "vendor failure on %s %s: %s %s (%s)",
        request.method,
        request.path,
        type(exc).__name__,
        getattr(exc, "status", None),
        getattr(exc, "method", None),
    )
    retry_url = _retry_url(request)
    retry_after = getattr(exc, "retry_after", None)
    context = {"kind": kind, "retry_url": retry_url, "retry_after": retry_after}
    template = "errors/vendor_unavailable.html"
    if getattr(request, "htmx", False):
        template += "#failure"
    response = render(request, template, context, status=503)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


def _retry_url(request: HttpRequest) -> str:
    """The page the customer was on: the URL itself for a GET, the page behind an htmx or form POST."""
    if request.method == "GET" and not getattr(request, "htmx", False):
        return request.get_full_path()
    current = getattr(getattr(request, "htmx", None), "current_url_abs_path", None)
    return current or request.get_full_path()


def vendor_failure_page(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except CleverbridgeError as exc:
            return vendor_failure_response(request, exc)

    return wrapper
