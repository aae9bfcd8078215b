"""The Null engine: the truthful end of every chain. It never fakes a translation.

It returns the text unchanged with status ``unavailable`` and a reason such as
``"not translated: no engine for es→zh-Hans"``, so the UI can say so and show how to configure
an engine, and a background worker can try again later.
"""

from __future__ import annotations

from collections.abc import Sequence

from crossdesk.translation.types import Status, TranslationRequest, TranslationResult

NAME = "null"


def untranslated(
    request: TranslationRequest,
    source: str,
    reason: str,
    *,
    status: Status = Status.UNAVAILABLE,
    attempts: tuple[str, ...] = (),
) -> TranslationResult:
    """The result for a request no engine translated: the original text, said plainly."""
    return TranslationResult(
        text=request.text,
        status=status,
        engine=NAME,
        source=source,
        target=request.target,
        reason=f"not translated: {reason}",
        attempts=attempts,
    )


class NullTranslator:
    """A :class:`~crossdesk.translation.types.Translator` with no engine behind it."""

    name = NAME

    async def translate(self, requests: Sequence[TranslationRequest]) -> list[TranslationResult]:
        return [
            untranslated(
                request,
                request.source or "und",
                f"no engine for {request.source or 'und'}→{request.target}",
            )
            for request in requests
        ]
