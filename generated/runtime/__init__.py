"""Runtime of every generated package: scripts/generate.py copies this package byte for byte into it.

Edit it here (it is linted, type-checked and unit-tested as the source it is), never in a generated copy.
"""

from __future__ import annotations

from .checks import SchemaCheck
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
from .formats import from_text
from .inputs import (
    FORM_MEDIA_TYPE,
    MULTIPART_MEDIA_TYPE,
    STRICT,
    FormFields,
    FormModel,
    JsonBody,
    NoBody,
    OptionalJsonBody,
    Part,
    RawBody,
)
from .media import MediaTypes, XmlBody
from .outputs import LocationLink, Responder
from .parameters import NoParameters, Param, Parameters
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
from .styles import Prop

__all__ = [
    "FORM_MEDIA_TYPE",
    "MULTIPART_MEDIA_TYPE",
    "OPERATION_ID_KEY",
    "PROBLEM_MEDIA_TYPE",
    "STRICT",
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
    "MediaTypes",
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
    "Prop",
    "RawBody",
    "RequestContext",
    "Responder",
    "SchemaCheck",
    "UnsupportedMediaType",
    "UploadedFile",
    "XmlBody",
    "build_router",
    "from_text",
    "instance_uri",
    "problem_response",
    "route_order",
]
