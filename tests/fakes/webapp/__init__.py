"""A stand-in for a platform's web app (login form, session cookie, localStorage, IndexedDB)."""
