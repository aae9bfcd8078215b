"""Real mail servers for the e-mail channel tests: Debian dovecot (IMAP) and aiosmtpd."""
