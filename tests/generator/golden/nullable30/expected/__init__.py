"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from .routers import OPERATIONS, build_routers

__all__ = ["OPERATIONS", "build_routers"]
