"""E-mail accounts: IMAP to receive (IDLE or polling), SMTP to send."""
