"""Model documents: model card, experiment summary and review-board packet.

Rendered from a qualification's evidence and ledger records as self-contained HTML and
canonical JSON; :meth:`GovernanceService.write_documents` stores them with their
hashes in the ledger.
"""

from model_governance.documents.render import (
    DOCUMENT_KINDS,
    DocumentKind,
    RenderedDocument,
    render_documents,
)

__all__ = ["DOCUMENT_KINDS", "DocumentKind", "RenderedDocument", "render_documents"]
