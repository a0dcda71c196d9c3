"""Output model of node_price_compute."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelPriceOutput(BaseModel):
    """The result of a node_price_compute operation: success, record key and data."""

    success: bool
    key: str
    data: dict[str, Any] = Field(default_factory=dict)
