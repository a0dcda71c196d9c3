"""The ``nodeforge-learn`` post-commit hook: learn from the commit just made, never block it.

pre-commit runs it after ``git commit`` (``stages: [post-commit]``). It learns the nodes the commit
touched that have a passing verdict for exactly their committed content, queues the rest as pending,
and prints one summary line. Dense vectors are left to a detached ``nodeforge embed --pending`` so the
commit is not slowed by loading a model. Exit 0 always, unless ``--strict`` and something failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from nodeforge.errors import NodeforgeError


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nodeforge-learn")
    parser.add_argument("--strict", action="store_true", help="exit 1 when learning failed")
    parser.add_argument(
        "--no-embed-later", action="store_true", help="do not start `nodeforge embed --pending`"
    )
    parser.add_argument("filenames", nargs="*", help="ignored: the files come from the commit itself")
    return parser.parse_args(argv)


def _start_embedding(repo: Path) -> None:
    """Fill dense vectors in a detached process, as git runs ``gc --auto``."""
    subprocess.Popen(
        [sys.executable, "-m", "nodeforge.cli", "embed", "--pending", "--repo", str(repo)],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    from nodeforge.config import load_settings
    from nodeforge.learn import LearnOptions, learn, nodes_of_commit
    from nodeforge.paths import find_repo_root, git
    from nodeforge.store.factory import open_store

    try:
        repo = find_repo_root()
        settings = load_settings(repo)
        commit = git(repo, "rev-parse", "HEAD").strip()
        nodes = nodes_of_commit(repo, commit)
        options = LearnOptions(quality_threshold=settings.quality_threshold, embed=False, commit=commit)
        with open_store(
            repo,
            url=settings.server_url,
            api_key=settings.api_key,
            collection=settings.collection,
            embedder=None,
        ) as store:
            report = learn(repo, nodes, store, options)
    except (NodeforgeError, subprocess.CalledProcessError, OSError) as error:
        print(f"nodeforge: learning skipped: {error}")
        return 1 if args.strict else 0
    print(report.summary())
    if (
        report.dense_pending
        and not args.no_embed_later
        and os.environ.get("NODEFORGE_EMBED_LATER", "1") != "0"
    ):
        _start_embedding(repo)
    return 1 if args.strict and report.failed_files else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
