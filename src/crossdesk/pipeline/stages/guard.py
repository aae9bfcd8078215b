"""Check a message against the workspace's sensitive-word lists."""

from typing import Any, Protocol

from crossdesk.domain import Direction, StageStatus
from crossdesk.pipeline.stage import Draft, Outcome


class GuardCheck(Protocol):
    """What the stage needs from the guard: a workspace's findings as dicts with an
    ``action`` (block, warn, mask, alert) and offsets into ``text``."""

    async def findings(
        self, workspace_id: str, text: str, direction: Direction
    ) -> list[dict[str, Any]]: ...


class GuardStage:
    """Runs on the original text (``on="text"``) or on the outgoing translation
    (``on="translation"``). A ``block`` finding on an outbound message halts it."""

    def __init__(self, guard: GuardCheck | None, *, on: str = "text") -> None:
        self._guard = guard
        self._on = on
        self.name = "guard" if on == "text" else "guard_translation"

    async def run(self, draft: Draft) -> Outcome:
        if self._guard is None:
            draft.notes[self.name] = "not checked: no word lists configured"
            return Outcome.CONTINUE
        if self._on == "translation":
            if draft.translation is None:
                draft.notes[self.name] = "no translation to check"
                return Outcome.CONTINUE
            text = draft.translation
        else:
            text = draft.text
        raw = await self._guard.findings(draft.workspace_id, text, draft.direction)
        found = [{**f, "on": self._on} for f in raw]
        draft.guard_findings.extend(found)
        if any(f.get("action") == "block" for f in draft.guard_findings):
            draft.guard_status = StageStatus.BLOCKED
        elif draft.guard_findings:
            draft.guard_status = StageStatus.FLAGGED
        elif draft.guard_status is StageStatus.NOT_CHECKED:
            draft.guard_status = StageStatus.CLEAN
        draft.notes[self.name] = f"{len(found)} finding(s)"
        if draft.direction is not Direction.OUTBOUND:
            return Outcome.CONTINUE
        blocking = [f for f in found if f.get("action") == "block"]
        warning = [f for f in found if f.get("action") == "warn"]
        if blocking:
            draft.halted_by = self.name
            draft.halt_reason = f"blocked words: {_words(blocking)}"
            return Outcome.HALT
        if warning and not draft.confirm_warnings:
            draft.halted_by = self.name
            draft.needs_confirmation = True
            draft.halt_reason = f"words that need a second look: {_words(warning)}; send anyway?"
            return Outcome.HALT
        return Outcome.CONTINUE


def _words(findings: list[dict[str, Any]]) -> str:
    return ", ".join(sorted({str(f.get("matched", "")) for f in findings}))


def guard_summary(findings: list[dict[str, Any]], **extra: object) -> dict[str, Any]:
    """What the audit log keeps of guard hits: terms, lists, categories and actions."""
    return {
        "terms": sorted({str(f.get("term")) for f in findings})[:20],
        "lists": sorted({str(f.get("list")) for f in findings}),
        "categories": sorted({str(f.get("category")) for f in findings}),
        "actions": sorted({str(f.get("action")) for f in findings}),
        **extra,
    }
