from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_a_migration(settings):
    """The suite runs without migrations (--no-migrations); this test reads the real ones."""
    settings.MIGRATION_MODULES = {}
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
