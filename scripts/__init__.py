"""Contract-first code generator: openapi.yaml -> generated/ (models, protocols, routers)."""
