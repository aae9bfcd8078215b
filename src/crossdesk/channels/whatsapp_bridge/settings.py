"""Which bridge software an account's phone is linked through: its ``flavour``.

One setting of the bridge account (config ``flavour``; no migration, it lives in the account's
config JSON): ``waha`` (WAHA, the default, so accounts made before the setting existed keep
working) or ``evolution`` (Evolution API v2). Everything that differs between the two stays
in this package: ``api``, ``media``, ``adapter`` and the bridge views ask ``flavour_of``.
"""

from enum import StrEnum

from crossdesk.channels.base import AccountContext
from crossdesk.errors import InvalidInput

CONFIG_KEY = "flavour"


class Flavour(StrEnum):
    WAHA = "waha"
    EVOLUTION = "evolution"


LABELS = {Flavour.WAHA: "WAHA", Flavour.EVOLUTION: "Evolution API"}


def parse_flavour(value: str | None) -> Flavour:
    """``waha`` when unset; an unknown name is an error naming the field."""
    name = (value or "").strip().lower()
    if not name:
        return Flavour.WAHA
    try:
        return Flavour(name)
    except ValueError:
        raise InvalidInput(
            "the bridge flavour must be waha or evolution", field=CONFIG_KEY
        ) from None


def flavour_of(account: AccountContext) -> Flavour:
    return parse_flavour(account.config.get(CONFIG_KEY))


def is_evolution(account: AccountContext) -> bool:
    return flavour_of(account) is Flavour.EVOLUTION
