"""Model and agent text to safe HTML: the only way message text reaches a page.

A safe Markdown subset (paragraphs, line breaks, bullet and numbered lists, bold, italics, inline code, links to our
own site) rendered by markdown-it with raw HTML disabled, then cleaned by nh3 (an allow-list sanitizer) as a second
wall. Images are never rendered (a Markdown image can carry data to another host in its URL); a link to another host
becomes plain text, so nothing the model writes can send the customer, or their data, elsewhere.
"""

from urllib.parse import urlsplit

import nh3
from django.conf import settings
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "code", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}

_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    .disable(["heading", "lheading", "table", "fence", "code", "blockquote", "hr", "html_block", "html_inline"],
             ignoreInvalid=True)
)


def is_own_url(url: str) -> bool:
    """Relative paths on our site, or absolute http(s) URLs to one of our own hosts."""
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return True
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    own_hosts = {h.lower() for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"}
    return (parts.hostname or "").lower() in own_hosts


def _link_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if is_own_url(value) else None
    return value


def _drop_foreign_links(tokens) -> None:
    """Turn links to other hosts into their text (the URL is not shown either)."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children = []
        for child in token.children:
            if child.type == "link_open" and not is_own_url(child.attrGet("href") or ""):
                child.type, child.tag = "text", ""
                child.content = ""
            elif child.type == "link_close" and children and _opened_foreign(children):
                child.type, child.tag, child.content = "text", "", ""
            elif child.type == "image":
                child.type, child.tag, child.content, child.children = "text", "", child.content or "", None
            children.append(child)
        token.children = children


def _opened_foreign(children) -> bool:
    """Whether the link being closed was a foreign one (its opening token was turned into text)."""
    depth = 0
    for child in reversed(children):
        if child.type == "link_close":
            depth += 1
        elif child.type == "link_open":
            if depth == 0:
                return False
            depth -= 1
        elif child.type == "text" and child.tag == "" and child.content == "" and depth == 0:
            return True
    return False


def render_markdown(text: str) -> str:
    tokens = _markdown.parse(text or "")
    _drop_foreign_links(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_link_filter,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
