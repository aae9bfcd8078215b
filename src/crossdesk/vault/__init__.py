"""The vault engine: envelope encryption for secrets and raw personal data."""

from crossdesk.vault.crypto import Envelope, MasterKey, derive_master_key

__all__ = ["Envelope", "MasterKey", "derive_master_key"]
