"""The vendor's JSON primitives: money written as exact numbers, timestamps in the vendor's format.

A leaf module (nothing of the sandbox imported), so that the API's payloads and the notification sender
write the same bytes without importing each other.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """JSON with Decimals as plain numbers (`974.70`), so no amount ever passes through a float."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(key))}: {dumps(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dumps(item) for item in value) + "]"
    return json.dumps(value)


def vendor_time(moment: datetime | None) -> str | None:
    """The vendor's timestamps: UTC, no offset, always six fractional digits."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
