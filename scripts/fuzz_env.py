"""Names of the environment variables through which scripts/fuzz_live.py configures its Schemathesis process's
hooks (scripts/fuzz_hooks.py); a plain module, so that importing the names registers no hook."""

from __future__ import annotations

DATABASE_URL_VARIABLE = "FUZZ_DATABASE_URL"  # the live server's database
ADMIN_TOKEN_VARIABLE = "FUZZ_ADMIN_TOKEN"
MEMBER_TOKEN_VARIABLE = "FUZZ_MEMBER_TOKEN"
PASSWORD_HASH_VARIABLE = "FUZZ_PASSWORD_HASH"  # the fuzzing users' password (random, never printed), hashed
REPORT_VARIABLE = "FUZZ_ACCESS_REPORT"  # where the cross-user check writes its counts when the run ends
