"""The vault engine: envelope encryption for secrets and raw personal data."""

from crossdesk.vault.crypto import Envelope, associated_data, blob_key_id
from crossdesk.vault.keyring import KeyFile, load_master_keys
from crossdesk.vault.keys import KeySet, KeySource, MasterKey, StaticKeys, derive_master_key

__all__ = [
    "Envelope",
    "KeyFile",
    "KeySet",
    "KeySource",
    "MasterKey",
    "StaticKeys",
    "associated_data",
    "blob_key_id",
    "derive_master_key",
    "load_master_keys",
]
