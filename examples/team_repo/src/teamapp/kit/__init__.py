"""Shared building blocks of the team's nodes: retries, audit, errors, storage and guards."""
