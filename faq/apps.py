from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("FAQ")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401 (registers the system checks)
        from .models import FaqEntry, FaqPhrasing
        from .search import forget_index

        for model in (FaqEntry, FaqPhrasing):
            post_save.connect(forget_index, sender=model, dispatch_uid=f"faq-index-{model.__name__}-save")
            post_delete.connect(forget_index, sender=model, dispatch_uid=f"faq-index-{model.__name__}-delete")
