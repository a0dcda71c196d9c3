"""Input model of node_signup_orchestrator."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelSignupInput(BaseModel):
    """A request to node_signup_orchestrator: the operation, the record key and its payload."""

    operation: str
    key: str
    payload: dict[str, Any] = Field(default_factory=dict)
    correlation_id: str = ""
