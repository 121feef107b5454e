"""Contains all the data models used in inputs/outputs"""

from .account_deletion import AccountDeletion
from .field_error import FieldError
from .file_info import FileInfo
from .file_info_content_type import FileInfoContentType
from .file_upload import FileUpload
from .health import Health
from .health_status import HealthStatus
from .image import Image
from .image_upload import ImageUpload
from .item import Item
from .item_create import ItemCreate
from .item_patch import ItemPatch
from .last_query import LastQuery
from .last_query_source import LastQuerySource
from .login_form import LoginForm
from .message import Message
from .model_info import ModelInfo
from .model_name import ModelName
from .o_auth_error import OAuthError
from .o_auth_error_error import OAuthErrorError
from .problem import Problem
from .public_settings import PublicSettings
from .public_settings_environment import PublicSettingsEnvironment
from .revoke_request import RevokeRequest
from .scope import Scope
from .token_request import TokenRequest
from .token_response import TokenResponse
from .token_response_token_type import TokenResponseTokenType
from .unicorn import Unicorn
from .user import User
from .user_admin_update import UserAdminUpdate
from .user_create import UserCreate
from .user_update import UserUpdate

__all__ = (
    "AccountDeletion",
    "FieldError",
    "FileInfo",
    "FileInfoContentType",
    "FileUpload",
    "Health",
    "HealthStatus",
    "Image",
    "ImageUpload",
    "Item",
    "ItemCreate",
    "ItemPatch",
    "LastQuery",
    "LastQuerySource",
    "LoginForm",
    "Message",
    "ModelInfo",
    "ModelName",
    "OAuthError",
    "OAuthErrorError",
    "Problem",
    "PublicSettings",
    "PublicSettingsEnvironment",
    "RevokeRequest",
    "Scope",
    "TokenRequest",
    "TokenResponse",
    "TokenResponseTokenType",
    "Unicorn",
    "User",
    "UserAdminUpdate",
    "UserCreate",
    "UserUpdate",
)
