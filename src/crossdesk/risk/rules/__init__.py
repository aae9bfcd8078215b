"""Declarative risk rules over the audit event stream (``crossdesk.risk.rules``).

``model`` is the file format, ``loader`` reads it with clear errors, ``engine`` evaluates it
(pure: the live worker and ``crossdesk risk replay`` share it).
"""

from crossdesk.risk.rules.engine import Firing, RuleEngine, RuleEvent
from crossdesk.risk.rules.loader import (
    RuleFileError,
    RuleProblem,
    default_rules,
    default_rules_text,
    load_rules_file,
    parse_rules,
)
from crossdesk.risk.rules.model import Rule, RuleSet

__all__ = [
    "Firing",
    "Rule",
    "RuleEngine",
    "RuleEvent",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "default_rules",
    "default_rules_text",
    "load_rules_file",
    "parse_rules",
]
