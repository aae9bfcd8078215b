"""Risk control: roles and scoping, the audit log."""
