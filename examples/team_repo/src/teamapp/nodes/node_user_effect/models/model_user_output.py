"""Output model of node_user_effect."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelUserOutput(BaseModel):
    """The result of a node_user_effect operation: success, record key and data."""

    success: bool
    key: str
    data: dict[str, Any] = Field(default_factory=dict)
