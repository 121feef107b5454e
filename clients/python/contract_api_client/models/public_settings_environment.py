from typing import Literal

PublicSettingsEnvironment = Literal["development", "production", "test"]

PUBLIC_SETTINGS_ENVIRONMENT_VALUES: set[PublicSettingsEnvironment] = {
    "development",
    "production",
    "test",
}


def check_public_settings_environment(value: str) -> PublicSettingsEnvironment:
    if value in PUBLIC_SETTINGS_ENVIRONMENT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PUBLIC_SETTINGS_ENVIRONMENT_VALUES!r}")
