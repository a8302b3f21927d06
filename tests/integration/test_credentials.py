"""CredentialStore against no keyring and against a real Secret Service.

The round trip runs only where a Secret Service is reachable, e.g. through
``scripts/with-secret-service .venv/bin/pytest tests/integration/test_credentials.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from desktop.sources.credentials import (
    UNAVAILABLE_MESSAGE,
    CredentialStore,
    CredentialsUnavailable,
)

_NO_BACKEND = """
import sys
from desktop.sources.credentials import CredentialStore, CredentialsUnavailable
store = CredentialStore("newsdesk-test")
ok, why = store.available()
assert not ok, why
try:
    store.set("source:https://example.com/feed", "alice", "s3cret-not-saved")
except CredentialsUnavailable as exc:
    print("UNAVAILABLE:", exc)
    sys.exit(0)
print("stored?!")
sys.exit(1)
"""


def test_no_backend_refuses_and_says_why(tmp_path) -> None:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["HOME"] = str(tmp_path)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    proc = subprocess.run(
        [sys.executable, "-c", _NO_BACKEND], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert UNAVAILABLE_MESSAGE in proc.stdout
    assert "s3cret-not-saved" not in proc.stdout + proc.stderr
    # nothing was written in plain text anywhere under the fake home
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"s3cret-not-saved" not in path.read_bytes()


def test_plaintext_backend_is_refused(tmp_path) -> None:
    """A keyring that would keep secrets in a file counts as no keyring."""
    import keyring
    from keyring.backend import KeyringBackend

    class PlaintextKeyring(KeyringBackend):  # the shape of keyrings.alt's file backend
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.file = tmp_path / "keyring_pass.cfg"

        def set_password(self, service: str, username: str, password: str) -> None:
            self.file.write_text(f"{service} {username} {password}")

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def delete_password(self, service: str, username: str) -> None:
            pass

    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        store = CredentialStore("newsdesk-test")
        assert store.available()[0] is False
        with pytest.raises(CredentialsUnavailable):
            store.set("source:https://example.com/feed", "bob", "pw")
        assert not (tmp_path / "keyring_pass.cfg").exists()
    finally:
        keyring.set_keyring(previous)


def _secret_service_ready() -> bool:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    ok, _ = CredentialStore().available()
    return ok


@pytest.mark.skipif(not _secret_service_ready(), reason="no Secret Service on this session bus")
def test_round_trip_with_secret_service() -> None:
    store = CredentialStore("newsdesk-test")
    account = f"source:https://example.com/{uuid.uuid4().hex}/feed.xml"
    secret = "pä$$wörd " + uuid.uuid4().hex
    assert store.get(account, "carol") is None
    store.set(account, "carol", secret)
    assert store.get(account, "carol") == secret
    assert store.get(account, "dave") is None  # username is part of the key
    store.set(account, "carol", secret + "2")
    assert store.get(account, "carol") == secret + "2"
    store.delete(account, "carol")
    assert store.get(account, "carol") is None
    store.delete(account, "carol")  # deleting twice is fine
