"""Template rendering with the caller's language and CSRF token."""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from crossdesk.actions.notes import MENTION
from crossdesk.web.i18n import UI_LANGUAGES, gettext_for, ui_language

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.autoescape = True

STATUS_LABELS = {
    "received": "received",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "unknown": "unknown",
    "blocked": "blocked",
}


def _ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _clock(value: datetime | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _highlight(text: str, findings: list[dict[str, Any]] | None) -> Markup:
    """Escape ``text`` and wrap every flagged word in <mark>. Works on the displayed
    (masked) text by the matched spelling, since masking may shift offsets."""
    words = sorted({str(f.get("matched", "")) for f in findings or [] if f.get("matched")}, key=len)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in reversed(words)))
    out: list[str] = []
    cursor = 0
    for match in pattern.finditer(text):
        out.append(str(escape(text[cursor : match.start()])))
        out.append(f'<mark class="flag">{escape(match.group(0))}</mark>')
        cursor = match.end()
    out.append(str(escape(text[cursor:])))
    return Markup("".join(out))  # noqa: S704  # every piece above is escaped


def _mentions(text: str) -> Markup:
    """Escape a note and wrap each ``@name`` in <mark class="mention">."""
    out: list[str] = []
    cursor = 0
    for match in MENTION.finditer(text):
        out.append(str(escape(text[cursor : match.start()])))
        out.append(f'<mark class="mention">{escape(match.group(0))}</mark>')
        cursor = match.end()
    out.append(str(escape(text[cursor:])))
    return Markup("".join(out))  # noqa: S704  # every piece above is escaped


TEMPLATES.env.filters["ago"] = _ago
TEMPLATES.env.filters["mentions"] = _mentions
TEMPLATES.env.filters["clock"] = _clock
TEMPLATES.env.filters["highlight"] = _highlight


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    web_session = getattr(request.state, "web_session", None)
    language = ui_language(principal.language if principal else request.cookies.get("cd_lang"))
    base: dict[str, Any] = {
        "_": gettext_for(language),
        "ui_language": language,
        "ui_languages": UI_LANGUAGES,
        "principal": principal,
        "csrf_token": web_session.csrf_token if web_session else "",
        "status_labels": STATUS_LABELS,
    }
    base.update(context or {})
    response = TEMPLATES.TemplateResponse(request, template, base, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
