"""Requests for a path of the contract go straight to its generated routes, past Starlette's inner layers.

Everything the contract serves is answered by `ContractRoutes` (problem bodies, 405 with `Allow`, validation), so
Starlette's ExceptionMiddleware (HTTPException handlers), FastAPI's AsyncExitStackMiddleware (teardown of `Depends`
with yield, which these routes do not use) and the Router's own matching add nothing on the way: measured, ~8 µs
of GET /items/{id}'s ~60 µs in-process. Every other request (docs, metrics, WebSockets, paths the contract does not
have) takes the app's usual stack. The same `ContractRoutes` stays in the router's table: `app.router` still serves
every route without the middleware (bench/inprocess.py times it that way).
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from generated.runtime import ContractRoutes


class ContractDispatch:
    """Pure-ASGI: runs `routes` for the HTTP requests it matches, `app` for everything else."""

    def __init__(self, app: ASGIApp, *, routes: ContractRoutes) -> None:
        self.app = app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match, child_scope = self._routes.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)  # what the router would add: the endpoint and the path parameters
                await self._routes.handle(scope, receive, send)
                return
        await self.app(scope, receive, send)
