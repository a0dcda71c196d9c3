"""The learning floor: find nodes whose tests pass, mine their code, gate it, and hand it to storage."""
