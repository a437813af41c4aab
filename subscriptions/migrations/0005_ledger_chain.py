"""Chain the ledger: every entry gets a sequence, the hash of the entry before it and its own hash; one head row
holds the last of them; triggers make the database refuse changes and removals (subscriptions/ledger_guard.py).

Existing entries are chained in the order they were written, (created_at, id), before the triggers exist.
"""

from django.db import migrations, models

from subscriptions.ledger import entry_hash
from subscriptions.ledger_guard import guard_install, guard_remove

GENESIS_HASH = "0" * 64
CHUNK = 1000


def chain_existing(apps, schema_editor):
    LedgerEntry = apps.get_model("subscriptions", "LedgerEntry")
    LedgerHead = apps.get_model("subscriptions", "LedgerHead")
    entries = LedgerEntry.objects.using(schema_editor.connection.alias)
    ids = list(entries.order_by("created_at", "id").values_list("id", flat=True))
    sequence, prev_hash = 0, GENESIS_HASH
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = entries.in_bulk(chunk)
        for entry_id in chunk:
            entry = found[entry_id]
            sequence += 1
            entry.sequence, entry.prev_hash = sequence, prev_hash
            entry.hash = entry_hash(entry)
            entries.filter(pk=entry_id).update(sequence=sequence, prev_hash=prev_hash, hash=entry.hash)
            prev_hash = entry.hash
    LedgerHead.objects.using(schema_editor.connection.alias).create(id=1, sequence=sequence, hash=prev_hash)


def install_guard(apps, schema_editor):
    guard_install(schema_editor.connection)


def remove_guard(apps, schema_editor):
    guard_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_notification_reprocess_permission"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                (
                    "hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64
                    ),
                ),
                ("verified_sequence", models.PositiveBigIntegerField(default=0)),
                (
                    "verified_hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64
                    ),
                ),
                ("verified_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="ledger_head_single_row")],
            },
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ledgerentry",
            name="sequence",
            field=models.PositiveBigIntegerField(
                editable=False,
                help_text="Position in the chain, from 1 without gaps; a gap is a removed entry.",
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="prev_hash",
            field=models.CharField(
                editable=False,
                help_text="The hash of the entry before (zeros for the first).",
                max_length=64,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="hash",
            field=models.CharField(
                editable=False, help_text="SHA-256 of the entry's canonical form.", max_length=64, unique=True
            ),
        ),
        migrations.RunPython(install_guard, remove_guard),
    ]
