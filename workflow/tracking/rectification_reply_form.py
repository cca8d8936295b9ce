"""The reply form of rectification (see workflow.tracking.rectification_forms)."""

from workflow.tracking.rectification_forms import REPLY as FORM

__all__ = ["FORM"]
