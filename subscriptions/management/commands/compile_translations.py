"""Compile every locale/*/LC_MESSAGES/*.po to its .mo with Babel: no GNU gettext needed on the machine."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def compiled(po_path: Path) -> bytes:
    """The .mo bytes for one .po file; fuzzy entries are left out, as msgfmt does."""
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    problems = [f"{po_path}: {message.id!r}: {'; '.join(map(str, errors))}" for message, errors in catalog.check()]
    if problems:
        raise CommandError("\n".join(problems))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def po_files() -> list[Path]:
    return sorted(path for base in settings.LOCALE_PATHS for path in Path(base).glob("*/LC_MESSAGES/*.po"))


class Command(BaseCommand):
    help = "Compile the project's .po files to .mo files with Babel (commit both)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if a committed .mo differs from its .po.")

    def handle(self, *args, check: bool = False, **options) -> str:
        stale = []
        for po_path in po_files():
            mo_path = po_path.with_suffix(".mo")
            data = compiled(po_path)
            if mo_path.exists() and mo_path.read_bytes() == data:
                continue
            if check:
                stale.append(str(mo_path))
            else:
                mo_path.write_bytes(data)
                self.stdout.write(f"compiled {mo_path}")
        if stale:
            raise CommandError("out of date (run manage.py compile_translations): " + ", ".join(stale))
        return ""
