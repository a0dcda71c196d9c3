"""Input model of node_invoice_effect."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelInvoiceInput(BaseModel):
    """A request to node_invoice_effect: the operation, the record key and its payload."""

    operation: str
    key: str
    payload: dict[str, Any] = Field(default_factory=dict)
    correlation_id: str = ""
