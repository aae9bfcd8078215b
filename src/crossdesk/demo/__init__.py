"""The demo workspace and its customer simulator."""
