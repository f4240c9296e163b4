"""Convert a database made before the apps were split (0.4 and earlier) to the new layout, keeping its data.

Up to 0.4 one app, `chat`, held the conversations, their messages and events, the tool calls and the evaluation
runs. They now live in `conversations`, `assistant` and `evaluation`, whose migrations were written afresh. The
tables are the same but for their names, so the conversion renames them (and the indexes named after them), moves
their content types (permissions follow: `chat.view_support_kpis` becomes `conversations.view_support_kpis`), and
records the new initial migrations as applied in place of the old ones. `migrate` then applies whatever came
after. It runs in one transaction, and does nothing on a database that is new or already converted, so
`make migrate` runs it every time.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Index

OLD_APP = "chat"
# The last migration of the old app: a database must have reached it (with 0.4) before it can be converted.
OLD_LAST_MIGRATION = "0005_trust_fingerprints_lease_owner_tool_calls"
# old table -> (app label, model name) now
MOVED_MODELS = {
    "chat_conversation": ("conversations", "conversation"),
    "chat_message": ("conversations", "message"),
    "chat_conversationevent": ("conversations", "conversationevent"),
    "chat_toolcall": ("assistant", "toolcall"),
    "chat_evaluationrun": ("evaluation", "evaluationrun"),
}
# The migrations of the new layout that describe exactly the schema a 0.4 database has.
BASELINE_MIGRATIONS = [
    ("orders", "0001_initial"),
    ("conversations", "0001_initial"),
    ("conversations", "0002_initial"),
    ("assistant", "0001_initial"),
    ("assistant", "0002_initial"),
    ("evaluation", "0001_initial"),
    ("tickets", "0001_initial"),
]
# Old migrations whose work the baseline now holds (the chat app's are all dropped).
REPLACED_MIGRATIONS = [("orders", "0002_lookupfailure"), ("tickets", "0002_number_from_id_email_verified")]


def needs_conversion() -> bool:
    """Whether this database still has the old layout: the old app's migrations recorded, the new ones not."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return False
    applied = recorder.migration_qs.filter(app__in=[OLD_APP, "conversations"]).values_list("app", "name")
    apps_recorded = {app for app, _name in applied}
    if "conversations" in apps_recorded or OLD_APP not in apps_recorded:
        return False
    if (OLD_APP, OLD_LAST_MIGRATION) not in set(applied):
        raise CommandError(
            "This database has an older layout than 0.4: migrate it with helpdesk 0.4 first "
            f"(it needs {OLD_APP}.{OLD_LAST_MIGRATION}), then run this command.")
    return True


def rename_indexes_named_after(old_table: str, model, schema_editor) -> int:
    """Give the model's named indexes their new names (the old ones were derived from the old table's name)."""
    with connection.cursor() as cursor:
        existing = connection.introspection.get_constraints(cursor, model._meta.db_table)
    renamed = 0
    for index in model._meta.indexes:
        if index.name in existing:
            continue
        columns = [model._meta.get_field(name.lstrip("-")).column for name in index.fields]
        for name, details in existing.items():
            if (details["index"] and not details["unique"] and not details["primary_key"]
                    and details["columns"] == columns and name.startswith(old_table[:11])):
                schema_editor.rename_index(model, Index(fields=index.fields, name=name), index)
                renamed += 1
                break
    return renamed


def convert() -> None:
    """Rename, move and re-record, in one transaction (call only when `needs_conversion()`)."""
    recorder = MigrationRecorder(connection)
    with connection.schema_editor() as schema_editor:  # one transaction (and on SQLite, FK checks deferred)
        existing_tables = set(connection.introspection.table_names())
        for old_table, (app_label, model_name) in MOVED_MODELS.items():
            model = apps.get_model(app_label, model_name)
            if old_table in existing_tables:
                schema_editor.alter_db_table(model, old_table, model._meta.db_table)
                rename_indexes_named_after(old_table, model, schema_editor)
            content_types = apps.get_model("contenttypes", "ContentType").objects
            content_types.filter(app_label=OLD_APP, model=model_name).update(app_label=app_label)
        recorder.migration_qs.filter(app=OLD_APP).delete()
        for app, name in REPLACED_MIGRATIONS:
            recorder.migration_qs.filter(app=app, name=name).delete()
        for app, name in BASELINE_MIGRATIONS:
            if not recorder.migration_qs.filter(app=app, name=name).exists():
                recorder.record_applied(app, name)


class Command(BaseCommand):
    help = "Convert a database made before the apps were split (0.4 and earlier); does nothing otherwise."

    def handle(self, *args, **options):
        if not needs_conversion():
            if options["verbosity"] > 1:
                self.stdout.write("The database already has the current layout.")
            return
        convert()
        self.stdout.write(self.style.SUCCESS(
            "Converted the database to the new app layout (conversations, assistant, evaluation); "
            "its data is kept. `migrate` applies the rest."))
