"""A node that changes its idiom makes a new version; an idiom other nodes still show stays live."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nodeforge.model import PatternStatus
from nodeforge.storage.edge import open_embedded
from tests.storekit import make_pattern


def test_a_changed_idiom_supersedes_the_old_one_of_that_node_only(tmp_path: Path) -> None:
    old = make_pattern("save")
    with open_embedded(tmp_path, embedder=None) as store:
        store.upsert([old], embed=False)
        changed = make_pattern("save_and_audit")
        report = store.upsert([changed], embed=False)
        assert report.superseded == (old.id,)
        stored_old, stored_new = store.get(old.id), store.get(changed.id)
        assert stored_old is not None and stored_new is not None
        assert stored_old.status is PatternStatus.SUPERSEDED
        assert (stored_new.version, stored_new.supersedes) == (2, old.id)
        assert [p.id for p in store.history(changed.id)] == [changed.id, old.id]


def test_an_idiom_other_nodes_still_show_stays_live_without_the_changed_node(tmp_path: Path) -> None:
    shared = make_pattern("save")
    from_invoice = replace(shared, source_nodes=("node_invoice_effect",))
    with open_embedded(tmp_path, embedder=None) as store:
        store.upsert([shared, from_invoice], embed=False)
        before = store.get(shared.id)
        assert before is not None and before.support == 2
        changed = make_pattern("save_and_audit")  # node_user_effect changed its handler
        report = store.upsert([changed], embed=False)
        assert report.superseded == ()
        after, new = store.get(shared.id), store.get(changed.id)
        assert after is not None and new is not None
        assert after.status is PatternStatus.ACTIVE
        assert after.source_nodes == ("node_invoice_effect",) and after.support == 1
        assert (new.version, new.supersedes) == (1, "")
