"""One-way fingerprints of credentials and personal identifiers, for the places that must match them later but
must never show or store them in clear (a browser session key is a live credential; a client address is personal
data and has few enough values to be guessed back from a plain hash)."""

import hashlib
import hmac

from django.conf import settings


def session_fingerprint(session_key: str) -> str:
    """SHA-256 of a browser session key ("" for none). Session keys are long and random, so no key is needed, and
    rotating SECRET_KEY does not orphan open conversations."""
    if not session_key:
        return ""
    return hashlib.sha256(session_key.encode()).hexdigest()


def address_fingerprint(address: str) -> str:
    """Keyed hash of a client address ("" for none): an address can be guessed back from a plain hash."""
    if not address:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), f"address:{address}".encode(), hashlib.sha256).hexdigest()
