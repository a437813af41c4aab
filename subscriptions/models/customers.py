"""Customers who sign in here (no passwords), their one-time sign-in links and the portal API keys."""

import hashlib
import secrets
from datetime import timedelta

from django.core.validators import RegexValidator
from django.db import models, transaction
from django.utils import timezone

__all__ = ["Customer", "PortalKey", "SignInLink"]


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Customer(models.Model):
    """A vendor customer who has signed in here at least once; the vendor owns everything else about them."""

    vendor_id = models.BigIntegerField(unique=True, help_text="The vendor's CustomerId.")
    email = models.EmailField(blank=True)
    locale = models.CharField(max_length=10, blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "Two capital letters (ISO 3166), e.g. DE or US.")],
        help_text=(
            "ISO 3166 country code, where known (the vendor's subscription data carries none). Empty means unknown: "
            "the customer is then told that their bank may ask to confirm a card payment, as only outside the EEA "
            "it certainly will not."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["vendor_id"]

    def __str__(self) -> str:
        return f"{self.vendor_id} {self.email}".strip()


class PortalKey(models.Model):
    """A bearer key with which the vendor's own product asks for portal links. Only its hash is kept."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str) -> tuple["PortalKey", str]:
        """Create a key; the raw key is returned this once and never stored."""
        key = cls(name=name)
        raw = key.set_new_key()
        key.save()
        return key, raw

    def set_new_key(self) -> str:
        """Give this (unsaved) key a fresh secret; returns the raw key, of which only the hash is kept."""
        raw = "pk_" + secrets.token_urlsafe(32)
        self.prefix = raw[:10]
        self.key_hash = token_hash(raw)
        return raw

    @classmethod
    def find_active(cls, raw: str) -> "PortalKey | None":
        if not raw:
            return None
        return cls.objects.filter(key_hash=token_hash(raw), revoked_at__isnull=True).first()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SignInLink(models.Model):
    """A single-use link that signs a vendor customer in: e-mailed, or asked for by the vendor's product."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PORTAL = "portal", "Portal"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    vendor_customer_id = models.BigIntegerField()
    email = models.EmailField(blank=True)
    next_url = models.CharField(max_length=2000, blank=True, help_text="Local page to open after signing in.")
    return_url = models.URLField(max_length=2000, blank=True, help_text="Portal links: the vendor product's page.")
    portal_key = models.ForeignKey(PortalKey, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} link for {self.vendor_customer_id}"

    @classmethod
    def issue(cls, *, kind: str, vendor_customer_id: int, minutes: int, **fields) -> tuple["SignInLink", str]:
        raw = secrets.token_urlsafe(32)
        link = cls.objects.create(
            kind=kind,
            token_hash=token_hash(raw),
            vendor_customer_id=vendor_customer_id,
            expires_at=timezone.now() + timedelta(minutes=minutes),
            **fields,
        )
        return link, raw

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @classmethod
    def consume(cls, raw: str, *, kind: str, now=None) -> tuple["SignInLink | None", str]:
        """Use a link once. Returns (link, "ok") or (link or None, "unknown" | "used" | "expired").

        The row is locked and the update is conditional on `used_at` still being empty, so two
        concurrent clicks cannot both succeed.
        """
        now = now or timezone.now()
        with transaction.atomic():
            link = cls.objects.select_for_update().filter(token_hash=token_hash(raw), kind=kind).first()
            if link is None:
                return None, "unknown"
            if link.used_at is not None:
                return link, "used"
            if link.is_expired(now):
                return link, "expired"
            taken = cls.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
            if not taken:
                return link, "used"
            link.used_at = now
            return link, "ok"
