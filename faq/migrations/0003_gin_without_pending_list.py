"""FAQ entries are written rarely (an admin's edit) and searched on every question: keep the GIN index without a
pending list, so a freshly written entry is found through the index at once and searches never scan the list."""

from django.db import migrations


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("faq", "0002_full_text_search")]

    operations = [
        migrations.RunPython(_run("ALTER INDEX faq_faqentry_search_vector_gin SET (fastupdate = off)"),
                             _run("ALTER INDEX faq_faqentry_search_vector_gin SET (fastupdate = on)")),
    ]
