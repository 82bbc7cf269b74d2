"""The audit trail, verification, exports and disclosures."""

__all__ = ["charts", "disclosure", "disclosure_render", "export", "verify", "verify_export"]
