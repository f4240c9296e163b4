"""PostgreSQL statistics on the day a conversation started, so that the KPI trends hash their days.

The daily series groups conversations by TruncDate("started_at"), which PostgreSQL runs as
`(started_at AT TIME ZONE '<TIME_ZONE>')::date`. Without statistics on that expression the planner guesses one group
per conversation and sorts every row of the range (on disk past work_mem) to group them; with them it knows there
are about as many groups as days and hashes them in memory (about half the time at 100,000 conversations).

The expression names the time zone of the settings (the one the dashboard groups by), so a changed TIME_ZONE only
makes these statistics unused until recreated, never wrong. SQLite has no such statistics: nothing to do there.
"""

from django.conf import settings
from django.db import migrations

NAME = "conversations_conversation_started_day_stats"


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    zone = schema_editor.quote_value(settings.TIME_ZONE)
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {NAME} ON ((started_at AT TIME ZONE {zone})::date) "
        f"FROM conversations_conversation")


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ("conversations", "0003_status_history"),
    ]

    operations = [
        migrations.RunPython(create_statistics, drop_statistics, elidable=False),
    ]
