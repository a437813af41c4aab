"""The one way to write the audit ledger, and the proof that it was not changed since.

`record` must run inside the `transaction.atomic()` block that makes the state change it
records, so the ledger and the state never disagree: both are written or neither is.

Every entry is chained: its `hash` is the SHA-256 of its canonical form, which includes the hash
of the entry before it (`prev_hash`) and its `sequence`. Changing, removing or inserting an entry
anywhere breaks the chain at that point; `chain_verify` finds where (docs/ledger.md).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any, NamedTuple

from babel.numbers import get_currency_precision
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from subscriptions.cleverbridge import Exchange
from subscriptions.models import AMOUNT_FIELDS, GENESIS_HASH, Customer, LedgerEntry, LedgerHead, Quote

__all__ = [
    "ChainBreak",
    "ChainReport",
    "ChainStatus",
    "LedgerTampered",
    "amount_text",
    "chain_status",
    "chain_verify",
    "consent_record",
    "consent_record_verify",
    "entry_fields",
    "entry_hash",
    "exchange_data",
    "fields_hash",
    "quote_data",
    "record",
]

SECRET_KEYS = {"authorization", "password", "apipassword", "api_password", "secret", "token", "cardnumber", "cvv"}
MASK = "***"


def record(
    *,
    action: str,
    quote: Quote | None = None,
    customer: Customer | None = None,
    staff_user=None,
    ip: str | None = None,
    subscription_id: int | None = None,
    data: dict[str, Any],
) -> LedgerEntry:
    """Append one entry; refuses to run outside a transaction (see the module docstring).

    Most entries are about one quote. Staff actions about a customer rather than a change
    (`staff.viewed_subscription`, `staff.exported_ledger`) pass `customer` and no quote.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.record must be called inside the transaction that changes the state it records")
    if "." not in action:
        raise ValueError(f"ledger actions are dotted codes, not {action!r}")
    if quote is None and customer is None:
        raise ValueError("a ledger entry is about a quote or a customer")
    head = _head_for_append()
    entry = LedgerEntry(
        action=action,
        quote=quote,
        subscription_id=quote.subscription_id if quote is not None else subscription_id,
        customer=customer,
        staff_user=staff_user,
        ip=LedgerEntry._meta.get_field("ip").get_prep_value(ip or None),
        created_at=timezone.now(),
        data=_json_native(_plain(_masked(data))),
        sequence=head.sequence + 1,
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    entry.save()
    if entry_hash(LedgerEntry.objects.get(pk=entry.pk)) != entry.hash:
        raise LedgerTampered(f"ledger entry {entry.sequence} does not read back as it was hashed; nothing was written")
    LedgerHead.objects.filter(pk=head.pk).update(sequence=entry.sequence, hash=entry.hash)
    return entry


def quote_data(quote: Quote) -> dict[str, Any]:
    """What a quote is about: kind, subscription, item, products, quantities, every amount and the currency."""
    data: dict[str, Any] = {
        "quote": str(quote.public_id),
        "kind": quote.kind,
        "subscription_id": quote.subscription_id,
        "running_no": quote.running_no,
        "product_id": quote.product_id,
        "new_product_id": quote.new_product_id,
        "product_name": quote.product_name,
        "quantity_before": quote.quantity_before,
        "quantity_after": quote.quantity_after,
        "vendor_quantity": quote.vendor_quantity,
        "currency": quote.currency,
        "next_billing_date": quote.next_billing_date.isoformat() if quote.next_billing_date else None,
        "expires_at": quote.expires_at.isoformat(),
        "state": quote.state,
    }
    for name in AMOUNT_FIELDS:
        data[name] = amount_text(getattr(quote, name), quote.currency)
    # Only the kinds that take effect later, switch plans or cancel carry these.
    if quote.effective_at is not None:
        data["effective_at"] = quote.effective_at.isoformat()
    for name in ("new_product_name", "renewal_type_after", "reason_code", "reason_text"):
        if getattr(quote, name):
            data[name] = getattr(quote, name)
    return data


def exchange_data(exchange: Exchange | None) -> dict[str, Any]:
    """The vendor call as sent and answered (the client never puts credentials in an Exchange)."""
    if exchange is None:
        return {"method": None, "request": None, "status": None, "response": None}
    try:
        response: Any = json.loads(exchange.response_text, parse_float=Decimal) if exchange.response_text else None
    except ValueError:
        response = exchange.response_text
    return {
        "method": exchange.method,
        "request": exchange.request_body,
        "status": exchange.status,
        "response": response,
        "duration_ms": exchange.duration_ms,
    }


def amount_text(value: Decimal | None, currency: str) -> str | None:
    """An amount in the currency's minor units ("1159.89", not "1159.890"), never losing a digit."""
    if value is None:
        return None
    try:
        places = get_currency_precision(currency)
    except Exception:
        places = 2
    exponent = Decimal(1).scaleb(-places)
    quantized = value.quantize(exponent)
    return str(quantized if quantized == value else value)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (MASK if str(key).lower().replace("-", "") in SECRET_KEYS else _masked(item))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """Amounts become strings (never floats) so the JSON keeps every digit."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _json_native(value: Any) -> Any:
    """The data exactly as it will read back from the JSON column, so its hash is the one verified later."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# --- The chain --------------------------------------------------------------------------------

CONSENT_ACTION = "change.consented"
HASH_OF = "SHA-256 of the canonical JSON (UTF-8, keys sorted, no whitespace) of entry + sequence + prev_hash"


class LedgerTampered(Exception):
    """The ledger, or a record taken from it, is not what was written."""


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold: the entry found there (None past the last) and what is wrong."""

    entry_id: int | None
    sequence: int
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "after the last entry"
        return f"{where}, sequence {self.sequence}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    """A walk of the chain: how far it held (`good_sequence`, `good_hash`) and where it broke, if it did."""

    entries: int
    head_sequence: int
    head_hash: str
    good_sequence: int
    good_hash: str
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


class ChainStatus(NamedTuple):
    intact: bool
    entries: int
    first_broken: ChainBreak | None


def entry_fields(entry: LedgerEntry) -> dict[str, Any]:
    """What an entry says, in the form that is hashed (and handed out in a consent record)."""
    return {
        "action": entry.action,
        "created_at": entry.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "customer_id": entry.customer_id,
        "staff_user_id": entry.staff_user_id,
        "ip": entry.ip,
        "subscription_id": entry.subscription_id,
        "quote_id": entry.quote_id,
        "data": entry.data,
    }


def entry_hash(entry: LedgerEntry) -> str:
    return fields_hash(entry_fields(entry), sequence=entry.sequence, prev_hash=entry.prev_hash)


def fields_hash(fields: dict[str, Any], *, sequence: int, prev_hash: str) -> str:
    """The hash from an entry's fields alone, so a consent record can be checked without the database."""
    canonical = json.dumps(
        _canonical({**fields, "sequence": sequence, "prev_hash": prev_hash}),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    """Whole floats as integers: PostgreSQL's jsonb gives 1e+20 back as 100000000000000000000."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _head_for_append() -> LedgerHead:
    """The head, locked until the transaction ends: the next append waits here and chains onto this one's entry."""
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    if LedgerEntry.objects.exists():
        raise LedgerTampered("the ledger head is missing while entries exist; run manage.py verify_ledger")
    LedgerHead.objects.get_or_create(pk=1)
    return LedgerHead.objects.select_for_update().get(pk=1)


def chain_verify() -> ChainReport:
    """Walk the whole chain from the first entry: recompute every hash, check every link, the sequence and the head."""
    return _walk(LedgerHead.objects.filter(pk=1).first(), after_sequence=0, after_hash=GENESIS_HASH)


def _walk(head: LedgerHead | None, *, after_sequence: int, after_hash: str) -> ChainReport:
    entries = LedgerEntry.objects.filter(sequence__gt=after_sequence).order_by("sequence")
    if head is not None:
        entries = entries.filter(sequence__lte=head.sequence)
    good_sequence, good_hash = after_sequence, after_hash
    broken: ChainBreak | None = None
    for entry in entries.iterator(chunk_size=1000):
        broken = _link_problem(entry, good_sequence, good_hash)
        if broken is not None:
            break
        good_sequence, good_hash = entry.sequence, entry.hash
    if broken is None:
        broken = _head_problem(head, good_sequence, good_hash)
    return ChainReport(
        entries=good_sequence if broken is None else LedgerEntry.objects.count(),
        head_sequence=head.sequence if head is not None else 0,
        head_hash=head.hash if head is not None else GENESIS_HASH,
        good_sequence=good_sequence,
        good_hash=good_hash,
        broken=broken,
    )


def _link_problem(entry: LedgerEntry, previous_sequence: int, previous_hash: str) -> ChainBreak | None:
    if entry.sequence != previous_sequence + 1:
        missing = f"{previous_sequence + 1}" + (
            f" to {entry.sequence - 1}" if entry.sequence - 1 > previous_sequence + 1 else ""
        )
        return ChainBreak(entry.id, entry.sequence, f"sequence gap: entry {missing} is missing (deleted)")
    computed = entry_hash(entry)
    if computed != entry.hash:
        return ChainBreak(
            entry.id, entry.sequence, f"hash mismatch: stored {entry.hash}, its content hashes to {computed}"
        )
    if entry.prev_hash != previous_hash:
        return ChainBreak(
            entry.id,
            entry.sequence,
            f"prev_hash mismatch: it chains onto {entry.prev_hash}, "
            f"but the entry before hashes to {previous_hash} (the entry before was replaced)",
        )
    return None


def _head_problem(head: LedgerHead | None, last_sequence: int, last_hash: str) -> ChainBreak | None:
    if head is None:
        if last_sequence == 0:
            return None
        return ChainBreak(None, last_sequence + 1, "the ledger head is missing (deleted)")
    if head.sequence != last_sequence:
        return ChainBreak(
            None,
            last_sequence + 1,
            f"sequence gap: the head is at {head.sequence} but the last entry is {last_sequence} (entries deleted)",
        )
    if head.hash != last_hash:
        return ChainBreak(None, last_sequence, f"head mismatch: the head holds {head.hash}, the last entry {last_hash}")
    return None


def chain_verified_record(report: ChainReport) -> None:
    """Remember how far the chain held, so `chain_status` walks only what came after (or re-walks the break)."""
    LedgerHead.objects.filter(pk=1).update(
        verified_sequence=report.good_sequence, verified_hash=report.good_hash, verified_at=timezone.now()
    )


def chain_status() -> ChainStatus:
    """Cheap enough for an admin page: counts the entries, then walks only those added since the last check.

    An entry changed before the last check is not seen here (its neighbours are not re-read); run
    `manage.py verify_ledger` for the full walk, which also makes this walk again from any break it finds.
    """
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None or LedgerEntry.objects.filter(sequence__lte=head.sequence).count() != head.sequence:
        report = _walk(head, after_sequence=0, after_hash=GENESIS_HASH)
        return ChainStatus(report.intact, report.entries, report.broken)
    report = _walk(head, after_sequence=head.verified_sequence, after_hash=head.verified_hash)
    if report.intact and report.good_sequence > head.verified_sequence:
        LedgerHead.objects.filter(pk=1, verified_sequence__lt=report.good_sequence).update(
            verified_sequence=report.good_sequence, verified_hash=report.good_hash, verified_at=timezone.now()
        )
    return ChainStatus(report.intact, head.sequence, report.broken)


# --- Consent records --------------------------------------------------------------------------


def consent_record(quote: Quote) -> dict[str, Any]:
    """The customer's consent as the ledger holds it, with what anyone needs to check it against the chain later."""
    entry = quote.ledger_entries.filter(action=CONSENT_ACTION).order_by("sequence").first()
    if entry is None:
        raise LedgerEntry.DoesNotExist(f"no consent is recorded for quote {quote.public_id}")
    return {
        "record": "consent",
        "quote": str(quote.public_id),
        "sequence": entry.sequence,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "hash_of": HASH_OF,
        "entry": entry_fields(entry),
    }


def consent_record_verify(record: dict[str, Any]) -> LedgerEntry:
    """The ledger entry a consent record was taken from; raises `LedgerTampered` saying what does not match."""
    try:
        fields, sequence, prev_hash, claimed = record["entry"], record["sequence"], record["prev_hash"], record["hash"]
        action = fields["action"]
    except (KeyError, TypeError) as exc:
        raise LedgerTampered(f"not a consent record: {exc!r} is missing") from exc
    if action != CONSENT_ACTION:
        raise LedgerTampered(f"not a consent record: its entry is {action!r}")
    computed = fields_hash(fields, sequence=sequence, prev_hash=prev_hash)
    if computed != claimed:
        raise LedgerTampered(f"the record was changed: its content hashes to {computed}, not to {claimed}")
    entry = LedgerEntry.objects.filter(hash=claimed).first()
    if entry is None:
        raise LedgerTampered(f"no ledger entry has the hash {claimed}")
    if (entry.sequence, entry.prev_hash) != (sequence, prev_hash) or entry_hash(entry) != claimed:
        raise LedgerTampered(f"ledger entry {entry.sequence} (id {entry.id}) no longer matches its hash")
    head = LedgerHead.objects.filter(pk=1).first()
    is_head = head is not None and (head.sequence, head.hash) == (entry.sequence, entry.hash)
    if not is_head and not LedgerEntry.objects.filter(sequence=entry.sequence + 1, prev_hash=entry.hash).exists():
        raise LedgerTampered(f"ledger entry {entry.sequence} is not chained: nothing after it links to it")
    return entry
