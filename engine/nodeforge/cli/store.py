"""``nodeforge store info|sync|rebuild`` and ``nodeforge embed``: the pattern store itself."""

from __future__ import annotations

import argparse

from nodeforge.cli.output import emit
from nodeforge.cli.progress import Progress
from nodeforge.cli.workspace import repo_of, store_for
from nodeforge.config import Settings, load_settings
from nodeforge.errors import EXIT_OK, InputError, NodeforgeError, StoreError, UsageError
from nodeforge.storage.factory import open_configured, open_store
from nodeforge.storage.protocol import PatternStore


def cmd_store(args: argparse.Namespace) -> int:
    repo = repo_of(args)
    settings = load_settings(repo)
    if args.store_command == "sync":
        return _sync(args, settings)
    if args.store_command == "rebuild":
        return _rebuild(args, settings)
    with store_for(settings) as store:
        info = store.info()
    emit(
        args,
        info,
        [f"{key}: {value}" for key, value in vars(info).items()]
        if hasattr(info, "__dict__")
        else [str(info)],
    )
    return EXIT_OK


def _rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from nodeforge.learning.rebuild import rebuild, restore_counters, saved_counters

    def embedded() -> PatternStore:
        return open_store(settings.repo, collection=settings.collection, embedder=None)

    counters = saved_counters(embedded)  # None: the store does not open, which is what rebuild is for
    if counters and not args.yes:
        raise UsageError(
            f"the store opens fine and holds {len(counters)} pattern(s); rebuilding re-mines them from git "
            "history and keeps their usage and success counters: run `nodeforge store rebuild --yes`"
        )
    report = rebuild(settings, embedded)
    if counters:
        with embedded() as store:
            report.counters_kept = restore_counters(store, counters)
    lines = [report.summary()]
    lines += [f"  failed: {f.path}: {f.detail}" for f in report.learn.failed_files]
    emit(args, report, lines)
    return EXIT_OK


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from nodeforge.storage.factory import sync

    if not settings.server_url:
        raise InputError("store sync needs a server: set QDRANT_URL or [tool.nodeforge] server_url")
    with (
        open_store(settings.repo, collection=settings.collection, embedder=None) as embedded,
        open_store(
            settings.repo,
            url=settings.server_url,
            api_key=settings.api_key,
            collection=settings.collection,
            embedder=None,
        ) as server,
    ):
        if server.info().backend != "server":
            raise StoreError(f"{settings.server_url} is unreachable; nothing pushed")
        with Progress("syncing", embedded.info().unsynced, enabled=not args.json) as bar:
            pushed = sync(embedded, server, progress=lambda done, total: bar.update(done))
    emit(args, {"pushed": pushed}, [f"nodeforge: pushed {pushed} pattern(s) to {settings.server_url}"])
    return EXIT_OK


def cmd_embed(args: argparse.Namespace) -> int:
    from nodeforge.storage.embeddings import find_embedder

    repo = repo_of(args)
    settings = load_settings(repo)
    lookup = find_embedder(settings.placement)
    if lookup.embedder is None:
        raise NodeforgeError(f"embeddings unavailable: {lookup.reason}")
    # Load the model (seconds) before taking the store's lock, so a commit's hook or a generate
    # running meanwhile does not wait for it.
    lookup.embedder.embed(["nodeforge"])
    with (
        open_configured(settings, embedder=lookup.embedder) as store,
        Progress("embedding", store.info().dense_pending, enabled=not args.json) as bar,
    ):
        count = store.embed_pending(progress=lambda done, total: bar.update(done))
    emit(args, {"embedded": count}, [f"nodeforge: embedded {count} pattern(s)"])
    return EXIT_OK
