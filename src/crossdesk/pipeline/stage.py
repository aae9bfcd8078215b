"""The Stage protocol and the Draft every stage reads and annotates.

A Draft is a message on its way in or out, before it is stored. Each stage fills in
its own fields and, when it did not or could not do its job, says so in ``notes``:
nothing downstream may assume a stage ran.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from crossdesk.domain import Direction, StageStatus


class Outcome(StrEnum):
    CONTINUE = "continue"
    HALT = "halt"  # stop here: the message must not go further (blocked reply)
    DEFER = "defer"  # stop here for now: a background worker finishes the job


@dataclass(slots=True)
class Draft:
    """A message in the pipeline. ``text`` is the original and is never modified."""

    workspace_id: str
    direction: Direction
    text: str
    # Inbound: the contact's known language. Outbound: the agent's language.
    source_language: str | None
    # Inbound: the agent's language. Outbound: the customer's language.
    target_language: str | None
    region_hint: str | None = None

    language: str | None = None
    language_status: StageStatus = StageStatus.NOT_DETECTED

    guard_status: StageStatus = StageStatus.NOT_CHECKED
    guard_findings: list[dict[str, Any]] = field(default_factory=list)

    masked_text: str | None = None
    pii_status: StageStatus = StageStatus.NOT_MASKED
    pii_spans: list[dict[str, Any]] = field(default_factory=list)
    # What engines may see: personal data replaced by ⟦TYPE_n⟧ tokens. The raw values
    # stay in memory only (``token_raw``) and are put back into the outgoing text.
    engine_text: str | None = None
    token_masks: dict[str, str] = field(default_factory=dict)
    token_raw: dict[str, str] = field(default_factory=dict)

    translation: str | None = None  # as viewers see it (personal data masked)
    outgoing_translation: str | None = None  # as the customer receives it (never stored clear)
    translation_language: str | None = None
    translation_engine: str | None = None
    translation_status: StageStatus = StageStatus.NOT_TRANSLATED
    translation_note: str | None = None
    back_translation: str | None = None

    # Outbound only: what the agent decided in the composer.
    translation_override: str | None = None
    allow_untranslated: bool = False
    confirm_warnings: bool = False  # "send anyway" after a warn-level word was shown
    needs_confirmation: bool = False

    halted_by: str | None = None
    halt_reason: str | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def visible_text(self) -> str:
        """The text agents may see: masked when masking ran, else the original."""
        return self.masked_text if self.masked_text is not None else self.text

    @property
    def outgoing_text(self) -> str:
        """For outbound drafts: what the customer will receive."""
        return self.outgoing_translation if self.outgoing_translation is not None else self.text

    def restore_tokens(self, text: str, *, raw: bool) -> str:
        """Put masks (for viewers) or raw values (for the customer) back in place of tokens."""
        values = self.token_raw if raw else self.token_masks
        for token, value in values.items():
            text = text.replace(token, value)
        return text


class Stage(Protocol):
    name: str

    async def run(self, draft: Draft) -> Outcome: ...
