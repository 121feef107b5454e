"""A private `redis-server` for fault tests: stopped, started again on the same port, or frozen, touching nobody
else's Redis. The binary comes with Redis on every machine of this project: its absence fails, never skips.

The one implementation is the bench's (bench/redis_server.py), which the scale-out topology runs too."""

from __future__ import annotations

from bench.redis_server import RedisServer as RedisProcess

__all__ = ["RedisProcess"]
