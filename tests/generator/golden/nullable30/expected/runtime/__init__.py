"""Runtime of every generated package: scripts/generate.py copies this package byte for byte into it.

Edit it here (it is linted, type-checked and unit-tested as the source it is), never in a generated copy.
"""

from __future__ import annotations

from .context import Authenticator, Cookie, Download, OperationInfo, Principal, RequestContext, UploadedFile
from .endpoint import (
    OPERATION_ID_KEY,
    BodyReader,
    ContractRoutes,
    Endpoint,
    ParameterReader,
    PathEndpoint,
    build_router,
    route_order,
)
from .inputs import (
    FORM_MEDIA_TYPE,
    MULTIPART_MEDIA_TYPE,
    FormFields,
    FormModel,
    JsonBody,
    NoBody,
    NoParameters,
    OptionalJsonBody,
    Param,
    Parameters,
    Part,
    RawBody,
)
from .outputs import LocationLink, Responder
from .problems import (
    PROBLEM_MEDIA_TYPE,
    ErrorResponse,
    InvalidRequest,
    MalformedRequest,
    MethodNotAllowed,
    NotImplementedOperation,
    ProblemError,
    UnsupportedMediaType,
    instance_uri,
    problem_response,
)

__all__ = [
    "FORM_MEDIA_TYPE",
    "MULTIPART_MEDIA_TYPE",
    "OPERATION_ID_KEY",
    "PROBLEM_MEDIA_TYPE",
    "Authenticator",
    "BodyReader",
    "ContractRoutes",
    "Cookie",
    "Download",
    "Endpoint",
    "ErrorResponse",
    "FormFields",
    "FormModel",
    "InvalidRequest",
    "JsonBody",
    "LocationLink",
    "MalformedRequest",
    "MethodNotAllowed",
    "NoBody",
    "NoParameters",
    "NotImplementedOperation",
    "OperationInfo",
    "OptionalJsonBody",
    "Param",
    "ParameterReader",
    "Parameters",
    "Part",
    "PathEndpoint",
    "Principal",
    "ProblemError",
    "RawBody",
    "RequestContext",
    "Responder",
    "UnsupportedMediaType",
    "UploadedFile",
    "build_router",
    "instance_uri",
    "problem_response",
    "route_order",
]
