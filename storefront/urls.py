from django.contrib.auth import views as auth_views
from django.urls import path

from . import support
from . import views as storefront

app_name = "storefront"

urlpatterns = [
    path("", storefront.home, name="home"),
    path("chat/", storefront.chat_page, name="chat"),
    path("login/", storefront.CustomerLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("support/", support.requests_list, name="support-requests"),
    path("support/<str:number>/", support.request_detail, name="support-request"),
    path("support/link/<str:token>/", support.ticket_link, name="ticket-link"),
]
