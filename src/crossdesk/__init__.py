"""crossdesk: a self-hosted multi-platform inbox for cross-border e-commerce teams."""

__version__ = "0.1.0"
