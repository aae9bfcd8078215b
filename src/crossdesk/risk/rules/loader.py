"""Read a rules file (TOML) into a validated :class:`RuleSet`, with errors people can act on.

Every error names the file, the rule (by id when it has one, else by position), the field,
and for TOML syntax errors the line.
"""

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crossdesk.risk.rules.model import RuleSet

DEFAULT_RULES_NAME = "default_rules.toml"


@dataclass(frozen=True, slots=True)
class RuleProblem:
    source: str
    rule: str | None  # the rule id, or "rules[3]" when it has none
    field: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
        if self.rule is not None:
            where += f", rule {self.rule}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


class RuleFileError(ValueError):
    """A rules file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Parse and validate rules text; raises :class:`RuleFileError`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(
            [RuleProblem(source, None, None, f"not valid TOML: {exc}", _line_of(exc, text))]
        ) from None
    try:
        return RuleSet.model_validate(raw)
    except ValidationError as exc:
        raise RuleFileError(
            [_problem(source, raw, error) for error in exc.errors(include_url=False)]
        ) from None


def load_rules_file(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(
            [RuleProblem(str(path), None, None, f"cannot read the file: {exc}")]
        ) from None
    return parse_rules(text, str(path))


def default_rules_text() -> str:
    return resources.files("crossdesk.risk.rules").joinpath(DEFAULT_RULES_NAME).read_text("utf-8")


def default_rules() -> RuleSet:
    return parse_rules(default_rules_text(), DEFAULT_RULES_NAME)


def _line_of(exc: tomllib.TOMLDecodeError, text: str) -> int | None:
    lineno = getattr(exc, "lineno", None)  # Python 3.14+
    if isinstance(lineno, int):
        return lineno
    if str(exc).endswith("(at end of document)"):
        return text.count("\n") + (0 if text.endswith("\n") else 1)
    marker = str(exc).rsplit("(at line ", 1)
    if len(marker) == 2:
        number = marker[1].split(",", 1)[0].rstrip(")")
        if number.isdigit():
            return int(number)
    return None


def _problem(source: str, raw: dict[str, Any], error: Any) -> RuleProblem:
    loc = list(error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    rule: str | None = None
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        index = loc[1]
        rules = raw.get("rules")
        entry = rules[index] if isinstance(rules, list) and index < len(rules) else None
        rule_id = entry.get("id") if isinstance(entry, dict) else None
        rule = str(rule_id) if isinstance(rule_id, str) and rule_id else f"rules[{index}]"
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or None
    if error.get("type") == "extra_forbidden":
        message = "unknown field (check the spelling)"
    return RuleProblem(source, rule, field, message)
