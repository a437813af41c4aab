"""The German catalogue is complete and its compiled .mo is the one committed (a fresh clone needs no build step)."""

from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from subscriptions.management.commands.compile_translations import compiled

PO = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"


def _catalog():
    with PO.open("rb") as po_file:
        return read_po(po_file)


def test_every_message_has_a_german_translation_and_none_is_fuzzy():
    catalog = _catalog()
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert len(catalog) > 150


def test_placeholders_match():
    assert [(m.id, errors) for m, errors in _catalog().check()] == []


def test_the_committed_mo_is_compiled_from_the_po():
    assert PO.with_suffix(".mo").read_bytes() == compiled(PO), "run: manage.py compile_translations"


def test_django_uses_the_catalogue():
    with translation.override("de"):
        assert translation.gettext("My subscriptions") == "Meine Abonnements"
        assert translation.gettext("Confirm and pay") == "Bestätigen und bezahlen"
