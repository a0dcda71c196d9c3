"""Errors the team's nodes raise to their callers."""

from __future__ import annotations


class NodeOperationError(Exception):
    """An operation could not be completed; the message says which record and why."""
