"""Telegram Bot API adapter: webhook with a secret token, or long polling with getUpdates."""
