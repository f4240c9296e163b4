
import django.db.models.deletion
from django.db import migrations, models


def fingerprint_session_keys(apps, schema_editor):
    """Session keys were stored in clear: keep only their fingerprint, so open conversations stay reachable."""
    import hashlib

    Conversation = apps.get_model("chat", "Conversation")
    for conversation in Conversation.objects.exclude(session_key_hash="").only("pk", "session_key_hash"):
        conversation.session_key_hash = hashlib.sha256(conversation.session_key_hash.encode()).hexdigest()
        conversation.save(update_fields=["session_key_hash"])


class Migration(migrations.Migration):

    dependencies = [
        ('chat', '0004_message_tool_counts'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='conversation',
            options={'ordering': ['-started_at'], 'permissions': [('view_support_kpis', 'Can view the support KPIs and export conversations')]},
        ),
        migrations.RenameField(model_name='conversation', old_name='session_key', new_name='session_key_hash'),
        migrations.RunPython(fingerprint_session_keys, migrations.RunPython.noop),
        migrations.AddField(
            model_name='conversation',
            name='client_address_hash',
            field=models.CharField(blank=True, help_text="Keyed hash of the client's address, for rate limits across chats.", max_length=64),
        ),
        migrations.AlterField(
            model_name='conversation',
            name='session_key_hash',
            field=models.CharField(blank=True, db_index=True, help_text='SHA-256 of the browser session key (the key itself is a credential and is never stored).', max_length=64),
        ),
        migrations.AddField(
            model_name='conversation',
            name='turn_lease_owner',
            field=models.CharField(blank=True, help_text='Which process (and turn) holds the lease: only it renews or releases it.', max_length=64),
        ),
        migrations.CreateModel(
            name='ToolCall',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tool_use_id', models.CharField(max_length=100)),
                ('name', models.CharField(max_length=40)),
                ('result', models.JSONField(blank=True, help_text='The stored ToolResult; null while it runs.', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('conversation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tool_calls', to='chat.conversation')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('conversation', 'tool_use_id'), name='tool_call_once_per_id')],
            },
        ),
    ]
