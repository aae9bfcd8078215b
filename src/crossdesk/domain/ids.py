"""Time-ordered identifiers made in the application, never by a database sequence.

A global sequence would stop the schema from being sharded by workspace later
(see docs/architecture.md), so every row id is a 32-hex-character string whose
first 16 characters are the creation time in nanoseconds: ids sort by creation.
"""

import secrets
import time


def new_id() -> str:
    """Return a new time-ordered, collision-resistant identifier."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"
