"""Rules files: every problem names the file, the rule, the field (and the line for TOML)."""

from pathlib import Path

import pytest

from crossdesk.risk.rules import RuleFileError, default_rules_text, load_rules_file, parse_rules

GOOD = """
[[rules]]
id = "r1"
description = "d"
match.events = ["pii.reveal"]
group_by = ["user"]
window = "1h"
threshold = ">= 3"
actions = ["alert"]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, "rules.toml")
    return [str(p) for p in caught.value.problems]


def test_a_good_file_and_the_defaults_parse() -> None:
    assert parse_rules(GOOD).rules[0].limit == (">=", 3)
    assert len(parse_rules(default_rules_text()).rules) >= 8


def test_toml_syntax_error_names_the_line() -> None:
    text = GOOD + 'severity = \n[[rules]]\nid = "x"\n'
    [message] = problems(text)
    assert message.startswith("rules.toml, line 10: not valid TOML")


def test_field_errors_name_the_rule_and_the_field() -> None:
    cases = {
        'window = "1h"': ('window = "1 hour"', "rule r1, field window: '1 hour' is not a duration"),
        'threshold = ">= 3"': ('threshold = "at least 3"', "rule r1, field threshold:"),
        '["user"]': ('["usr"]', "rule r1, field group_by: unknown field 'usr'"),
        '["alert"]': ('["page"]', "rule r1, field actions.0:"),
        '["pii.reveal"]': ('["PII reveal"]', "rule r1, field match.events:"),
    }
    for old, (new, expected) in cases.items():
        [message] = problems(GOOD.replace(old, new))
        assert message.startswith("rules.toml, " + expected), message


def test_unknown_fields_missing_fields_and_positions() -> None:
    [message] = problems(GOOD.replace('window = "1h"', 'window = "1h"\nthreshhold = 3'))
    assert message == "rules.toml, rule r1, field threshhold: unknown field (check the spelling)"
    messages = problems(GOOD.replace('id = "r1"\n', ""))
    assert messages == ["rules.toml, rule rules[0], field id: Field required"]
    messages = problems(GOOD + GOOD)
    assert messages == ["rules.toml: rule id 'r1' is used twice"]


def test_rule_level_consistency() -> None:
    [message] = problems(GOOD.replace('actions = ["alert"]', 'actions = ["lock_account"]'))
    assert "rule r1" in message and "lock_account needs 'account' in group_by" in message
    [message] = problems(GOOD.replace('threshold = ">= 3"', 'new_value = "ip"\nthreshold = ">= 3"'))
    assert "either threshold" in message
    [message] = problems(GOOD.replace('["pii.reveal"]', '["risk.*"]'))
    assert "risk.*" in message
    [message] = problems(GOOD.replace('window = "1h"', 'window = "400d"'))
    assert "at most 90 days" in message
    text = '[working_hours]\ntimezone = "Mars/Olympus"\n' + GOOD
    [message] = problems(text)
    assert message.startswith("rules.toml, field working_hours.timezone: unknown time zone")
    text = GOOD.replace(
        'actions = ["alert"]',
        'actions = ["alert"]\nmatch.where = [{ field = "data.n", op = ">", value = "x" }]',
    )
    assert "needs a number value" in problems(text)[0]


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="cannot read the file"):
        load_rules_file(tmp_path / "missing.toml")
    path = tmp_path / "rules.toml"
    path.write_text(GOOD)
    assert load_rules_file(path).rules[0].id == "r1"
