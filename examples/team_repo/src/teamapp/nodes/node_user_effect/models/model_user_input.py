"""Input model of node_user_effect."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelUserInput(BaseModel):
    """A request to node_user_effect: the operation, the record key and its payload."""

    operation: str
    key: str
    payload: dict[str, Any] = Field(default_factory=dict)
    correlation_id: str = ""
