"""REST API v1 (OpenAPI at /api/docs)."""
