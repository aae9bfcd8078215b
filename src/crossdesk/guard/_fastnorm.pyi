from collections.abc import Callable
from typing import Any

class FastNormalizer:
    def __init__(
        self,
        class_and_fold: Callable[[int], str],
        leet: dict[str, str],
        leet_edge: frozenset[str],
        normalized: Callable[..., Any],
    ) -> None: ...
    def normalize(self, text: str) -> Any: ...
