"""Output model of node_metrics_reducer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelMetricsOutput(BaseModel):
    """The result of a node_metrics_reducer operation: success, record key and data."""

    success: bool
    key: str
    data: dict[str, Any] = Field(default_factory=dict)
