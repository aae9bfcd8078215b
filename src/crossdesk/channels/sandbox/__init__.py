"""The built-in sandbox platform: a simulated messenger for trying crossdesk offline."""
