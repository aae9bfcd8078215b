"""Side-by-side engine comparison: one text through several configured engines at once.

For admins and supervisors choosing or checking engines (``translation.compare``). The text
is masked first exactly like a message (engines see ``⟦TYPE_n⟧`` tokens, never personal
data); each engine answers on its own, with no fallback, so a failure shows as that
engine's failure. Answers come back with masks for viewers, never raw values. Characters
count as usage of the caller (engines cost money); the comparison is audited without the
text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crossdesk.db.session import transaction
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.pipeline.engines import RouterTranslator
from crossdesk.pipeline.stages.translate import translating_for, translating_for_agent
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.translation import TranslationRequest, languages

MAX_TEXT = 4000
MAX_ENGINES = 8


@dataclass(frozen=True, slots=True)
class EngineAnswer:
    engine: str
    text: str  # masks in place of personal data
    status: str  # ok | unavailable | failed
    placeholders_ok: bool
    reason: str | None
    cached: bool
    milliseconds: float
    self_hosted: bool
    needs_review: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    source: str
    target: str
    text: str  # the input as viewers see it (masked)
    answers: list[EngineAnswer]


def configured_engines(services: Services) -> list[str]:
    translator = services.translator
    if isinstance(translator, RouterTranslator):
        return list(translator.router.engines)
    return []


async def compare_engines(
    services: Services,
    principal: Principal,
    text: str,
    target: str,
    actor: audit.Actor,
    *,
    source: str | None = None,
    engines: Sequence[str] | None = None,
) -> Comparison:
    if not principal.can(Permission.TRANSLATION_COMPARE):
        raise PermissionDenied("your role lacks the permission: translation.compare")
    text = text.strip()
    if not text:
        raise InvalidInput("there is no text to translate", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"the text exceeds {MAX_TEXT} characters", field="text")
    try:
        target = languages.normalize(target)
        source = languages.normalize(source) if source else None
    except ValueError as exc:
        raise InvalidInput(str(exc), field="target" if source is None else "source") from None
    if target in (languages.AUTO, languages.UNDETERMINED):
        raise InvalidInput("the target language must be a language", field="target")
    translator = services.translator
    available = configured_engines(services)
    if not isinstance(translator, RouterTranslator) or not available:
        raise InvalidInput(
            "no translation engine is configured (docs/translation.md says how)", field="engines"
        )
    names = list(dict.fromkeys(engines)) if engines else available
    unknown = [name for name in names if name not in available]
    if unknown:
        raise InvalidInput(
            f"not configured: {', '.join(unknown)} (configured: {', '.join(available)})",
            field="engines",
        )
    if len(names) > MAX_ENGINES:
        raise InvalidInput(f"compare at most {MAX_ENGINES} engines at once", field="engines")
    masked = services.masker.mask(text, None)
    request = TranslationRequest(masked.engine_text, target=target, source=source)
    router = translator.router
    with translating_for_agent(principal.workspace_id, principal.user_id):
        timed = await router.compare(request, names)
        store = translator.store
        if store is not None:
            for item in timed:
                store.count(item.result, translating_for.get())
            await store.save()
    answers = []
    for item in timed:
        result = item.result
        shown = result.text
        for token, mask in masked.token_masks.items():
            shown = shown.replace(token, mask)
        engine = router.engines[result.engine]
        answers.append(
            EngineAnswer(
                engine=result.engine,
                text=shown,
                status=str(result.status),
                placeholders_ok=result.placeholders_ok,
                reason=result.reason if not result.ok else None,
                cached=result.cached,
                milliseconds=round(item.milliseconds, 1),
                self_hosted=engine.self_hosted,
                needs_review=result.needs_review,
            )
        )
    pair_source = timed[0].result.source if timed else (source or languages.AUTO)
    async with transaction(services.sessionmaker) as session:
        await audit.record(
            session,
            principal.workspace_id,
            "translation.compare",
            actor,
            data={
                "engines": names,
                "source": pair_source,
                "target": target,
                "characters": len(masked.engine_text),
                "ok": [a.engine for a in answers if a.status == "ok"],
            },
        )
    return Comparison(pair_source, target, masked.masked_text, answers)
