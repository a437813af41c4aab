from subscriptions.admin import changes, customers  # noqa: F401
