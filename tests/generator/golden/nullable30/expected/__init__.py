"""Generated from openapi.yaml by scripts/generate.py. Do not edit."""

from __future__ import annotations

from .protocols import Services
from .routers import OPERATIONS, build_routers, implemented_operations

__all__ = ["OPERATIONS", "Services", "build_routers", "implemented_operations"]
