from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView


class FaviconRedirect(RedirectView):
    """Browsers ask /favicon.ico of every page (the admin's too); the static URL is resolved per request, after
    collectstatic has written the manifest."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


admin.site.site_header = _("Helpdesk")
admin.site.site_title = _("Helpdesk admin")

urlpatterns = [
    # The desk and the KPIs live under the admin (its login, look and permissions); each app owns its routes.
    path("admin/", include("desk.urls")),
    path("admin/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", FaviconRedirect.as_view()),
    path("", include("operations.urls")),
    path("", include("storefront.urls")),
]
