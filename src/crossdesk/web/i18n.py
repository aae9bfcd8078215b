"""UI string catalogues (gettext .po files compiled in memory at start-up).

English is the source language; ``zh-Hans`` comes from ``ui/locale/zh_Hans``.
"""

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "ui" / "locale"
UI_LANGUAGES = {"en": "English", "zh-Hans": "简体中文"}
_CATALOG_DIRS = {"zh-Hans": "zh_Hans"}


@cache
def _translations(language: str) -> gettext.NullTranslations:
    folder = _CATALOG_DIRS.get(language)
    if folder is None:
        return gettext.NullTranslations()
    with (LOCALE_DIR / folder / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def ui_language(preferred: str | None) -> str:
    if preferred and preferred.lower().startswith("zh"):
        return "zh-Hans"
    return "en"


def gettext_for(language: str | None) -> Callable[[str], str]:
    return _translations(ui_language(language)).gettext
