"""A thin caller of the sandbox through Django's test client, with the vendor's Basic auth."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from django.test import Client

API = "/sandbox/api/subscription/"
CONTROL = "/sandbox/control/"


def basic(user: str = "sandbox", password: str = "sandbox") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def body_of(response) -> dict[str, Any]:
    """The JSON body with every number kept exact (Decimal), as a careful client reads it."""
    return json.loads(response.content, parse_float=Decimal)


class SandboxAPI:
    def __init__(self, client: Client, *, user: str = "sandbox", password: str = "sandbox") -> None:
        self.client = client
        self.auth = basic(user, password)

    def get(self, method: str, **params: Any):
        return self.client.get(API + method, params, HTTP_AUTHORIZATION=self.auth)

    def post(self, method: str, payload: Any):
        return self.client.post(
            API + method, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=self.auth
        )

    def subscription(self, subscription_id: int | str) -> dict[str, Any]:
        """getsubscription; an int id is sent as the guides do (`S68574751`), a string as given."""
        sent = f"S{subscription_id}" if isinstance(subscription_id, int) else subscription_id
        response = self.get("getsubscription", subscriptionId=sent)
        assert response.status_code == 200, response.content
        return body_of(response)["Subscription"]

    def control(self, verb: str, path: str, payload: Any = None, **params: Any):
        call = getattr(self.client, verb)
        if payload is None:
            return call(CONTROL + path, params, HTTP_AUTHORIZATION=self.auth)
        query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
        return call(
            CONTROL + path + query, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=self.auth
        )

    def set_clock(self, now: str) -> None:
        response = self.control("post", "clock", {"now": now})
        assert response.status_code == 200, response.content


def change(
    subscription_id: int | str,
    quantity: int,
    *,
    running_no: int | None = 1,
    product_id: int | None = None,
    preview: bool = False,
    align: bool = True,
    extend: bool = False,
    mail: bool = False,
) -> dict[str, Any]:
    """A request body for the three change methods, in the vendor's field names."""
    payload: dict[str, Any] = {
        "SubscriptionId": f"S{subscription_id}",
        "Quantity": quantity,
        "GenerateMail": mail,
        "AlignmentSettings": {
            "GetCustomerPricePreviewOnly": preview,
            "AlignToCurrentInterval": align,
            "ExtendInterval": extend,
        },
    }
    if running_no is not None:
        payload["RunningNumber"] = running_no
    if product_id is not None:
        payload["ProductId"] = product_id
    return payload
