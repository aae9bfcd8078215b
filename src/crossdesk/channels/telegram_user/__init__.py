"""Telegram user accounts over MTProto (Telethon): a saved session, logged in once by an admin."""
