"""In-memory state of the DSS double: the world, credentials, futures, logs, faults.

Handlers mutate the world under ``DssState.lock``. ``reset()`` reloads the world
from the fixture data but keeps the request log, so a session can still list every
client method it exercised.
"""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from . import fixtures
from .errors import FUTURE_FAILED, INTERNAL, DssApiError, not_found


@dataclass(frozen=True)
class Principal:
    """Who a request authenticated as (API key, API ticket or browser session)."""

    auth_identifier: str
    login: str | None
    groups: tuple[str, ...]
    is_admin: bool
    via: str


@dataclass(frozen=True)
class RecordedRequest:
    """One request the double answered."""

    node: str
    method: str
    path: str
    route_id: str | None
    status: int
    query: dict[str, str]


@dataclass
class Fault:
    """A planned failure of the next call to one route."""

    route: str
    status: int
    message: str
    error_type: str


@dataclass
class FutureRecord:
    """A long-running task as ``/futures/{jobId}`` reports it."""

    job_id: str
    display_name: str
    started_ms: int
    result: Any = None
    error: DssApiError | None = None
    polls_left: int = 0
    aborted: bool = False

    def started_state(self) -> dict[str, Any]:
        """Return what the call starting the task answers: running, no result yet."""
        return {
            "jobId": self.job_id,
            "jobDisplayName": self.display_name,
            "alive": True,
            "aborted": False,
            "hasResult": False,
            "startTime": self.started_ms,
            "progress": {"states": []},
        }

    def state(self, *, peek: bool) -> dict[str, Any]:
        """Return the JSON DSS sends for this future (without result when peeking)."""
        done = self.polls_left <= 0 and not self.aborted
        body: dict[str, Any] = {
            "jobId": self.job_id,
            "jobDisplayName": self.display_name,
            "alive": not done and not self.aborted,
            "aborted": self.aborted,
            "hasResult": done and self.error is None,
            "startTime": self.started_ms,
            "progress": {"states": []},
        }
        if done and self.error is None and not peek:
            body["result"] = copy.deepcopy(self.result)
        return body


@dataclass
class Credentials:
    """API keys, API tickets and browser sessions from the identity fixture."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    govern_keys: dict[str, dict[str, Any]] = field(default_factory=dict)


class DssState:
    """The double's whole state, loaded from fixture data."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.lock = threading.RLock()
        self._data = copy.deepcopy(data)
        self.request_log: list[RecordedRequest] = []
        self.base_url = ""
        self.future_polls_before_done = 0
        self._load()

    # ------------------------------------------------------------------ loading

    def _load(self) -> None:
        data = copy.deepcopy(self._data)
        clock = data.get("clock", {})
        self._clock_ms = int(clock.get("startMs", 1717200000000))
        self._clock_step_ms = int(clock.get("stepMs", 1000))
        self._ids = itertools.count(1)
        self.credentials = _build_credentials(data)
        self.meanings = data.get("meanings", [])
        self.channels = {c["id"]: c for c in data.get("messagingChannels", [])}
        self.instance = data.get("instance", {})
        self.documentations: dict[str, bytes] = {}
        self.projects = {p["projectKey"]: fixtures.build_project(p) for p in data["projects"]}
        self.project_deployer = fixtures.build_project_deployer(data.get("projectDeployer", {}))
        self.api_deployer = fixtures.build_api_deployer(data.get("apiDeployer", {}))
        self.govern = fixtures.build_govern(data.get("govern", {}))
        self.futures: dict[str, FutureRecord] = {}
        self.faults: list[Fault] = []
        self.audit_log: list[dict[str, Any]] = []
        self.sent_mail: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Reload the world from the fixture data; the request log is kept."""
        with self.lock:
            self._load()
            self.future_polls_before_done = 0

    @property
    def fixture_data(self) -> dict[str, Any]:
        """Return a copy of the fixture data this state was loaded from."""
        return copy.deepcopy(self._data)

    # ------------------------------------------------------------ clock and ids

    def now_ms(self) -> int:
        """Return the double's clock in ms since epoch; each read advances it."""
        self._clock_ms += self._clock_step_ms
        return self._clock_ms

    def next_id(self, prefix: str) -> str:
        """Return a fresh identifier with the given prefix."""
        return f"{prefix}{next(self._ids):04d}"

    # ------------------------------------------------------------ lookups (404)

    def project(self, project_key: str) -> dict[str, Any]:
        """Return the project record or raise the DSS 404."""
        return lookup(self.projects, project_key, "Project")

    def saved_model(self, project_key: str, sm_id: str) -> dict[str, Any]:
        """Return the saved-model record or raise the DSS 404."""
        models = self.project(project_key)["savedModels"]
        return lookup(models, sm_id, "Saved model", f"{project_key}.{sm_id}")

    def saved_model_version(self, project_key: str, sm_id: str, version_id: str) -> dict[str, Any]:
        """Return a saved-model version record or raise the DSS 404."""
        versions = self.saved_model(project_key, sm_id)["versions"]
        full = f"{project_key}.{sm_id} version {version_id}"
        return lookup(versions, version_id, "Saved model version", full)

    def evaluation_store(self, project_key: str, mes_id: str) -> dict[str, Any]:
        """Return the model-evaluation-store record or raise the DSS 404."""
        stores = self.project(project_key)["evaluationStores"]
        return lookup(stores, mes_id, "Model evaluation store", f"{project_key}.{mes_id}")

    def scenario(self, project_key: str, scenario_id: str) -> dict[str, Any]:
        """Return the scenario record or raise the DSS 404."""
        scenarios = self.project(project_key)["scenarios"]
        return lookup(scenarios, scenario_id, "Scenario", f"{project_key}.{scenario_id}")

    # ------------------------------------------------------------ test hooks

    def fail_next(
        self,
        route: str,
        *,
        status: int = 500,
        message: str = "Injected failure",
        error_type: str = INTERNAL,
    ) -> None:
        """Make the next call to ``route`` fail with ``status`` and a DSS error body.

        ``route`` is a route id such as ``"GET /projects/<project_key>"`` or the
        name of its handler such as ``"get_project_summary"``.
        """
        with self.lock:
            self.faults.append(Fault(route, status, message, error_type))

    def take_fault(self, route_id: str, handler_name: str) -> Fault | None:
        """Remove and return the first planned fault matching this route, if any."""
        for index, fault in enumerate(self.faults):
            if fault.route in (route_id, handler_name):
                return self.faults.pop(index)
        return None

    def set_update_outcome(
        self, deployer: str, deployment_id: str, outcome: str, error: str | None = None
    ) -> None:
        """Decide how the next update futures of a deployment end (SUCCESS or FAILED).

        ``deployer`` is ``"project"`` or ``"api"``; this is the same flag as the
        fixture field ``updateOutcome`` (with ``updateError``).
        """
        with self.lock:
            records = self.project_deployer if deployer == "project" else self.api_deployer
            record = lookup(records["deployments"], deployment_id, "Deployment")
            record["updateOutcome"] = outcome
            if error is not None:
                record["updateError"] = error

    def set_bundle_governance(
        self, published_project_key: str, bundle_id: str, status: str
    ) -> None:
        """Set the Govern status the Project Deployer sees for a published bundle."""
        with self.lock:
            project = lookup(self.project_deployer["projects"], published_project_key, "Project")
            package = find_package(project, bundle_id)
            package["governanceStatus"] = status

    def set_scenario_outcome(self, project_key: str, scenario_id: str, outcome: str) -> None:
        """Decide how the next runs of a scenario end (SUCCESS, WARNING, FAILED)."""
        with self.lock:
            self.scenario(project_key, scenario_id)["nextOutcome"] = outcome

    # ------------------------------------------------------------ futures

    def start_future(
        self,
        display_name: str,
        *,
        result: Any = None,
        error_message: str | None = None,
    ) -> FutureRecord:
        """Register a finished (or failed) long task and return it."""
        error = None
        if error_message is not None:
            error = DssApiError(500, FUTURE_FAILED, error_message)
        record = FutureRecord(
            job_id=self.next_id("future-"),
            display_name=display_name,
            started_ms=self.now_ms(),
            result=result,
            error=error,
            polls_left=self.future_polls_before_done,
        )
        self.futures[record.job_id] = record
        return record

    def future(self, job_id: str) -> FutureRecord:
        """Return a future or raise the DSS 404."""
        return lookup(self.futures, job_id, "Future")

    # ------------------------------------------------------------ request log

    def record(self, entry: RecordedRequest) -> None:
        """Append one answered request to the log."""
        with self.lock:
            self.request_log.append(entry)


def lookup(mapping: dict[str, Any], key: str, kind: str, label: str | None = None) -> Any:
    """Return ``mapping[key]`` or raise the DSS 404 naming ``kind`` and ``label``."""
    if key not in mapping:
        raise not_found(kind, label if label is not None else key)
    return mapping[key]


def find_package(published: dict[str, Any], package_id: str) -> dict[str, Any]:
    """Return a bundle (or service version) of a published project/service, or 404."""
    for package in published["packages"]:
        if package["id"] == package_id:
            return package
    raise not_found("Bundle", f"{package_id} in {published.get('key', published.get('id'))}")


def _build_credentials(data: dict[str, Any]) -> Credentials:
    identity = data.get("identity", {})
    govern = data.get("govern", {})
    return Credentials(
        users={u["login"]: u for u in identity.get("users", [])},
        api_keys={k["key"]: k for k in identity.get("apiKeys", [])},
        tickets={t["ticket"]: t for t in identity.get("apiTickets", [])},
        sessions=list(identity.get("browserSessions", [])),
        govern_keys={k["key"]: k for k in govern.get("apiKeys", [])},
    )


def principal_for_user(credentials: Credentials, login: str, via: str) -> Principal:
    """Build the principal of a fixture user (admin when in ``administrators``)."""
    user = credentials.users[login]
    groups = tuple(user.get("groups", []))
    return Principal(login, login, groups, "administrators" in groups, via)


HandlerResult = Any
Handler = Callable[..., HandlerResult]
