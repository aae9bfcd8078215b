"""Check a message against the workspace's sensitive-word lists."""

from typing import Any, Protocol

from crossdesk.domain import Direction, StageStatus
from crossdesk.pipeline.stage import Draft, Outcome


class GuardCheck(Protocol):
    """What the stage needs from the guard engine: findings as dicts with an ``action``."""

    def findings(self, text: str, direction: Direction) -> list[dict[str, Any]]: ...


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
        found = [{**f, "on": self._on} for f in self._guard.findings(text, draft.direction)]
        draft.guard_findings.extend(found)
        if any(f.get("action") == "block" for f in draft.guard_findings):
            draft.guard_status = StageStatus.BLOCKED
        elif draft.guard_findings:
            draft.guard_status = StageStatus.FLAGGED
        elif draft.guard_status is StageStatus.NOT_CHECKED:
            draft.guard_status = StageStatus.CLEAN
        draft.notes[self.name] = f"{len(found)} finding(s)"
        if draft.direction is Direction.OUTBOUND and any(f.get("action") == "block" for f in found):
            draft.halted_by = self.name
            terms = ", ".join(sorted({str(f.get("matched", "")) for f in found}))
            draft.halt_reason = f"blocked words: {terms}"
            return Outcome.HALT
        return Outcome.CONTINUE
