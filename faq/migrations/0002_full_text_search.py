"""Full-text search maintained by the database itself (see faq/search.py).

SQLite: an external-content FTS5 table plus insert/update/delete triggers. PostgreSQL: a stored generated tsvector
column with a GIN index. A later migration that rebuilds faq_faqentry on SQLite must recreate the triggers.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE faq_faqentry_fts USING fts5(
        question, answer, content='faq_faqentry', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER faq_faqentry_fts_insert AFTER INSERT ON faq_faqentry BEGIN
        INSERT INTO faq_faqentry_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer);
    END""",
    """CREATE TRIGGER faq_faqentry_fts_delete AFTER DELETE ON faq_faqentry BEGIN
        INSERT INTO faq_faqentry_fts(faq_faqentry_fts, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
    END""",
    """CREATE TRIGGER faq_faqentry_fts_update AFTER UPDATE ON faq_faqentry BEGIN
        INSERT INTO faq_faqentry_fts(faq_faqentry_fts, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
        INSERT INTO faq_faqentry_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer);
    END""",
    "INSERT INTO faq_faqentry_fts(faq_faqentry_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS faq_faqentry_fts_update",
    "DROP TRIGGER IF EXISTS faq_faqentry_fts_delete",
    "DROP TRIGGER IF EXISTS faq_faqentry_fts_insert",
    "DROP TABLE IF EXISTS faq_faqentry_fts",
]

_CONFIG = "CASE WHEN language = 'fr' THEN 'french'::regconfig ELSE 'english'::regconfig END"
POSTGRES_FORWARD = [
    f"""ALTER TABLE faq_faqentry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector({_CONFIG}, coalesce(question, '')), 'A') ||
        setweight(to_tsvector({_CONFIG}, coalesce(answer, '')), 'B')
    ) STORED""",
    "CREATE INDEX faq_faqentry_search_vector_gin ON faq_faqentry USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS faq_faqentry_search_vector_gin",
    "ALTER TABLE faq_faqentry DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("faq", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
