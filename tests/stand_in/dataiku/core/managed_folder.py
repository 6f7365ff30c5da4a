"""Stand-in ``dataiku.Folder`` over ``$DKU_STAND_IN_DATA_DIR/folders/<folder id>/``.

Paths inside the folder are written as DSS writes them (``/sub/file.txt``); a path
leaving the folder (``..``) is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import IO, Any

from . import data_dir, split_name


class Folder:
    """A managed folder of the current (or given) project, in a local directory."""

    def __init__(
        self, lookup: str, project_key: str | None = None, ignore_flow: bool = False
    ) -> None:
        self.project_key, self.short_name = split_name(lookup, project_key)
        self.name = f"{self.project_key}.{self.short_name}"
        self.ignore_flow = ignore_flow

    def __repr__(self) -> str:
        return f"Folder({self.name!r})"

    def _root(self) -> Path:
        root = data_dir() / "folders" / self.short_name
        root.mkdir(parents=True, exist_ok=True)
        return root

    def _resolve(self, path: str) -> Path:
        root = self._root().resolve()
        target = (root / path.lstrip("/")).resolve()
        if target != root and root not in target.parents:
            raise ValueError(f"Path {path!r} leaves managed folder {self.name}")
        return target

    def get_info(self, sensitive_info: bool = False) -> dict[str, Any]:
        """Return the folder's id, name, project, storage type and local path."""
        return {
            "id": self.short_name,
            "name": self.short_name,
            "projectKey": self.project_key,
            "type": "Filesystem",
            "path": str(self._root()),
            "directoryBasedPartitioning": False,
        }

    def get_id(self) -> str:
        """Return the folder id."""
        return self.short_name

    def get_name(self) -> str:
        """Return the folder name (the id, in the stand-in)."""
        return self.short_name

    def get_path(self) -> str:
        """Return the folder's local filesystem path."""
        return str(self._root())

    def file_path(self, filename: str) -> str:
        """Return the local path of a file inside the folder."""
        return str(self._resolve(filename or "/"))

    def list_paths_in_partition(self, partition: str = "") -> list[str]:
        """Return every file path in the folder, sorted, as ``/relative/path``."""
        root = self._root()
        files = (p for p in root.rglob("*") if p.is_file())
        return sorted("/" + p.relative_to(root).as_posix() for p in files)

    def get_download_stream(self, path: str) -> IO[bytes]:
        """Open a file of the folder for binary reading (a context manager)."""
        target = self._resolve(path)
        if not target.is_file():
            raise FileNotFoundError(f"No file {path} in managed folder {self.name}")
        return target.open("rb")

    def upload_stream(self, path: str, f: IO[Any]) -> None:
        """Write the content of a file-like object (bytes or text) at ``path``."""
        data = f.read()
        self.upload_data(path, data)

    def upload_data(self, path: str, data: bytes | str) -> None:
        """Write bytes (or UTF-8 text) at ``path``, replacing any existing file."""
        target = self._resolve(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def upload_file(self, path: str, file_path: str) -> None:
        """Copy a local file to ``path``."""
        with open(file_path, "rb") as handle:
            self.upload_stream(path, handle)

    def read_json(self, path: str) -> Any:
        """Return the parsed JSON content of a file."""
        with self.get_download_stream(path) as stream:
            return json.load(stream)

    def write_json(self, path: str, obj: Any) -> None:
        """Write an object as JSON at ``path``."""
        self.upload_data(path, json.dumps(obj).encode("utf-8"))

    def delete_path(self, path: str) -> None:
        """Remove a file or directory of the folder."""
        target = self._resolve(path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()

    def clear(self) -> None:
        """Remove every file of the folder."""
        shutil.rmtree(self._root())
        self._root()

    def get_writer(self, path: str) -> FolderWriter:
        """Return a binary writer for ``path`` (use it as a context manager)."""
        return FolderWriter(self, path)


class FolderWriter:
    """Collects bytes and writes them to the folder on close."""

    def __init__(self, folder: Folder, path: str) -> None:
        self.folder = folder
        self.path = path
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        """Append bytes."""
        self._chunks.append(data)

    def close(self) -> None:
        """Write the collected bytes."""
        self.folder.upload_data(self.path, b"".join(self._chunks))

    def __enter__(self) -> FolderWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
