"""The storefront: the shop's home page and the customers' login."""

from functools import wraps
from itertools import groupby

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from orders.models import Product


def with_chat_session(view):
    """Storefront pages carry the chat widget, whose conversation is bound to the browser session: make sure the
    session exists (and its cookie is set) before the widget's websocket connects."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.session.session_key:
            request.session["chat"] = True
        return view(request, *args, **kwargs)

    return wrapper


@with_chat_session
def home(request):
    products = Product.objects.order_by("category", "name")
    labels = dict(Product.Category.choices)
    categories = [(labels.get(key, key), list(group)) for key, group in groupby(products, key=lambda p: p.category)]
    return render(request, "storefront/home.html", {"categories": categories})


@with_chat_session
def chat_page(request):
    return render(request, "storefront/chat.html")


class EmailAuthenticationForm(AuthenticationForm):
    """Customers log in with their email; their username is the lower-cased email."""

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip().lower()


class CustomerLoginView(auth_views.LoginView):
    template_name = "storefront/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "demo_hint": settings.DEBUG}
