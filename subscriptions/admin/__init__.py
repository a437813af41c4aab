from subscriptions.admin import changes, customers, notifications  # noqa: F401
