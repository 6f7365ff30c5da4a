"""The class DSS builds for each macro's ``runnable.py``, bound to one entry function.

DSS constructs ``MyRunnable(project_key, config, plugin_config)`` and calls ``run``;
every macro of the plugin does the same thing there (call its entry function with the
project, the form and the plugin settings), so each ``runnable.py`` only names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, ClassVar

from dataiku.runnables import Runnable

MacroFunction = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Any]

__all__ = ["GovernanceMacro", "MacroFunction"]


class GovernanceMacro(Runnable):  # type: ignore[misc]  # dataiku is untyped
    """A macro as DSS runs it; subclasses set :attr:`macro` to their entry function."""

    macro: ClassVar[MacroFunction]

    def __init__(self, project_key: str, config: dict[str, Any], plugin_config: dict[str, Any]):
        super().__init__(project_key, config, plugin_config)
        self.project_key, self.config, self.plugin_config = project_key, config, plugin_config

    def get_progress_target(self) -> None:
        """No progress bar: each step waits for DSS."""
        return None

    def run(self, progress_callback: Callable[[int], None]) -> Any:
        """Run the macro; a governance refusal fails it with its message."""
        return type(self).macro(self.project_key, self.config, self.plugin_config)
