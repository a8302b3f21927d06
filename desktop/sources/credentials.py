"""Feed passwords and API tokens in the OS keyring, never in plain text.

Only real secret stores are accepted (Secret Service/GNOME Keyring, KWallet,
macOS Keychain, Windows Credential Locker). When the only backend is the
failing one, a chainer with nothing usable, or a plaintext/"alt" file backend,
:class:`CredentialsUnavailable` is raised and nothing is stored. Secrets are
never logged or put in exception messages.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["UNAVAILABLE_MESSAGE", "CredentialStore", "CredentialsUnavailable"]

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "No system keyring is available (install/unlock GNOME Keyring, KWallet, macOS Keychain "
    "or Windows Credential Locker); the password was not saved."
)
_REFUSED_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")


class CredentialsUnavailable(RuntimeError):
    """No usable system keyring; the message tells the user what to do."""

    def __init__(self, message: str = UNAVAILABLE_MESSAGE) -> None:
        super().__init__(message)


def _usable(backend: Any) -> tuple[bool, str]:
    """Whether a keyring backend is a real secret store, and its name."""
    from keyring.backends.chainer import ChainerBackend

    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, ChainerBackend):
        usable = [b for b in backend.backends if _usable(b)[0]]
        if not usable:
            return False, name
        return True, ", ".join(_usable(b)[1] for b in usable)
    if type(backend).__module__.startswith(_REFUSED_MODULES):
        return False, name
    if "plaintext" in name.lower() or "file" in type(backend).__name__.lower():
        return False, name
    priority = getattr(backend, "priority", 1)
    try:
        if float(priority) <= 0:
            return False, name
    except (TypeError, ValueError):
        pass
    return True, name


class CredentialStore:
    """Secrets keyed by ``account`` (e.g. ``source:<url>``) and ``username``."""

    def __init__(self, service: str = "newsdesk") -> None:
        self.service = service

    def _key(self, account: str) -> str:
        return f"{self.service}/{account}"

    def _backend(self) -> Any:
        import keyring

        backend = keyring.get_keyring()
        ok, name = _usable(backend)
        if not ok:
            log.info("no usable keyring backend (%s)", name)
            raise CredentialsUnavailable()
        return backend

    def available(self) -> tuple[bool, str]:
        """``(True, backend name)`` if secrets can be stored, else ``(False, advice)``."""
        import keyring

        try:
            ok, name = _usable(keyring.get_keyring())
        except Exception as exc:  # a broken backend import must not crash the caller
            log.info("keyring probe failed: %s", type(exc).__name__)
            return False, UNAVAILABLE_MESSAGE
        return (True, name) if ok else (False, UNAVAILABLE_MESSAGE)

    def set(self, account: str, username: str, secret: str) -> None:
        """Store ``secret``; raise :class:`CredentialsUnavailable` if there is no keyring."""
        from keyring.errors import KeyringError, NoKeyringError

        backend = self._backend()
        try:
            backend.set_password(self._key(account), username, secret)
        except NoKeyringError:
            raise CredentialsUnavailable() from None
        except KeyringError as exc:
            log.warning("keyring refused to store a secret for %s: %s", account, type(exc).__name__)
            raise CredentialsUnavailable(
                f"The system keyring refused to store the password ({type(exc).__name__}); "
                "unlock it and try again. The password was not saved."
            ) from None

    def get(self, account: str, username: str) -> str | None:
        """The stored secret, or None if there is none."""
        from keyring.errors import KeyringError, NoKeyringError

        backend = self._backend()
        try:
            return backend.get_password(self._key(account), username)
        except NoKeyringError:
            raise CredentialsUnavailable() from None
        except KeyringError as exc:
            log.warning("keyring read failed for %s: %s", account, type(exc).__name__)
            raise CredentialsUnavailable(
                f"The system keyring could not be read ({type(exc).__name__}); unlock it and "
                "try again."
            ) from None

    def delete(self, account: str, username: str) -> None:
        """Remove the secret if present (no error when it is already gone)."""
        from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

        backend = self._backend()
        try:
            backend.delete_password(self._key(account), username)
        except PasswordDeleteError:
            return
        except NoKeyringError:
            raise CredentialsUnavailable() from None
        except KeyringError as exc:
            log.warning("keyring delete failed for %s: %s", account, type(exc).__name__)
            raise CredentialsUnavailable(
                f"The system keyring could not be changed ({type(exc).__name__})."
            ) from None
