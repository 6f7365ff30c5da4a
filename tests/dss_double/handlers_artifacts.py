"""Handlers: generated files and instance settings the plugin reads.

- model documentation of a saved-model version
  (``DSSTrainedModelDetails.generate_documentation`` answers a future whose result is
  ``{"exportId": ...}``; ``download_documentation_stream`` fetches the .docx);
  without the graphical export library (``instance.graphicalExportEnabled`` false)
  the future fails, as DSS does;
- the archive of an exported bundle (``DSSProject.get_exported_bundle_archive_stream``),
  a zip holding the export manifest;
- the code environments (``DSSClient.list_code_envs``), from ``instance.codeEnvs``.

Generated files are zips with fixed member dates, so the same state gives the same
bytes.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from typing import Any

from .routing import Binary, RequestContext
from .state import lookup

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def generate_model_documentation(
    ctx: RequestContext, project_key: str, sm_id: str, version_id: str
) -> dict[str, Any]:
    """Serve DSSTrainedModelDetails.generate_documentation (default template)."""
    version = ctx.state.saved_model_version(project_key, sm_id, version_id)
    if not ctx.state.instance.get("graphicalExportEnabled", False):
        future = ctx.state.start_future(
            f"Model documentation of {sm_id} {version_id}",
            error_message="The graphical export library is not activated on this DSS instance",
        )
        return future.started_state()
    export_id = ctx.state.next_id("model-doc-")
    details = version["details"]
    ctx.state.documentations[export_id] = _zip(
        {
            "word/document.xml": (
                f"<document><title>{details['userMeta']['name']}</title>"
                f"<model>{details['fullModelId']}</model></document>"
            ),
            "[Content_Types].xml": "<Types/>",
        }
    )
    future = ctx.state.start_future(
        f"Model documentation of {sm_id} {version_id}",
        result={"exportId": export_id, "data": {"messages": [], "anyMessage": False}},
    )
    return future.started_state()


def download_model_documentation(ctx: RequestContext, project_key: str, export_id: str) -> Binary:
    """Serve DSSTrainedModelDetails.download_documentation_stream."""
    ctx.state.project(project_key)
    content = lookup(ctx.state.documentations, export_id, "Model documentation")
    return Binary(content, DOCX_MIMETYPE)


def get_exported_bundle_archive(ctx: RequestContext, project_key: str, bundle_id: str) -> Binary:
    """Serve DSSProject.get_exported_bundle_archive_stream (a zip of the manifest)."""
    bundles = ctx.state.project(project_key)["bundles"]
    bundle = lookup(bundles, bundle_id, "Bundle", f"{bundle_id} in {project_key}")
    manifest = {
        "bundleId": bundle["bundleId"],
        "releaseNotes": bundle.get("releaseNotes"),
        "exportManifest": bundle["exportManifest"],
    }
    body = _zip({"export-manifest.json": json.dumps(manifest, sort_keys=True)})
    return Binary(body, "application/zip")


def list_code_envs(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSClient.list_code_envs."""
    return copy.deepcopy(ctx.state.instance.get("codeEnvs", []))


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(members.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), text)
    return buffer.getvalue()
