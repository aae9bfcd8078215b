"""Messenger and Instagram messaging (Meta Messenger Platform), plus the Graph API and
webhook-signature helpers that the WhatsApp Cloud API adapter shares with them."""
