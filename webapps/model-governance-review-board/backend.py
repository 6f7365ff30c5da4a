"""Review-board backend: DSS injects the Flask ``app``; DSS sessions identify users."""

import secrets

import dataiku
from dataiku.customwebapp import get_plugin_config, get_webapp_config
from dataikuapi.utils import DataikuException

from model_governance.dss.params import parse_plugin_settings
from model_governance.dss.runtime import open_ledger
from model_governance.webapp import DSSIdentity, register_review_board


def _auth_info(headers):
    return dataiku.api_client().get_auth_info_from_browser_headers(headers)


settings = parse_plugin_settings(get_plugin_config())
register_review_board(
    app,  # noqa: F821 - DSS injects the Flask app into this module's globals
    open_ledger(settings),
    settings.policy,
    DSSIdentity(_auth_info, refusals=(DataikuException,)),
    secret_key=secrets.token_urlsafe(48),
    default_project=get_webapp_config().get("default_project"),
)
