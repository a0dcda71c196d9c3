"""Output model of node_signup_orchestrator."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelSignupOutput(BaseModel):
    """The result of a node_signup_orchestrator operation: success, record key and data."""

    success: bool
    key: str
    data: dict[str, Any] = Field(default_factory=dict)
