"""teamapp: the team's service nodes and the kit they share."""
