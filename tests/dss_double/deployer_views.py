"""The "light" views both deployers serve: deployments, published items and infras.

The Project Deployer and the API Deployer answer with the same shapes, differing only
in what is published (a project bundle or an API service version) and in the keys that
name it; :class:`DeployerKind` holds those differences.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .state import DssState

INFRA_KEYS = ("id", "stage", "type", "governCheckPolicy")


@dataclass(frozen=True)
class DeployerKind:
    """How one deployer names its published items in state and in its answers."""

    state_attr: str
    published_field: str
    published_items: str
    published_id: str
    info_key: str
    basic_keys: tuple[str, ...]

    def side(self, state: DssState) -> dict[str, Any]:
        """This deployer's part of the world."""
        return dict(getattr(state, self.state_attr))


PROJECT_DEPLOYER = DeployerKind(
    state_attr="project_deployer",
    published_field="publishedProjectKey",
    published_items="projects",
    published_id="key",
    info_key="projectBasicInfo",
    basic_keys=(
        "id",
        "publishedProjectKey",
        "infraId",
        "bundleId",
        "deployedProjectKey",
        "enabled",
    ),
)
API_DEPLOYER = DeployerKind(
    state_attr="api_deployer",
    published_field="publishedServiceId",
    published_items="services",
    published_id="id",
    info_key="serviceBasicInfo",
    basic_keys=("id", "publishedServiceId", "infraId", "enabled"),
)


def basic_info(kind: DeployerKind, record: dict[str, Any]) -> dict[str, Any]:
    """A deployment's basic info, from its settings."""
    settings = record["settings"]
    return {k: settings.get(k) for k in kind.basic_keys}


def infra_basic(infra: dict[str, Any]) -> dict[str, Any]:
    """An infrastructure's basic info."""
    return {k: infra[k] for k in INFRA_KEYS}


def deployment_light(kind: DeployerKind, state: DssState, record: dict[str, Any]) -> dict[str, Any]:
    """A deployment as listed: its basic info, what it deploys and where."""
    side = kind.side(state)
    settings = record["settings"]
    published = side[kind.published_items][settings[kind.published_field]]
    return {
        "deploymentBasicInfo": basic_info(kind, record),
        kind.info_key: {"id": published[kind.published_id], "name": published["name"]},
        "infraBasicInfo": infra_basic(side["infras"][settings["infraId"]]),
    }


def published_light(kind: DeployerKind, state: DssState, key: str) -> dict[str, Any]:
    """A published project or API service with its packages, deployments and infras."""
    side = kind.side(state)
    published = side[kind.published_items][key]
    deployments = [
        d for d in side["deployments"].values() if d["settings"][kind.published_field] == key
    ]
    infra_ids = sorted({d["settings"]["infraId"] for d in deployments})
    return {
        kind.info_key: {"id": key, "name": published["name"]},
        "packages": copy.deepcopy(published["packages"]),
        "deployments": [basic_info(kind, d) for d in deployments],
        "infras": [infra_basic(side["infras"][i]) for i in infra_ids],
        "canDeploy": True,
    }


def infra_light(kind: DeployerKind, state: DssState, infra_id: str) -> dict[str, Any]:
    """An infrastructure with the deployments on it."""
    side = kind.side(state)
    deployments = [
        basic_info(kind, d)
        for d in side["deployments"].values()
        if d["settings"]["infraId"] == infra_id
    ]
    return {
        "infraBasicInfo": infra_basic(side["infras"][infra_id]),
        "deployments": deployments,
        "canDeploy": True,
    }
