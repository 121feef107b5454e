"""The password policy's guessability and encoding rules, and the bounded cost of rating a password (no HTTP)."""

from __future__ import annotations

import time

import pytest

from impl.problems import InvalidRequest
from impl.security import passwords
from impl.security.passwords import MAX_PASSWORD_LENGTH, RATED_PREFIX_LENGTH, check_password_policy

EMAIL = "carol.smith@example.com"
# Characters zxcvbn's l33t matcher reads as letters: the more distinct ones, the more substitutions it tries.
L33T_SYMBOLS = "4@8({[<3691!|70$5+%2"


def _refusal(password: str, *, field: str = "password") -> list[dict[str, object]]:
    with pytest.raises(InvalidRequest) as raised:
        check_password_policy(password, email=EMAIL, field=field)
    errors = raised.value.extensions["errors"]
    assert isinstance(errors, list)
    assert all(error["loc"] == ["body", field] for error in errors)
    return errors


@pytest.mark.parametrize(
    "password",
    ["password", "12345678", "Password1", "p@ssw0rd", "qwertyuiop", "1q2w3e4r5t", "aaaaaaaaaaaa", "abcdefgh"],
)
def test_common_or_patterned_password_is_refused_with_zxcvbn_feedback(password: str) -> None:
    [error] = _refusal(password)
    assert str(error["msg"]).startswith("password is too easy to guess (")


@pytest.mark.parametrize("password", ["carolsmith", "carol.smith1", "Carol.Smith!"])
def test_password_made_of_the_email_address_is_refused(password: str) -> None:
    _refusal(password)


def test_a_common_password_is_refused_whatever_follows_it() -> None:
    # Only the first 16 characters are rated: a long password must not start with 16 guessable ones.
    _refusal("passwordpassword" + "Xk9#mQ2!pqzR7&wE")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "a brand new secret",
        "another password 1",
        "Xk9#mQ2!",
        "zq8vn3kd",
        "пароль-дракон",
    ],
)
def test_uncommon_password_is_accepted(password: str) -> None:
    check_password_policy(password, email=EMAIL)


@pytest.mark.parametrize("password", ["abcdefgh\ud800", "\udc00" * 12, "correct horse \ud83d battery"])
def test_password_with_a_lone_surrogate_is_refused(password: str) -> None:
    errors = _refusal(password, field="current_password")
    assert any("lone surrogate" in str(error["msg"]) for error in errors)


def test_the_reason_is_zxcvbns_warning_else_its_first_suggestion() -> None:
    [warned] = _refusal("Password1")
    assert warned["msg"] == "password is too easy to guess (this is a very common password)"
    [suggested] = _refusal("carol.smith1")  # no warning: the first suggestion, as a sentence
    assert suggested["msg"] == "password is too easy to guess (add another word or two. uncommon words are better)"


def test_rating_the_worst_password_stays_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    # 20 distinct l33t symbols, 128 characters: ~0.7 s of CPU if zxcvbn saw it all, ~5 ms rated (both measured).
    worst = (L33T_SYMBOLS * 7)[:MAX_PASSWORD_LENGTH]
    rated: list[str] = []
    rate = passwords.zxcvbn

    def recording(password: str, user_inputs: list[str]) -> object:
        rated.append(password)
        return rate(password, user_inputs)

    monkeypatch.setattr(passwords, "zxcvbn", recording)
    started = time.process_time()
    check_password_policy(worst, email=EMAIL)
    assert rated == [worst[:RATED_PREFIX_LENGTH]]
    assert time.process_time() - started < 0.25
