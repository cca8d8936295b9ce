"""The again form of rectification (see workflow.tracking.rectification_forms)."""

from workflow.tracking.rectification_forms import AGAIN as FORM

__all__ = ["FORM"]
