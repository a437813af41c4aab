import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Tests never reach the network: e-mail stays in memory, static files need no manifest."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
