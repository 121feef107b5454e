"""Authentication hardening: password hashing, tokens and brute-force protection."""
