"""Full-text search over masked message text and contact names, scoped like the inbox."""
