"""Approved message templates of a WhatsApp Business Account (Graph API).

Outside the 24-hour customer-service window only a template may be sent. Templates belong to
the WhatsApp Business Account (config ``waba_id``), not to the phone number:
``GET /{version}/{waba-id}/message_templates?status=APPROVED`` returns ``data`` (``name``,
``language``, ``status``, ``category``, ``parameter_format``, ``components``) with cursor
``paging``. Graph returns only the fields asked for, so ``parameter_format`` must be asked for
(without it a NAMED template would look like one without parameters).

Reference: https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates

Parameters are positional (``{{1}}``) or, with ``parameter_format: NAMED``, named
(``{{customer_name}}``, sent with ``parameter_name``). A HEADER of format IMAGE, DOCUMENT or
VIDEO takes one media parameter (an uploaded media id or a link). Templates with named
parameters, a media header or a TEXT header with its one parameter (``{{1}}`` or
``{{name}}``) are listed only with ``include_rich=True`` (the caller must then send the names,
the header media or the header's value: see whatsapp/outbound.py).
"""

import re
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from crossdesk.channels.base import AccountContext
from crossdesk.channels.meta.graph import access_token, api_url, graph_error
from crossdesk.channels.whatsapp.adapter import DEFAULT_API_BASE
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError

MAX_PAGES = 10
PAGE_SIZE = 100
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
_NAMED = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_ANY_PLACEHOLDER = re.compile(r"\{\{.*?\}\}")
MEDIA_HEADERS = ("IMAGE", "DOCUMENT", "VIDEO")
HEADER_TEXT_MAX = 60  # characters of a TEXT header, its parameter filled in


class _Component(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str
    format: str | None = None
    text: str | None = None
    example: dict[str, Any] | None = None  # Any: Graph's sample values, read by _examples


class _Template(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    language: str
    status: str
    category: str | None = None
    parameter_format: str | None = None
    components: tuple[_Component, ...] = ()


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    data: tuple[dict[str, Any], ...] = ()  # Any: each template is validated on its own
    paging: dict[str, Any] | None = None  # Any: cursors and next URL


@dataclass(frozen=True, slots=True)
class Template:
    """An approved template whose body takes positional ``{{n}}`` (or, when
    ``parameter_names`` is set, named ``{{name}}``) text parameters, with an optional media
    header (``header_format``: IMAGE, DOCUMENT or VIDEO)."""

    name: str
    language: str
    category: str
    body: str
    parameters: int
    parameter_names: tuple[str, ...] = ()
    header_format: str | None = None
    # The template's sample value for each body parameter (as submitted for approval), in
    # parameter order; "" where there is none. Shown as placeholders, never sent.
    examples: tuple[str, ...] = ()
    header_text: str | None = None  # a TEXT header as written
    header_param: str | None = None  # its one parameter: "1", or its name (NAMED templates)
    header_example: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}|{self.language}"

    @property
    def labels(self) -> tuple[str, ...]:
        """How each body parameter is called: its name, or its position ``1``, ``2``, ..."""
        return self.parameter_names or tuple(str(n) for n in range(1, self.parameters + 1))

    def render_header(self, value: str | None) -> str | None:
        """The TEXT header as the customer will read it (None without one), or InvalidInput
        with ``field="header_param"``."""
        if self.header_param is None:
            if value:
                raise InvalidInput(
                    f"template {self.name} has no header parameter", field="header_param"
                )
            return self.header_text
        assert self.header_text is not None
        label = self.header_param
        _check_value(label, (value or "").strip(), "header_param")
        pattern = _PLACEHOLDER if label.isdigit() else _NAMED
        text = pattern.sub(lambda _m: (value or "").strip(), self.header_text)
        if len(text) > HEADER_TEXT_MAX:
            raise InvalidInput(
                f"the header may have at most {HEADER_TEXT_MAX} characters with {{{{{label}}}}} "
                f"filled in; it has {len(text)}",
                field="header_param",
            )
        return text

    def render(self, values: list[str]) -> str:
        """The body as the customer will read it, or InvalidInput naming what is missing
        (``field`` is ``param_<name>`` for a named parameter, else ``params``)."""
        if len(values) != self.parameters:
            raise InvalidInput(
                f"template {self.name} takes {self.parameters} parameters, got {len(values)}",
                field="params",
            )
        for label, value in zip(self.labels, values, strict=True):
            _check_value(label, value, f"param_{label}" if self.parameter_names else "params")
        if self.parameter_names:
            named = dict(zip(self.parameter_names, values, strict=True))
            return _NAMED.sub(lambda m: named.get(m.group(1), m.group(0)), self.body)
        return _PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], self.body)


def _check_value(label: str, value: str, field: str) -> None:
    if not value.strip():
        raise InvalidInput(f"parameter {{{{{label}}}}} is empty", field=field)
    if "\n" in value or "\t" in value or "    " in value:
        # The Cloud API refuses these in template parameters (error 132018).
        raise InvalidInput(
            f"parameter {{{{{label}}}}} may not contain new lines, tabs or four spaces",
            field=field,
        )


def _header_param(text: str, named: bool) -> tuple[bool, str | None]:
    """Whether crossdesk can fill this TEXT header, and the label of its one parameter
    (None without one). Several parameters, or one of the other format, cannot be filled."""
    if "{{" not in text:
        return True, None
    placeholders = _ANY_PLACEHOLDER.findall(text)
    labels = set((_NAMED if named else _PLACEHOLDER).findall(text))
    if len(labels) != 1 or len(placeholders) != 1 or text.count("{{") != 1:
        return False, None
    (label,) = labels
    return (named or label == "1"), label


def _template(raw: dict[str, Any], *, include_rich: bool = False) -> Template | None:
    try:
        parsed = _Template.model_validate(raw)
    except ValidationError:
        return None
    if parsed.status != "APPROVED":
        return None
    body_component = next((c for c in parsed.components if c.type.upper() == "BODY"), None)
    body = body_component.text if body_component is not None else None
    if body is None:
        return None
    header = next((c for c in parsed.components if c.type.upper() == "HEADER"), None)
    header_format = (header.format or "TEXT").upper() if header is not None else None
    named = (parsed.parameter_format or "POSITIONAL").upper() == "NAMED"
    header_text = header.text if header is not None and header_format == "TEXT" else None
    fillable, header_param = _header_param(header_text, named) if header_text else (True, None)
    if not fillable:
        return None  # a header with several parameters: not supported
    media_header = header_format if header_format in MEDIA_HEADERS else None
    if header_format not in (None, "TEXT") and media_header is None:
        return None  # LOCATION, GIF, ... headers
    names: tuple[str, ...] = ()
    if named:
        names = tuple(dict.fromkeys(_NAMED.findall(body)))  # first appearance order
        count = len(names)
    else:
        numbers = {int(n) for n in _PLACEHOLDER.findall(body)}
        if numbers != set(range(1, len(numbers) + 1)):
            return None
        count = len(numbers)
    if (names or media_header or header_param) and not include_rich:
        return None  # the caller cannot send names, header media or a header value
    assert body_component is not None
    return Template(
        parsed.name,
        parsed.language,
        parsed.category or "",
        body,
        count,
        names,
        media_header,
        _examples(body_component.example, names, count),
        header_text,
        header_param,
        _header_example(header.example if header is not None else None, named),
    )


def _header_example(example: dict[str, Any] | None, named: bool) -> str:
    """``header_text_named_params`` (NAMED) or ``header_text`` (a list of one string)."""
    if example is None:
        return ""
    if named:
        items = example.get("header_text_named_params") or ()
        values = [i.get("example") for i in items if isinstance(i, dict)]
    else:
        values = list(example.get("header_text") or ())
    first = values[0] if values else ""
    return first[:60] if isinstance(first, str) else ""


def _examples(
    example: dict[str, Any] | None, names: tuple[str, ...], count: int
) -> tuple[str, ...]:
    """Sample values per parameter: ``body_text_named_params`` (``param_name``, ``example``)
    for NAMED templates, ``body_text`` (one list of strings) for positional ones."""
    found: dict[str, str] = {}
    if example is not None and names:
        for item in example.get("body_text_named_params") or ():
            if isinstance(item, dict) and isinstance(item.get("example"), str):
                found[str(item.get("param_name"))] = item["example"]
        return tuple(found.get(name, "")[:200] for name in names)
    rows = example.get("body_text") if example is not None else None
    first = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], list) else []
    values = [v[:200] if isinstance(v, str) else "" for v in first[:count]]
    return tuple(values + [""] * (count - len(values)))


async def approved_templates(
    client: httpx.AsyncClient, account: AccountContext, *, include_rich: bool = False
) -> list[Template]:
    """Every approved template with a text body, following Graph's paging (with
    ``include_rich``, also those with named parameters or a media header)."""
    waba_id = account.config.get("waba_id", "").strip()
    if not waba_id:
        raise InvalidInput(
            "this WhatsApp account has no WhatsApp Business Account id (waba_id) configured",
            field="waba_id",
        )
    headers = {"Authorization": f"Bearer {access_token(account)}"}
    url: str | None = api_url(account, DEFAULT_API_BASE, waba_id, "message_templates")
    params: dict[str, str] | None = {
        "status": "APPROVED",
        "fields": "name,language,status,category,parameter_format,components",
        "limit": str(PAGE_SIZE),
    }
    found: list[Template] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        try:
            response = await client.get(url, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise RetryableSendError(
                f"no reply from Graph: {type(exc).__name__}", outcome="not_sent"
            ) from exc
        if not response.is_success:
            raise graph_error(response)
        try:
            page = _Page.model_validate_json(response.content)
        except ValidationError:
            raise PermanentSendError(
                "Graph returned an unreadable template list", reason="rejected"
            ) from None
        found.extend(
            t
            for t in (_template(raw, include_rich=include_rich) for raw in page.data)
            if t is not None
        )
        next_url = (page.paging or {}).get("next")
        url = next_url if isinstance(next_url, str) and next_url.startswith("http") else None
        params = None  # the next URL carries its own query
    return sorted(found, key=lambda t: (t.name, t.language))
