"""Local mode: the governance home folder (ledger, policy, users) for the command line.

The home is ``--home``, else ``$MODEL_GOVERNANCE_HOME``, else ``./.model-governance``.
It holds ``ledger.sqlite`` (the embedded ledger), ``policy.json`` and ``users.json``
(who holds which sign-off role on this machine; inside DSS, DSS groups give roles).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_governance.core.constants import DEFAULT_HOME, HOME_ENV, USER_ENV
from model_governance.core.errors import AuthorizationError, ConfigError, NotFoundError
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
        users = {k: list(v) for k, v in self.load_users().items()}
        users[name] = sorted(set(users.get(name, [])) | set(roles))
        write_json(self.users_path, {"users": {k: {"roles": v} for k, v in sorted(users.items())}})

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


def _roles_of(name: str, entry: Any) -> tuple[str, ...]:
    roles = entry.get("roles") if isinstance(entry, Mapping) else None
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise ConfigError(f"users.{name}.roles: expected a list of role names, got {entry!r}.")
    return tuple(roles)
