from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from chat.views.console import console
from chat.views.dashboard import kpi_dashboard, kpi_export



class FaviconRedirect(RedirectView):
    """Browsers ask /favicon.ico of every page (the admin's too); the static URL is resolved per request, after
    collectstatic has written the manifest."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


admin.site.site_header = "Helpdesk"
admin.site.site_title = "Helpdesk admin"

urlpatterns = [
    path("admin/console/<uuid:pk>/", admin.site.admin_view(console), name="agent-console"),
    path("admin/kpis/", kpi_dashboard, name="kpi-dashboard"),
    path("admin/kpis/export.csv", kpi_export, name="kpi-export"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", FaviconRedirect.as_view()),
    path("", include("chat.urls")),
]
