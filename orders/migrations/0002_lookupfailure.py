
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='LookupFailure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('session_key_hash', models.CharField(blank=True, max_length=64)),
                ('client_address_hash', models.CharField(blank=True, max_length=64)),
                ('email', models.CharField(blank=True, help_text='The canonical email the look-up claimed.', max_length=254)),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orders.customer')),
            ],
            options={
                'indexes': [models.Index(fields=['session_key_hash', 'created_at'], name='orders_look_session_18dd2c_idx'), models.Index(fields=['customer', 'created_at'], name='orders_look_custome_7093d8_idx'), models.Index(fields=['client_address_hash', 'created_at'], name='orders_look_client__b6dae9_idx'), models.Index(fields=['email', 'created_at'], name='orders_look_email_c0a70b_idx')],
            },
        ),
    ]
