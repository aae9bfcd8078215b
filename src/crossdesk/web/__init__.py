"""The web entry point: REST API, webhooks, server-sent events and the server-rendered UI."""
