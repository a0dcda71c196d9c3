"""The storage floor: the pattern store on Qdrant (Edge embedded, or a server), vectors and ranking.

``factory.open_store`` picks the backend; ``protocol.PatternStore`` is what the other floors speak.
Nothing is imported here: the hook and the pytest plugin import single modules of this floor
(``embeddings`` for its placements, ``rank``) and must not pay for Qdrant on the way.
"""
