"""Background workers: one consumer per module."""
