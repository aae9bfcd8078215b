"""Starter word lists and language knowledge shipped with crossdesk (data files only)."""
