"""WhatsApp Business Cloud API (Meta-hosted) adapter."""
