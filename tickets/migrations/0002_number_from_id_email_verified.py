
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='email_verified',
            field=models.BooleanField(default=False, help_text="The email was checked against an order or a login; a guest's given email is not."),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='number',
            field=models.CharField(editable=False, help_text='TCK-NNNNNNN, derived from the row id by a bijection: unique by construction, not sequential.', max_length=12, null=True, unique=True),
        ),
    ]
