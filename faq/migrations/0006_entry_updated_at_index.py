"""An index on the entries' updated_at: every search reads MAX(updated_at) to know whether its in-process index is
current (faq.search._fingerprint); without an index that read every row, milliseconds at 10,000 entries."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('faq', '0005_search_index_in_process'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='faqentry',
            index=models.Index(fields=['updated_at'], name='faq_entry_updated_at'),
        ),
    ]
