"""Local reviewers' webapp passwords: scrypt hashes in users.json, never plain text."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from model_governance.core.errors import NotFoundError, ValidationError
from model_governance.local import LocalHome, hash_password, verify_password

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def home(tmp_path: Path) -> LocalHome:
    local = LocalHome(tmp_path / "home")
    local.initialise()
    local.add_user("rita", ("review_board",), local.load_policy())
    return local


def test_hash_verifies_the_password_and_nothing_else() -> None:
    stored = hash_password("correct horse")

    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)
    assert "correct horse" not in stored


def test_same_password_hashes_differently_each_time() -> None:
    assert hash_password("correct horse") != hash_password("correct horse")


def test_short_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="password: shorter than 8 characters"):
        hash_password("short")


def test_malformed_stored_hash_never_verifies() -> None:
    assert not verify_password("anything", "plain-text-password")
    assert not verify_password("anything", "scrypt$x$8$1$AAAA$AAAA")


def test_users_file_keeps_roles_and_hash_and_only_its_owner_reads_it(home: LocalHome) -> None:
    home.set_password("rita", "rita-secret-pw")
    home.add_user("rita", ("data_steward",), home.load_policy())

    entry = json.loads(home.users_path.read_text(encoding="utf-8"))["users"]["rita"]

    assert entry["roles"] == ["data_steward", "review_board"]
    assert verify_password("rita-secret-pw", entry["password_hash"])
    assert "rita-secret-pw" not in home.users_path.read_text(encoding="utf-8")
    assert stat.S_IMODE(home.users_path.stat().st_mode) == 0o600


def test_password_for_unknown_user_is_refused(home: LocalHome) -> None:
    with pytest.raises(NotFoundError, match="users add nobody --role ROLE"):
        home.set_password("nobody", "whatever-pw")


def test_cli_users_passwd_reads_the_password_from_standard_input(home: LocalHome) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "model_governance", "--home", str(home.root), "users", "passwd",
         "rita"],
        input="piped-password-1\n",
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "python-lib"), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Password set for rita." in result.stdout
    assert "piped-password-1" not in result.stdout + result.stderr
    assert verify_password("piped-password-1", home.password_hash("rita") or "")
