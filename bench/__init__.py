"""Load benchmark: the real app against a minimal Starlette + sqlite3 ceiling, driven by wrk."""
