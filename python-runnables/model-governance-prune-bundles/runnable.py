"""Macro: Prune bundles."""

from __future__ import annotations

from typing import Any, Callable

from dataiku.runnables import Runnable

from model_governance.dss.macros import prune_bundles


class MyRunnable(Runnable):
    """The macro as DSS runs it; ``macros.prune_bundles`` does the work."""

    def __init__(self, project_key: str, config: dict[str, Any], plugin_config: dict[str, Any]):
        super().__init__(project_key, config, plugin_config)
        self.project_key, self.config, self.plugin_config = project_key, config, plugin_config

    def get_progress_target(self) -> None:
        """No progress bar: each step waits for DSS."""
        return None

    def run(self, progress_callback: Callable[[int], None]) -> Any:
        """Run the macro; a governance refusal fails it with its message."""
        return prune_bundles(self.project_key, self.config, self.plugin_config)
