from typing import Literal

ModelName = Literal["alexnet", "lenet", "resnet"]

MODEL_NAME_VALUES: set[ModelName] = {
    "alexnet",
    "lenet",
    "resnet",
}


def check_model_name(value: str) -> ModelName:
    if value in MODEL_NAME_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {MODEL_NAME_VALUES!r}")
