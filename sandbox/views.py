"""HTTP face of the sandbox: the vendor's API under /sandbox/api/ and the control API under /sandbox/control/.

Views only parse input, call one service and write JSON; the rules live in services and pricing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox import notifications, payloads, ratelimit
from sandbox.clock import (
    clock_advance,
    clock_freeze,
    clock_is_frozen,
    clock_now,
    clock_release,
    format_moment,
    parse_moment,
)
from sandbox.models import Fault, FaultMode, FaultTarget, NotificationDelivery, OutboxEmail, Purchase, RenewalType
from sandbox.scenarios import ScenarioError, scenario_load
from sandbox.services import (
    MAX_ID,
    Alignment,
    SandboxError,
    customer_find,
    fault_take,
    purchase_money_back,
    subscription_id_from,
    subscription_item_change,
    subscription_items_deactivate,
    subscription_items_reinstate,
    subscription_load,
    subscription_renewal_type_set,
)
from sandbox.vendor_json import dumps

View = Callable[..., HttpResponse]
UPDATE_ACTIONS = {
    "update": "Update",
    "upgrade": "Upgrade",
    "downgrade": "Downgrade",
    0: "Update",
    1: "Upgrade",
    2: "Downgrade",
}
GET_METHODS = {"getsubscription", "getsubscriptionsforcustomer"}
CHANGE_METHODS = {"increasesubscriptionitemquantity", "updatesubscriptionitem", "addsubscriptionitem"}
ITEM_LIST_METHODS = {"deactivatesubscriptionitems", "reinstatesubscriptionitems"}
POST_METHODS = CHANGE_METHODS | ITEM_LIST_METHODS | {"updatesubscriptionrenewaltype"}
RENEWAL_TYPES = {renewal_type.lower(): renewal_type for renewal_type in RenewalType.values}


def sleep(seconds: float) -> None:
    """The fault modes' pause; tests replace it so that they never wait on the wall clock."""
    time.sleep(seconds)


def json_response(body: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(dumps(body), status=status, content_type="application/json; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def result(status: int, message: str, **headers: str) -> HttpResponse:
    return json_response({"ResultMessage": message}, status=status, **headers)


def _authorized(request: HttpRequest) -> bool:
    """HTTP Basic against the configured API user, compared in constant time."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    expected_user = getattr(settings, "CLEVERBRIDGE_API_USER", "")
    expected_password = getattr(settings, "CLEVERBRIDGE_API_PASSWORD", "")
    if not expected_user:
        return False
    user_ok = hmac.compare_digest(user.encode(), expected_user.encode())
    password_ok = hmac.compare_digest(password.encode(), expected_password.encode())
    return user_ok and password_ok


def unauthorized() -> HttpResponse:
    return result(401, "Unauthorized.", WWW_Authenticate='Basic realm="Cleverbridge sandbox"')


def basic_auth(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _authorized(request):
            return unauthorized()
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


class BadRequest(Exception):
    """400 with the vendor's message."""


def _json_body(request: HttpRequest) -> dict[str, Any]:
    content_type = request.content_type or ""
    if content_type.lower() != "application/json":
        raise BadRequest("Content-Type must be application/json.")
    try:
        body = json.loads(request.body or b"", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed JSON body.") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


def _required(body: dict[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise BadRequest("Missing required field.")
    return body[name]


def _integer(body: dict[str, Any], name: str) -> int:
    value = _required(body, name)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_ID:
        raise BadRequest(f"Invalid field type: {name}.")
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequest(f"Invalid field type: {name}.")
    return value


def _subscription_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRequest("Invalid field type: SubscriptionId.")
    return subscription_id_from(value)


def _alignment(body: dict[str, Any]) -> Alignment:
    settings_ = body.get("AlignmentSettings")
    if settings_ is None:
        return Alignment()
    if not isinstance(settings_, dict):
        raise BadRequest("Invalid field type: AlignmentSettings.")
    return Alignment(
        preview_only=_flag(settings_, "GetCustomerPricePreviewOnly"),
        align_to_current_interval=_flag(settings_, "AlignToCurrentInterval"),
        extend_interval=_flag(settings_, "ExtendInterval"),
    )


def _update_action(body: dict[str, Any]) -> str:
    value = body.get("UpdateAction", "Update")
    key = value.lower() if isinstance(value, str) else value
    if isinstance(value, bool) or key not in UPDATE_ACTIONS:
        raise BadRequest("Invalid field type: UpdateAction.")
    return UPDATE_ACTIONS[key]


def _get_subscription(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("subscriptionId") or request.GET.get("SubscriptionId")
    if not raw:
        raise BadRequest("Missing required field.")
    subscription = subscription_load(subscription_id=_subscription_id(raw))
    return json_response({"Subscription": payloads.subscription_payload(subscription), "ResultMessage": "OK"})


def _get_subscriptions_for_customer(request: HttpRequest) -> HttpResponse:
    raw_id = request.GET.get("customerId", "").strip()
    email = request.GET.get("customerEmail", "").strip()
    reference_id = request.GET.get("customerReferenceId", "").strip()
    if not (raw_id or email or reference_id):
        raise BadRequest("Missing required field.")
    if raw_id and not (raw_id.isascii() and raw_id.isdigit() and int(raw_id) <= MAX_ID):
        raise BadRequest("Invalid field type: customerId.")
    customer = customer_find(customer_id=int(raw_id) if raw_id else None, email=email, reference_id=reference_id)
    subscriptions = [
        subscription_load(subscription_id=pk) for pk in customer.subscriptions.values_list("pk", flat=True)
    ]
    return json_response(
        {"Subscriptions": [payloads.subscription_payload(s) for s in subscriptions], "ResultMessage": "OK"}
    )


def _change(request: HttpRequest, method: str) -> HttpResponse:
    body = _json_body(request)
    subscription_id = _subscription_id(_required(body, "SubscriptionId"))
    quantity = _integer(body, "Quantity")
    running_no = _integer(body, "RunningNumber") if method != "addsubscriptionitem" else None
    product_id = _integer(body, "ProductId") if method != "increasesubscriptionitemquantity" else None
    alignment = _alignment(body)
    generate_mail = _flag(body, "GenerateMail")
    _flag(body, "TriggerImmediateRenewal")  # type-checked like the vendor, but it changes nothing here
    update_action = _update_action(body) if method == "updatesubscriptionitem" else "Update"
    kind = {"increasesubscriptionitemquantity": "increase", "updatesubscriptionitem": "update"}.get(method, "add")
    quote = subscription_item_change(
        subscription_id=subscription_id,
        kind=kind,
        quantity=quantity,
        running_no=running_no,
        product_id=product_id,
        alignment=alignment,
        generate_mail=generate_mail,
        update_action=update_action,
    )
    return json_response(payloads.change_payload(quote))


def _running_nos(body: dict[str, Any]) -> list[int]:
    """`Items`: a non-empty list of running numbers, each named once."""
    value = _required(body, "Items")
    if (
        not isinstance(value, list)
        or not value
        or any(isinstance(n, bool) or not isinstance(n, int) or not 0 < n <= MAX_ID for n in value)
        or len(set(value)) != len(value)
    ):
        raise BadRequest("Invalid field type: Items.")
    return value


def _items_change(request: HttpRequest, method: str) -> HttpResponse:
    body = _json_body(request)
    subscription_id = _subscription_id(_required(body, "SubscriptionId"))
    running_nos = _running_nos(body)
    generate_mail = _flag(body, "GenerateMail")
    change = subscription_items_deactivate if method == "deactivatesubscriptionitems" else subscription_items_reinstate
    change(subscription_id=subscription_id, running_nos=running_nos, generate_mail=generate_mail)
    return result(200, "OK")


def _renewal_type(request: HttpRequest) -> HttpResponse:
    body = _json_body(request)
    subscription_id = _subscription_id(_required(body, "SubscriptionId"))
    value = _required(body, "RenewalType")
    if not isinstance(value, str) or value.lower() not in RENEWAL_TYPES:
        raise BadRequest("Invalid field type: RenewalType.")
    subscription_renewal_type_set(subscription_id=subscription_id, renewal_type=RENEWAL_TYPES[value.lower()])
    return result(200, "OK")


def _answer(request: HttpRequest, method: str) -> HttpResponse:
    try:
        if method == "getsubscription":
            return _get_subscription(request)
        if method == "getsubscriptionsforcustomer":
            return _get_subscriptions_for_customer(request)
        if method in ITEM_LIST_METHODS:
            return _items_change(request, method)
        if method == "updatesubscriptionrenewaltype":
            return _renewal_type(request)
        return _change(request, method)
    except BadRequest as error:
        return result(400, str(error))
    except SandboxError as error:
        return result(error.status, error.message)


def _call_kind(request: HttpRequest, method: str) -> str:
    """read, preview or commit: what a planned fault's `on` is matched against (an unreadable body is a commit)."""
    if method in GET_METHODS:
        return "read"
    try:
        body = json.loads(request.body or b"{}")
        preview = body.get("AlignmentSettings", {}).get("GetCustomerPricePreviewOnly") is True
    except (ValueError, UnicodeDecodeError, AttributeError):
        preview = False
    return "preview" if preview else "commit"


@csrf_exempt
def api(request: HttpRequest, method: str) -> HttpResponse:
    """One entry for every vendor method: rate limit, auth, HTTP method, planned faults, then the call."""
    wait = ratelimit.retry_after(request.META.get("REMOTE_ADDR", ""))
    if wait is not None:
        return result(429, "Too many requests.", Retry_After=str(wait))
    if not _authorized(request):
        return unauthorized()
    method = method.lower()
    if method not in GET_METHODS | POST_METHODS:
        return result(404, "Method not found.")
    allowed = "GET" if method in GET_METHODS else "POST"
    if request.method != allowed:
        return result(405, f"Method not allowed; use {allowed}.", Allow=allowed)

    fault = fault_take(method=method, call=_call_kind(request, method))
    if fault is not None and fault.mode == FaultMode.ERROR:
        return result(fault.status, "Internal server error (injected fault).")
    if fault is not None and fault.mode == FaultMode.MALFORMED:
        return HttpResponse(b"<html><body>502 Bad Gateway", status=200, content_type="application/json")
    if fault is not None and fault.mode == FaultMode.DELAY:
        sleep(float(fault.delay_seconds))
    response = _answer(request, method)
    if fault is not None and fault.mode == FaultMode.APPLY_THEN_ERROR and response.status_code == 200:
        return result(fault.status, "Internal server error (injected fault).")
    if fault is not None and fault.mode == FaultMode.APPLY_THEN_STALL:
        sleep(float(fault.delay_seconds))
    return response


def _control(view: View) -> View:
    """Basic auth, JSON in and out, 400 for bad input, 405 for other HTTP methods."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadRequest as error:
            return result(400, str(error))
        except SandboxError as error:
            return result(error.status, error.message)

    return basic_auth(wrapper)


def _not_allowed(*methods: str) -> HttpResponse:
    return result(405, f"Method not allowed; use {' or '.join(methods)}.", Allow=", ".join(methods))


def _clock_state() -> dict[str, Any]:
    return {"now": format_moment(clock_now()), "frozen": clock_is_frozen(), "ResultMessage": "OK"}


@_control
def control_clock(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return json_response(_clock_state())
    if request.method != "POST":
        return _not_allowed("GET", "POST")
    body = _json_body(request)
    if "advance_seconds" in body:
        step = body["advance_seconds"]
        if isinstance(step, bool) or not isinstance(step, int | Decimal):
            raise BadRequest("advance_seconds must be a number.")
        clock_advance(by=timedelta(microseconds=int(Decimal(step) * 1_000_000)))
    elif "now" in body:
        if body["now"] is None:
            clock_release()
        else:
            if not isinstance(body["now"], str):
                raise BadRequest("now must be an ISO 8601 timestamp or null.")
            try:
                clock_freeze(at=parse_moment(body["now"]))
            except ValueError:
                raise BadRequest("now must be an ISO 8601 timestamp or null.") from None
    else:
        raise BadRequest('Send {"now": ISO|null} or {"advance_seconds": N}.')
    return json_response(_clock_state())


@_control
def control_scenario(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _not_allowed("POST")
    body = _json_body(request)
    try:
        summary = scenario_load(body, reset=request.GET.get("reset") in {"1", "true", "yes"})
    except ScenarioError as error:
        return json_response({"ResultMessage": "Invalid scenario.", "Errors": error.problems}, status=400)
    return json_response(
        {
            "ResultMessage": "OK",
            "Products": summary.products,
            "Customers": summary.customers,
            "Subscriptions": summary.subscriptions,
            "Clock": format_moment(summary.clock) if summary.clock else None,
        }
    )


def _subscription_filter(request: HttpRequest) -> int | None:
    raw = request.GET.get("subscription_id")
    return _subscription_id(raw) if raw else None


@_control
def control_purchases(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _not_allowed("GET")
    purchases = Purchase.objects.order_by("-created_at", "-id")
    if (subscription_id := _subscription_filter(request)) is not None:
        purchases = purchases.filter(subscription_id=subscription_id)
    return json_response({"Purchases": [payloads.purchase_payload(p) for p in purchases], "ResultMessage": "OK"})


@_control
def control_emails(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _not_allowed("GET")
    emails = OutboxEmail.objects.order_by("-created_at", "-id")
    if (subscription_id := _subscription_filter(request)) is not None:
        emails = emails.filter(subscription_id=subscription_id)
    return json_response({"Emails": [payloads.email_payload(e) for e in emails], "ResultMessage": "OK"})


def _fault_payload(fault: Fault) -> dict[str, Any]:
    return {
        "id": fault.pk,
        "method": fault.method,
        "mode": fault.mode,
        "on": fault.on,
        "count": fault.remaining,
        "status": fault.status,
        "delay_seconds": fault.delay_seconds,
    }


def _fault_from(body: dict[str, Any]) -> Fault:
    method = body.get("method")
    if not isinstance(method, str) or (method != "*" and method.lower() not in GET_METHODS | POST_METHODS):
        raise BadRequest('method must be an API method name or "*".')
    mode = body.get("mode")
    if mode not in FaultMode.values:
        raise BadRequest(f"mode must be one of {', '.join(FaultMode.values)}.")
    on = body.get("on", FaultTarget.ANY)
    if on not in FaultTarget.values:
        raise BadRequest(f"on must be one of {', '.join(FaultTarget.values)}.")
    if on != FaultTarget.ANY and method.lower() in GET_METHODS:
        raise BadRequest('on "preview" or "commit" applies to the change methods only.')
    count = body.get("count", 1)
    status = body.get("status", 500)
    delay = body.get("delay_seconds", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BadRequest("count must be a whole number >= 1.")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise BadRequest("status must be an HTTP error status (400-599).")
    if isinstance(delay, bool) or not isinstance(delay, int | Decimal) or not 0 <= delay <= 3600:
        raise BadRequest("delay_seconds must be a number from 0 to 3600.")
    return Fault(
        method=method.lower(),
        mode=mode,
        on=on,
        remaining=count,
        status=status,
        delay_seconds=Decimal(delay).quantize(Decimal("0.001")),
    )


@_control
def control_faults(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        fault = _fault_from(_json_body(request))
        fault.save()
        return json_response({"Fault": _fault_payload(fault), "ResultMessage": "OK"})
    if request.method == "DELETE":
        Fault.objects.all().delete()
    elif request.method != "GET":
        return _not_allowed("GET", "POST", "DELETE")
    return json_response({"Faults": [_fault_payload(f) for f in Fault.objects.all()], "ResultMessage": "OK"})


def _delivery_payload(delivery: NotificationDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "type": delivery.kind,
        "PurchaseId": delivery.purchase.vendor_id if delivery.purchase else None,
        "SubscriptionId": delivery.subscription_id,
        "copy": delivery.copy_no,
        "state": delivery.state,
        "url": _without_secret(delivery.url),
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "created_at": format_moment(delivery.created_at),
        "next_attempt_at": format_moment(delivery.next_attempt_at) if delivery.next_attempt_at else None,
        "delivered_at": format_moment(delivery.delivered_at) if delivery.delivered_at else None,
        "body": json.loads(delivery.body, parse_float=Decimal),
    }


def _without_secret(url: str) -> str:
    """The endpoint's last path segment is the receiver's secret: never shown."""
    head, _, _ = url.rstrip("/").rpartition("/")
    return f"{head}/***/" if head else url


def _control_payload() -> dict[str, Any]:
    plan = notifications.control()
    return {"duplicate": plan.duplicate, "delay_seconds": plan.delay_seconds, "hold": plan.hold}


def _notification_control(body: dict[str, Any]) -> None:
    duplicate = body.get("duplicate")
    delay = body.get("delay_seconds")
    hold = body.get("hold")
    release = body.get("release")
    if duplicate is not None and (
        isinstance(duplicate, bool) or not isinstance(duplicate, int) or not 0 <= duplicate <= 10
    ):
        raise BadRequest("duplicate must be a whole number from 0 to 10.")
    if delay is not None and (
        isinstance(delay, bool) or not isinstance(delay, int | Decimal) or not 0 <= delay <= 86400
    ):
        raise BadRequest("delay_seconds must be a number from 0 to 86400.")
    if hold is not None and not isinstance(hold, bool):
        raise BadRequest("hold must be true or false.")
    if release is not None and release not in ("in_order", "reverse"):
        raise BadRequest('release must be "in_order" or "reverse".')
    if duplicate is None and delay is None and hold is None and release is None:
        raise BadRequest(
            'Send any of {"duplicate": N, "delay_seconds": S, "hold": bool, "release": "in_order"|"reverse"}.'
        )
    notifications.control_update(
        duplicate=duplicate,
        delay_seconds=Decimal(delay).quantize(Decimal("0.001")) if delay is not None else None,
        hold=hold,
    )
    if release is not None:
        notifications.notifications_release(order=release)


@_control
def control_notifications(request: HttpRequest) -> HttpResponse:
    """The notifications the sandbox sent or will send, and how it misbehaves when sending them."""
    if request.method == "POST":
        _notification_control(_json_body(request))
    elif request.method == "DELETE":
        notifications.control_reset()
    elif request.method != "GET":
        return _not_allowed("GET", "POST", "DELETE")
    deliveries = NotificationDelivery.objects.select_related("purchase").order_by("-created_at", "-id")
    if (subscription_id := _subscription_filter(request)) is not None:
        deliveries = deliveries.filter(subscription_id=subscription_id)
    return json_response(
        {
            "Control": _control_payload(),
            "Notifications": [_delivery_payload(d) for d in deliveries],
            "ResultMessage": "OK",
        }
    )


@_control
def control_money_back(request: HttpRequest, purchase_id: int, kind: str) -> HttpResponse:
    """The vendor refunds a purchase or its payment is charged back: it sends the RefundNotification or
    ChargebackNotification; nothing else changes in the sandbox."""
    if request.method != "POST":
        return _not_allowed("POST")
    purchase = purchase_money_back(purchase_id=purchase_id, kind=kind)
    notification = purchase.notifications.filter(kind=notifications.REFUND_KINDS[kind]).latest("id")
    return json_response({"Notification": _delivery_payload(notification), "ResultMessage": "OK"})
