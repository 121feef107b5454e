"""The seed's feature demonstrations: enum path parameters and a custom exception."""

from __future__ import annotations

from typing_extensions import override

from generated import models
from generated.protocols import UnimplementedDemoService
from generated.runtime import RequestContext
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
    """Stateless demonstrations (the last-query and notification demos are not implemented yet)."""

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
