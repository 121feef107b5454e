"""The seed's feature demonstrations: enum path parameters and a custom exception."""

from __future__ import annotations

from typing_extensions import override

from generated import models
from generated.protocols import UnimplementedDemoService
from generated.runtime import RequestContext
from impl.last_query import recall_query, remember_query
from impl.notifications.service import Notifications
from impl.problems import ProblemError

_MODEL_REMARKS = {
    "alexnet": "Deep Learning FTW!",
    "lenet": "LeCNN all the images",
    "resnet": "Have some residuals",
}


class UnicornRefused(ProblemError):
    """A domain exception with its own status: the problem handler renders it like any other."""

    status, type, title = 418, "/problems/unicorn-refused", "I'm a teapot"


class InProcessDemoService(UnimplementedDemoService):
    """Stateless demonstrations, the last-query cookie, and notifications (delegated to the outbox's owner)."""

    def __init__(self, notifications: Notifications) -> None:
        self._notifications = notifications

    @override
    async def get_model(self, ctx: RequestContext, *, model_name: models.ModelName) -> models.ModelInfo:
        """The model with a remark chosen by its name."""
        return models.ModelInfo(model_name=model_name, message=_MODEL_REMARKS[model_name.value])

    @override
    async def get_unicorn(self, ctx: RequestContext, *, name: str) -> models.Unicorn:
        """A unicorn, except for "yolo", which raises the custom 418 problem."""
        if name == "yolo":
            raise UnicornRefused(f"Oops! {name} did something. There goes a rainbow...")
        return models.Unicorn(name=name)

    @override
    async def read_last_query(self, ctx: RequestContext, *, q: str | None, last_query: str | None) -> models.LastQuery:
        """`q` when given (and remembered in the cookie), else the cookie's last query, else none."""
        if q is not None:
            remember_query(ctx, q)
            return models.LastQuery.model_validate({"q": q, "source": "query"})
        if last_query is not None:
            return models.LastQuery.model_validate({"q": recall_query(last_query), "source": "cookie"})
        return models.LastQuery.model_validate({"q": None, "source": "none"})

    @override
    async def send_notification(self, ctx: RequestContext, *, email: str, q: str | None) -> models.Message:
        """Accept a notification e-mail (202): written to the outbox with the request, delivered afterwards."""
        return await self._notifications.send(ctx, email=email, q=q)
