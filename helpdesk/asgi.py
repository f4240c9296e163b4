"""ASGI entry point: HTTP through Django (after /healthz and /readyz, helpdesk.health), websockets through Channels
(session + auth, origin checked)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from urllib.parse import urlsplit  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402  (Django must be set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import WebsocketDenier  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402

from .health import HealthEndpoints  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # scheme, host (lower case, IPv6 in brackets), port (the default one filled in)


def parse_origin(value: str) -> Origin | None:
    """`scheme://host[:port]` exactly as a browser sends it, or None (`null`, userinfo, a path, another scheme…).

    Strict on purpose: `http://localhost:8000@evil.com` names the host evil.com, and a lenient parse that looked
    at the text before the `@` would let it in."""
    if not value or not value.isascii() or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or parts.path or parts.query or parts.fragment or "?" in value \
            or "#" in value or "@" in parts.netloc or "\\" in value or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return parts.scheme, host, port if port is not None else DEFAULT_PORTS[parts.scheme]


def page_origin(scope) -> Origin | None:
    """The origin of the page that opened this socket, if it was served here: the request's Host header with the
    socket's scheme (ws → http, wss → https; behind a TLS proxy, SECURE_PROXY_SSL_HEADER as Django reads it)."""
    headers = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    hosts = headers.get("host", [])
    if len(hosts) != 1:
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        forwarded = headers.get(name.removeprefix("HTTP_").replace("_", "-").lower(), [])
        if forwarded:
            scheme = "https" if forwarded[0].split(",")[0].strip() == secure_value else "http"
    return parse_origin(f"{scheme}://{hosts[0]}")


def trusted_origin(origin: Origin) -> bool:
    """Listed in CSRF_TRUSTED_ORIGINS, with Django's `*.` subdomain wildcard (`https://*.example.com`)."""
    scheme, host, port = origin
    for entry in getattr(settings, "CSRF_TRUSTED_ORIGINS", []):
        wildcard = "://*." in entry
        trusted = parse_origin(entry.replace("://*.", "://", 1))
        if trusted is None or trusted[0] != scheme or trusted[2] != port:
            continue
        if host == trusted[1] or (wildcard and host.endswith("." + trusted[1])):
            return True
    return False


def origin_allowed(scope) -> bool:
    """Accept a browser's socket only from our own pages: its one Origin header equals the page's own origin
    (scheme, host and port) or is a trusted origin, and the Host is in ALLOWED_HOSTS. A missing or `null` Origin
    (sandboxed frames, file:// pages, scripts that leave it out) is refused: every client of ours sends one."""
    origins = [value for name, value in scope.get("headers", []) if name.lower() == b"origin"]
    if len(origins) != 1:
        return False
    origin = parse_origin(origins[0].decode("latin-1"))
    own = page_origin(scope)
    if origin is None or own is None:
        return False
    domain, _port = split_domain_port(own[1] if own[2] == DEFAULT_PORTS[own[0]] else f"{own[1]}:{own[2]}")
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return origin == own or trusted_origin(origin)


class SameOriginValidator:
    """Refuses the websocket handshake (HTTP 403) unless `origin_allowed`. Channels' AllowedHostsOriginValidator
    compared the host only: a page on another port or scheme of an allowed host could open our sockets."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": HealthEndpoints(django_asgi_app),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
