"""The websocket origin check: a socket is accepted only from the page's own origin (scheme, host and port) or a
trusted origin, on an allowed host."""

import pytest
from django.test import override_settings

from helpdesk.asgi import origin_allowed, parse_origin
from tests.chat.wsclient import connect


def scope(origin, host="localhost:8000", scheme="ws", extra=()):
    headers = [(b"host", host.encode())] if host is not None else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers + list(extra)}


LOCAL = override_settings(ALLOWED_HOSTS=["localhost", "[::1]", "shop.example.com"], CSRF_TRUSTED_ORIGINS=[])


@LOCAL
@pytest.mark.parametrize("origin, host, scheme", [
    ("http://localhost:8000", "localhost:8000", "ws"),
    ("HTTP://LOCALHOST:8000", "localhost:8000", "ws"),
    ("https://shop.example.com", "shop.example.com", "wss"),
    ("https://shop.example.com:443", "shop.example.com", "wss"),
    ("http://[::1]:8000", "[::1]:8000", "ws"),
])
def test_the_pages_own_origin_is_accepted(origin, host, scheme):
    assert origin_allowed(scope(origin, host, scheme))


@LOCAL
@pytest.mark.parametrize("origin", [
    "http://localhost:8001",  # another port of the same host
    "http://localhost",  # the default port is another port
    "https://localhost:8000",  # another scheme
    "ws://localhost:8000",  # not a page's scheme
    "http://localhost:8000@evil.com",  # userinfo: the host is evil.com
    "http://evil.com@localhost:8000",  # userinfo the other way round: not what a browser sends
    "http://localhost.:8000",  # a trailing dot is another origin for the browser
    "http://localhost:8000.evil.com",
    "http://evil.com#@localhost:8000",
    "http://localhost:8000/path",
    "http://[::1]:8000",  # IPv6 loopback is not the page's host
    "http://[::ffff:127.0.0.1]:8000",
    "http://localhost:08000x",
    "http://localhost:8000\r\nX: y",
    "http://lоcalhost:8000",  # Cyrillic "о"
    "null",
    "",
])
def test_any_other_origin_is_refused(origin):
    assert not origin_allowed(scope(origin))


@LOCAL
def test_a_missing_or_repeated_origin_is_refused():
    assert not origin_allowed(scope(None))
    assert not origin_allowed(scope("http://localhost:8000", extra=[(b"origin", b"http://evil.com")]))


@LOCAL
@pytest.mark.parametrize("host", ["evil.com:8000", "localhost.evil.com:8000", None])
def test_a_host_outside_allowed_hosts_is_refused_even_when_origin_matches_it(host):
    origin = f"http://{host}" if host else "http://localhost:8000"
    assert not origin_allowed(scope(origin, host=host))


@override_settings(ALLOWED_HOSTS=["shop.example.com"], CSRF_TRUSTED_ORIGINS=["https://*.example.com",
                                                                             "https://chat.partner.test:8443"])
@pytest.mark.parametrize("origin, allowed", [
    ("https://www.example.com", True),
    ("https://a.b.example.com", True),
    ("https://chat.partner.test:8443", True),
    ("http://www.example.com", False),  # trusted for https only
    ("https://www.example.com:8443", False),  # another port
    ("https://example.com.evil.test", False),
    ("https://evilexample.com", False),
    ("https://chat.partner.test", False),
])
def test_trusted_origins_are_accepted_with_their_scheme_and_port_only(origin, allowed):
    assert origin_allowed(scope(origin, host="shop.example.com", scheme="wss")) is allowed


@override_settings(ALLOWED_HOSTS=["shop.example.com"], CSRF_TRUSTED_ORIGINS=[],
                   SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_a_tls_proxy_the_forwarded_scheme_is_the_pages():
    forwarded = [(b"x-forwarded-proto", b"https")]
    assert origin_allowed(scope("https://shop.example.com", host="shop.example.com", extra=forwarded))
    assert not origin_allowed(scope("http://shop.example.com", host="shop.example.com", extra=forwarded))


def test_parse_origin_names_the_host_a_browser_would_connect_to():
    assert parse_origin("http://localhost:8000@evil.com") is None
    assert parse_origin("https://Shop.Example.com") == ("https", "shop.example.com", 443)
    assert parse_origin("http://[::1]:8000") == ("http", "[::1]", 8000)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [b"http://testserver:8080", b"https://testserver", b"null",
                                    b"http://testserver@evil.example"])
async def test_a_chat_socket_from_another_port_scheme_or_a_null_origin_is_refused(origin):
    ws = await connect(origin=(b"origin", origin))
    assert not ws.connected


@pytest.mark.django_db(transaction=True)
async def test_a_chat_socket_from_the_pages_own_origin_is_accepted():
    ws = await connect()
    assert ws.connected
    await ws.receive_json_from()
    await ws.disconnect()
