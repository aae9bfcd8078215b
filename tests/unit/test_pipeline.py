"""Pipeline stages record honestly what they did, and a block halts an outbound message."""

from typing import Any

from crossdesk.domain import Direction, StageStatus
from crossdesk.pipeline import Draft, Outcome
from crossdesk.pipeline.factory import build_pipelines
from crossdesk.pipeline.stages.translate import TranslationOutcome


def _draft(direction: Direction, text: str = "hola") -> Draft:
    return Draft("ws", direction, text, source_language="es", target_language="zh-Hans")


async def test_pass_through_records_nothing_was_checked() -> None:
    result = await build_pipelines().inbound.run(_draft(Direction.INBOUND))
    draft = result.draft
    assert result.ran == ("detect_language", "guard", "mask", "translate")
    assert draft.guard_status is StageStatus.NOT_CHECKED
    assert draft.pii_status is StageStatus.NOT_MASKED
    assert draft.translation is None
    assert draft.translation_note == "not translated: no engine for es→zh-Hans"
    assert draft.notes["guard"].startswith("not checked")
    assert draft.visible_text == "hola"


class _BlockEverything:
    async def findings(
        self, workspace_id: str, text: str, direction: Direction
    ) -> list[dict[str, Any]]:
        return [{"term": "微信", "matched": text[:2], "action": "block", "start": 0, "end": 2}]


class _Upper:
    async def translate(self, text: str, source: str | None, target: str) -> TranslationOutcome:
        return TranslationOutcome(text.upper(), "upper")


async def test_block_halts_outbound_and_later_stages_say_so() -> None:
    pipelines = build_pipelines(guard=_BlockEverything(), translator=_Upper())
    result = await pipelines.outbound.run(_draft(Direction.OUTBOUND, "加我微信"))
    assert result.outcome is Outcome.HALT
    assert result.draft.guard_status is StageStatus.BLOCKED
    assert result.draft.notes["translate"] == "not run: stopped at guard"
    assert result.draft.translation is None


async def test_translation_is_recorded_with_engine_and_language() -> None:
    pipelines = build_pipelines(translator=_Upper())
    result = await pipelines.outbound.run(
        Draft("ws", Direction.OUTBOUND, "hi", source_language="en", target_language="es")
    )
    assert result.outcome is Outcome.CONTINUE
    assert result.draft.translation == "HI"
    assert result.draft.translation_engine == "upper"
    assert result.draft.translation_status is StageStatus.TRANSLATED
    assert result.draft.outgoing_text == "HI"


class _Prefix:
    """Keeps tokens intact, like a well-behaved engine; records what it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def translate(self, text: str, source: str | None, target: str) -> TranslationOutcome:
        self.seen.append(text)
        return TranslationOutcome(f"[{target}] {text}", "prefix")


async def test_engines_never_see_personal_data_and_the_customer_gets_it_back() -> None:
    from crossdesk.masking import MaskingEngine
    from crossdesk.pipeline.engines import MaskingAdapter

    translator = _Prefix()
    pipelines = build_pipelines(masker=MaskingAdapter(MaskingEngine()), translator=translator)
    text = "请拨打 +86 138 1234 5678 联系我们"
    result = await pipelines.outbound.run(
        Draft("ws", Direction.OUTBOUND, text, source_language="zh-Hans", target_language="es")
    )
    draft = result.draft
    assert translator.seen == ["请拨打 ⟦PHONE_1⟧ 联系我们"]  # what any engine would see
    assert draft.translation is not None and "1234" not in draft.translation
    assert draft.translation.startswith("[es] 请拨打 +86")
    assert draft.outgoing_text == "[es] 请拨打 +86 138 1234 5678 联系我们"
