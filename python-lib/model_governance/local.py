"""Local mode: the governance home folder (ledger, policy, users) for the command line.

The home is ``--home``, else ``$MODEL_GOVERNANCE_HOME``, else ``./.model-governance``.
It holds ``ledger.sqlite`` (the embedded ledger), ``policy.json`` and ``users.json``
(who holds which sign-off role on this machine, and the scrypt hash of each reviewer's
webapp password; inside DSS, DSS groups give roles and DSS authenticates).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_governance.core.constants import DEFAULT_HOME, HOME_ENV, USER_ENV
from model_governance.core.errors import (
    AuthorizationError,
    ConfigError,
    NotFoundError,
    ValidationError,
)
from model_governance.core.policy import Policy, parse_policy, policy_to_dict
from model_governance.core.workflow import Principal
from model_governance.ledger import Ledger


@dataclass(frozen=True)
class LocalHome:
    """Paths of one governance home."""

    root: Path

    @classmethod
    def resolve(cls, option: str | None) -> LocalHome:
        """The home named on the command line, in the environment, or the default."""
        return cls(Path(option or os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser())

    @property
    def ledger_path(self) -> Path:
        """The SQLite ledger file."""
        return self.root / "ledger.sqlite"

    @property
    def policy_path(self) -> Path:
        """The policy document."""
        return self.root / "policy.json"

    @property
    def users_path(self) -> Path:
        """The local user list."""
        return self.root / "users.json"

    @property
    def documents_dir(self) -> Path:
        """Where rendered documents are written."""
        return self.root / "documents"

    def initialise(self, *, policy: Policy | None = None, overwrite: bool = False) -> None:
        """Create the folder, a default policy, an empty user list and the ledger."""
        self.root.mkdir(parents=True, exist_ok=True)
        if overwrite or not self.policy_path.exists():
            write_json(self.policy_path, policy_to_dict(policy or Policy()))
        if overwrite or not self.users_path.exists():
            write_json(self.users_path, {"users": {}})
        Ledger.open(self.ledger_url, create=True).engine.dispose()

    @property
    def ledger_url(self) -> str:
        """SQLAlchemy URL of the ledger."""
        return f"sqlite:///{self.ledger_path}"

    def require(self) -> None:
        """Refuse to work on a home that was never initialised."""
        if not self.ledger_path.exists():
            raise NotFoundError(
                f"no governance home at {self.root}; "
                f"run `model-governance init --home {self.root}`."
            )

    def open_ledger(self) -> Ledger:
        """The ledger of an initialised home."""
        self.require()
        return Ledger.open(self.ledger_url, create=False)

    def load_policy(self) -> Policy:
        """The home's policy (defaults if the file is absent)."""
        if not self.policy_path.exists():
            return Policy()
        return parse_policy(read_json(self.policy_path, "policy"))

    def load_users(self) -> dict[str, tuple[str, ...]]:
        """User name to roles, from ``users.json``."""
        if not self.users_path.exists():
            return {}
        data = read_json(self.users_path, "users")
        users = data.get("users") if isinstance(data, Mapping) else None
        if not isinstance(users, Mapping):
            raise ConfigError(
                f'{self.users_path}: expected {{"users": {{"name": {{"roles": [...]}}}}}}.'
            )
        return {str(name): _roles_of(name, entry) for name, entry in users.items()}

    def add_user(self, name: str, roles: tuple[str, ...], policy: Policy) -> None:
        """Give ``name`` the roles (which must be the policy's sign-off roles)."""
        unknown = sorted(set(roles) - set(policy.required_roles))
        if unknown:
            raise ConfigError(
                f"--role: {', '.join(unknown)} not sign-off roles; "
                f"use {', '.join(policy.required_roles)}."
            )
        entries = self._user_entries()
        entry = entries.setdefault(name, {"roles": []})
        entry["roles"] = sorted(set(entry.get("roles", [])) | set(roles))
        self._write_users(entries)

    def set_password(self, name: str, password: str) -> None:
        """Store the scrypt hash of ``name``'s webapp password (never the password)."""
        entries = self._user_entries()
        if name not in entries:
            raise NotFoundError(
                f"user {name} is not in {self.users_path}; add them first with "
                f"`model-governance users add {name} --role ROLE`."
            )
        entries[name]["password_hash"] = hash_password(password)
        self._write_users(entries)

    def password_hash(self, name: str) -> str | None:
        """The stored password hash of ``name``, or None when none is set."""
        entry = self._user_entries().get(name)
        found = entry.get("password_hash") if entry else None
        return found if isinstance(found, str) else None

    def _user_entries(self) -> dict[str, dict[str, Any]]:
        self.load_users()  # validates the file's shape
        if not self.users_path.exists():
            return {}
        users = read_json(self.users_path, "users")["users"]
        return {str(k): dict(v) for k, v in users.items()}

    def _write_users(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        write_json(self.users_path, {"users": {k: dict(v) for k, v in sorted(entries.items())}})
        # The file holds password hashes: only its owner reads it.
        self.users_path.chmod(0o600)

    def principal(self, user: str) -> Principal:
        """The user with the roles the local user list gives them."""
        users = self.load_users()
        if user not in users:
            raise AuthorizationError(
                f"user {user} is not in {self.users_path}; add them with "
                f"`model-governance users add {user} --role ROLE`."
            )
        return Principal(user, frozenset(users[user]))


def current_user(option: str | None) -> str:
    """``--as``, else ``$MODEL_GOVERNANCE_USER``, else the operating-system user."""
    return option or os.environ.get(USER_ENV) or getpass.getuser()


def read_json(path: Path, what: str) -> Any:
    """Parse a JSON file; every failure becomes an actionable :class:`ConfigError`."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFoundError(f"{what} file {path} does not exist; check the path.") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{what} file {path}: not valid JSON at line {exc.lineno}, column {exc.colno} "
            f"({exc.msg}); fix the file."
        ) from exc


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a temporary file renamed over the target)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


MIN_PASSWORD_LENGTH = 8
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$digest`` for ``password``, with a fresh random salt.

    Raises:
        ValidationError: the password is shorter than 8 characters.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"password: shorter than {MIN_PASSWORD_LENGTH} characters; choose a longer one."
        )
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return "$".join(
        ("scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` hashes to ``stored``; compared in constant time."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, expected = base64.b64decode(parts[4]), base64.b64decode(parts[5])
        digest = _scrypt(password, salt, n, r, p)
    except ValueError:
        return False
    return hmac.compare_digest(digest, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _roles_of(name: str, entry: Any) -> tuple[str, ...]:
    roles = entry.get("roles") if isinstance(entry, Mapping) else None
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise ConfigError(f"users.{name}.roles: expected a list of role names, got {entry!r}.")
    return tuple(roles)
