"""The command line: crossdesk serve | worker | demo | db | user | workspace ..."""
