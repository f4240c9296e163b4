"""The knowledge base's version row and the triggers that change it (faq.models.KnowledgeVersion).

Every INSERT, UPDATE or DELETE (and on PostgreSQL TRUNCATE) of the entries or the phrasings sets the row's stamp to
a new random number, inserting the row if it is missing (a test database flushed between tests). Random rather than
a counter: a counter restarted by a flush could come back to a value an index was built at, with other content.
PostgreSQL: one statement-level trigger per table (a bulk_create of a thousand rows sets it once). SQLite has row
triggers only: one per table and operation.
"""

from django.db import migrations, models

TABLES = ("faq_faqentry", "faq_faqphrasing")
VERSION = "faq_knowledge_version"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION faq_knowledge_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO {VERSION} (id, stamp) VALUES (1, (random() * 9.0e18)::bigint)
    ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

SQLITE_BODY = (f"INSERT INTO {VERSION} (id, stamp) VALUES (1, random()) "
               f"ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp")


def create_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            for table in TABLES:
                cursor.execute(f"CREATE TRIGGER {table}_knowledge_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                               f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION faq_knowledge_changed()")
            cursor.execute(f"INSERT INTO {VERSION} (id, stamp) VALUES (1, (random() * 9.0e18)::bigint)")
        else:
            for table in TABLES:
                for operation in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(f"CREATE TRIGGER {table}_{operation.lower()}_knowledge_changed AFTER {operation} "
                                   f"ON {table} BEGIN {SQLITE_BODY}; END")
            cursor.execute(f"INSERT INTO {VERSION} (id, stamp) VALUES (1, random())")


def drop_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_knowledge_changed ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS faq_knowledge_changed()")
        else:
            for table in TABLES:
                for operation in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{operation}_knowledge_changed")


class Migration(migrations.Migration):

    dependencies = [
        ('faq', '0006_entry_updated_at_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='KnowledgeVersion',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('stamp', models.BigIntegerField(default=0)),
            ],
            options={'db_table': 'faq_knowledge_version'},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
