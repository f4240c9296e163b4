"""Search moved into the process (faq/search.py: the same stemming and accent folding in English and French on
every database, ranking over the question, the phrasings and the answer): the database-side full-text index of
migration 0002 is no longer read, so it no longer costs every write. Reversing recreates it."""

import importlib

from django.db import migrations

full_text = importlib.import_module("faq.migrations.0002_full_text_search")


class Migration(migrations.Migration):
    dependencies = [("faq", "0004_phrasings_drafts_and_content_gaps")]

    operations = [
        migrations.RunPython(
            full_text._run({"sqlite": full_text.SQLITE_BACKWARD, "postgresql": full_text.POSTGRES_BACKWARD}),
            full_text._run({"sqlite": full_text.SQLITE_FORWARD, "postgresql": full_text.POSTGRES_FORWARD}),
        )
    ]
