"""The secrets redaction filter: known values anywhere, key-shaped strings, `.env` values, logs."""

from __future__ import annotations

import io
import logging
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codesm.security.redact import (
    MARKER,
    RedactingFilter,
    Redactor,
    install_log_redaction,
    secret_env_values,
)

KEY_SHAPED = (
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
    "sk-proj-abcdefghijklmnopqrstuv",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "xoxb-123456789012-abcdefghijkl",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----",
)


@settings(max_examples=300, deadline=None)
@given(
    before=st.text(max_size=60),
    after=st.text(max_size=60),
    secret=st.text(alphabet=string.ascii_letters + string.digits + "&<>\"'-_/+=", min_size=8),
)
def test_a_known_secret_embedded_anywhere_in_random_text_never_survives(
    before: str, after: str, secret: str
) -> None:
    redactor = Redactor([secret], patterns=False)
    assert secret not in redactor.redact(before + secret + after)


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    secret=st.sampled_from(KEY_SHAPED),
    sep=st.sampled_from([" ", "\n", '"', "'", "=", ":", "(", "<b>"]),
)
def test_a_key_shaped_string_in_random_text_never_survives(
    before: str, after: str, secret: str, sep: str
) -> None:
    assert secret not in Redactor().redact(before + sep + secret + sep + after)


@pytest.mark.parametrize("secret", KEY_SHAPED)
def test_each_known_key_pattern_is_redacted(secret: str) -> None:
    assert Redactor().redact(f"key: {secret} end") == f"key: {MARKER} end"


def test_html_escaped_secrets_are_redacted_too() -> None:
    redactor = Redactor(['p&ss<w>rd"1'], patterns=False)
    assert "p&amp;ss&lt;w&gt;rd" not in redactor.redact("<td>p&amp;ss&lt;w&gt;rd&quot;1</td>")


def test_secret_named_environment_variables_are_picked_and_short_values_ignored() -> None:
    env = {"MY_API_KEY": "abcdefgh1", "GH_TOKEN": "tok-123456", "DB_PASSWORD": "pw",
           "HOME": "/home/someone", "AWS_SECRET_ACCESS_KEY": "secretvalue"}  # fmt: skip
    assert secret_env_values(env) == {"abcdefgh1", "tok-123456", "pw", "secretvalue"}
    redactor = Redactor(secret_env_values(env), patterns=False)
    assert redactor.redact("pw /home/someone tok-123456") == f"pw /home/someone {MARKER}"


def test_dotenv_values_are_redacted_and_reread_when_the_file_changes(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nexport SERVICE_URL="https://db.internal/xyz"\nA=short\n')
    redactor = Redactor(dotenv=dotenv, patterns=False)
    assert redactor.redact("at https://db.internal/xyz") == f"at {MARKER}"
    dotenv.write_text("OTHER=brand-new-value-123\n")
    assert redactor.redact("brand-new-value-123 https://db.internal/xyz") == (
        f"{MARKER} https://db.internal/xyz"
    )


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("codesm.test.redact")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_log_redaction(Redactor(["hunter2hunter2"]), logger)
        install_log_redaction(Redactor(["hunter2hunter2"]), logger)
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        logger.warning("calling with %s and %r", "hunter2hunter2", KEY_SHAPED[0])
        try:
            raise RuntimeError("bad key AKIAIOSFODNN7EXAMPLE")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "hunter2hunter2" not in text and "AKIA" not in text and "sk-ant" not in text
    assert text.count(MARKER) >= 3 and "RuntimeError" in text


def test_a_guest_redactor_shortens_the_home_directory_to_a_tilde_at_path_boundaries_only() -> None:
    redactor = Redactor(patterns=False, home=Path("/home/ann"))
    assert redactor.redact("opened /home/ann/proj/a.py") == "opened ~/proj/a.py"
    assert redactor.redact("cwd is /home/ann.") == "cwd is ~."
    assert redactor.redact('{"path": "/home/ann"}') == '{"path": "~"}'
    assert redactor.redact("/home/anna/x and /home/ann.bak") == "/home/anna/x and /home/ann.bak"
    assert Redactor(patterns=False).redact("/home/ann/x") == "/home/ann/x"
    assert Redactor(patterns=False, home=Path("/")).redact("/etc/x") == "/etc/x"


def test_secrets_are_redacted_before_the_home_directory_is_shortened() -> None:
    redactor = Redactor(["/home/ann/secret-key-file"], patterns=False, home="/home/ann")
    assert redactor.redact("key at /home/ann/secret-key-file") == f"key at {MARKER}"
