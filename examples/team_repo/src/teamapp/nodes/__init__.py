"""The team's service nodes, one ``node_<entity>_<type>`` package each."""
