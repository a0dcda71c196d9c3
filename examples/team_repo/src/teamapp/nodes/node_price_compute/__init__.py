"""Computes a price from an amount, a discount and a tax rate."""
