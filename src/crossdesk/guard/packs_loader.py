"""The starter packs shipped in ``packs/``: STARTING POINTS written by the project.

Each pack is a txt word list (``term<TAB>category``) plus the policy it is loaded with. Review
and extend them for your market before relying on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from crossdesk.guard.lexicon import Action, Category, Lexicon, ListDirection, parse_terms


@dataclass(frozen=True, slots=True)
class PackInfo:
    """A starter pack's file and default policy."""

    filename: str
    category: str
    action: Action
    severity: int
    direction: ListDirection
    allow_file: str | None = None


PACKS: dict[str, PackInfo] = {
    "diversion": PackInfo(
        "diversion.txt", Category.DIVERSION, Action.BLOCK, 4, ListDirection.BOTH, "allow.txt"
    ),
    "abuse": PackInfo("abuse.txt", Category.ABUSE, Action.WARN, 3, ListDirection.BOTH, "allow.txt"),
}


def _read(filename: str) -> str:
    return resources.files("crossdesk.guard.packs").joinpath(filename).read_text("utf-8")


def load_pack(name: str) -> Lexicon:
    """Load one starter pack by name ("diversion" or "abuse") as a :class:`Lexicon`."""
    info = PACKS[name]
    allow: tuple[str, ...] = ()
    if info.allow_file:
        allow = tuple(
            t.text for t in parse_terms(_read(info.allow_file), f"packs/{info.allow_file}")
        )
    return Lexicon(
        name=f"pack:{name}",
        terms=tuple(parse_terms(_read(info.filename), f"packs/{info.filename}", info.category)),
        category=info.category,
        action=info.action,
        severity=info.severity,
        direction=info.direction,
        allow=allow,
    )


def starter_packs() -> list[Lexicon]:
    """Every shipped starter pack."""
    return [load_pack(name) for name in PACKS]
