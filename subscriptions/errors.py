"""What the services say when a customer asks for something that is not theirs.

A leaf: services raise these without knowing about HTTP, and `access.customer_required` turns
both into the same 404, so a foreign id looks exactly like an unknown one.
"""

__all__ = ["NotFound", "NotYours"]


class NotFound(Exception):
    """No such object for this customer: unknown, or someone else's (the two are not told apart)."""


class NotYours(NotFound):
    """The object exists but belongs to another customer."""
