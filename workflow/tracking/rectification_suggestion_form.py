"""The suggestion form of rectification (see workflow.tracking.rectification_forms)."""

from workflow.tracking.rectification_forms import SUGGESTION as FORM

__all__ = ["FORM"]
