"""Every UI string has a Simplified Chinese translation, and the catalogue loads."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

from crossdesk.web.i18n import gettext_for

TEMPLATES = Path(__file__).resolve().parents[2] / "src/crossdesk/web/ui/templates"


def test_every_template_string_is_translated_to_chinese() -> None:
    messages = {
        message
        for _f, _l, message, _c, _ctx in extract_from_dir(str(TEMPLATES), [("**.html", "jinja2")])
        if isinstance(message, str)
    }
    assert len(messages) > 30
    zh = gettext_for("zh-Hans")
    untranslated = sorted(m for m in messages if zh(m) == m)
    assert untranslated == []


def test_english_is_the_source_language() -> None:
    assert gettext_for("en")("Send") == "Send"
    assert gettext_for("zh-CN")("Send") == "发送"
