"""Input model of node_metrics_reducer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelMetricsInput(BaseModel):
    """A request to node_metrics_reducer: the operation, the record key and its payload."""

    operation: str
    key: str
    payload: dict[str, Any] = Field(default_factory=dict)
    correlation_id: str = ""
