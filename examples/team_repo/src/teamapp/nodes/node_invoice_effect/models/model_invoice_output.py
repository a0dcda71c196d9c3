"""Output model of node_invoice_effect."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelInvoiceOutput(BaseModel):
    """The result of a node_invoice_effect operation: success, record key and data."""

    success: bool
    key: str
    data: dict[str, Any] = Field(default_factory=dict)
