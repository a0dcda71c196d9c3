"""Input model of node_price_compute."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelPriceInput(BaseModel):
    """A request to node_price_compute: the operation, the record key and its payload."""

    operation: str
    key: str
    payload: dict[str, Any] = Field(default_factory=dict)
    correlation_id: str = ""
