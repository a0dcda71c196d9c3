"""``nodeforge report --html``: the catalogue, its escaping, and what headless Chromium shows of it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeforge.cli.report import build_catalogue, provenance_label, render_html, write_report
from nodeforge.model import NodeType, PatternKind
from nodeforge.storage.factory import open_store
from nodeforge.storage.protocol import PatternStore
from tests.storekit import make_pattern

HOSTILE = 'def handle(self, request):\n    """</pre><script>alert("x")</script>"""\n    return {{ secret }}\n'


@pytest.fixture
def store(repo: Path) -> Iterator[PatternStore]:
    with open_store(repo, embedder=None) as opened:
        opened.upsert(
            [
                make_pattern("first", summary="Create a __entity__ record."),
                make_pattern("fetch", slot="effect:get", operation="get", symbol="HandlerUserGet.handle"),
                make_pattern(
                    "total",
                    slot="compute:transform",
                    node="node_price_compute",
                    node_type=NodeType.COMPUTE,
                    operation="transform",
                    symbol="HandlerPriceTransform.execute",
                ),
            ]
        )
        opened.upsert([make_pattern("second")])  # same slot and symbol, new code: version 2
        yield opened


def test_patterns_are_grouped_by_node_type_and_slot_with_their_history(store: PatternStore) -> None:
    catalogue = build_catalogue(store, title="t")

    layout = {t.node_type: [s.slot for s in t.slots] for t in catalogue.node_types}
    assert layout == {"effect": ["effect:create", "effect:get"], "compute": ["compute:transform"]}
    assert catalogue.pattern_count == 3
    [create] = catalogue.node_types[0].slots[0].patterns
    assert create.version == 2
    assert [(v.version, v.status) for v in create.history] == [(1, "superseded")]
    assert dict(catalogue.counts) == {"active": 3, "unverified": 0, "superseded": 1, "retired": 0, "held": 0}


def test_each_pattern_shows_provenance_rates_and_highlighted_code(store: PatternStore) -> None:
    [pattern] = store.list(kind=PatternKind.OPERATION, node_type=NodeType.COMPUTE)
    store.record_usage([pattern.id, pattern.id, pattern.id])
    store.record_outcome([pattern.id], passed=True)
    store.record_outcome([pattern.id], passed=True)
    store.record_outcome([pattern.id], passed=False)

    page = render_html(build_catalogue(store, title="Team patterns"))

    assert provenance_label(pattern) == "src/nodes/node_price_compute/handler.py:10-20@abc123"
    assert "src/nodes/node_price_compute/handler.py:10-20@abc123" in page
    assert "67% (2/3)" in page
    assert "no verdict yet" in page
    assert 'style="color: #' in page, "Pygments' inline styles colour the code"
    assert "<title>Team patterns</title>" in page


def test_mined_text_is_escaped_and_the_page_loads_nothing_from_outside(repo: Path) -> None:
    with open_store(repo, embedder=None) as store:
        store.upsert([make_pattern("x", code=HOSTILE, summary="<b>bold</b> & co")])
        page = render_html(build_catalogue(store, title="<i>title</i>"))

    assert "<script" not in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert "&lt;i&gt;title&lt;/i&gt;" in page
    assert "{{ secret }}" in page, "mined Jinja syntax is shown as text, never evaluated"
    assert "<link" not in page and "src=" not in page and "url(" not in page


def test_an_empty_store_renders_a_page_that_says_how_to_learn(repo: Path) -> None:
    with open_store(repo, embedder=None) as store:
        summary = write_report(store, repo / "out" / "patterns.html", title="t")

    page = summary.path.read_text(encoding="utf-8")
    assert summary.patterns == 0
    assert "No pattern learned yet" in page and "nodeforge learn --all" in page


def test_the_command_writes_the_page_and_reports_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nodeforge.cli.main import main

    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    with open_store(repo, embedder=None) as store:
        store.upsert([make_pattern("alpha")])
    out = repo / "site" / "patterns.html"

    code = main(["report", "--repo", str(repo), "--html", str(out), "--json"])
    payload = json.loads(capsys.readouterr().out)

    assert code == 0
    assert payload["patterns"] == 1 and payload["path"] == str(out.resolve())
    assert "HandlerUserCreate.handle" in out.read_text(encoding="utf-8")


# -- what a browser shows ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH, HEIGHT = 1280, 900
HEADER_RGB = (0x24, 0x29, 0x2F)  # the page header's background


def _screenshot(page: Path, png: Path, profile: Path) -> bytes:
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}",
            page.as_uri(),
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return png.read_bytes()


def _png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, the filtered scanlines) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6), f"unexpected PNG format: depth {depth}, colour type {color}"
    return width, height, 3 if color == 2 else 4, zlib.decompress(idat)


def _pixel_rows(raw: bytes, width: int, bpp: int, rows: int) -> list[bytes]:
    """The first ``rows`` scanlines, unfiltered (PNG filters 0-4)."""
    stride, previous, out = width * bpp, bytearray(width * bpp), []
    for row in range(rows):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        out.append(bytes(line))
        previous = line
    return out


def _ink(raw: bytes, width: int, bpp: int) -> float:
    """Share of non-zero bytes in the filtered image: close to 0 for a blank page, far above for text."""
    stride = width * bpp + 1
    body = b"".join(raw[i + 1 : i + stride] for i in range(0, len(raw), stride))
    return 1 - body.count(0) / len(body)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_chromium_renders_the_catalogue_as_a_real_page(store: PatternStore, tmp_path: Path) -> None:
    report = write_report(store, tmp_path / "patterns.html", title="Team patterns").path
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")

    shot = _screenshot(report, tmp_path / "report.png", tmp_path / "profile-a")
    empty = _screenshot(blank, tmp_path / "blank.png", tmp_path / "profile-b")

    width, height, bpp, raw = _png(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    top = _pixel_rows(raw, width, bpp, 12)[-1]
    assert tuple(top[:3]) == HEADER_RGB, "the header band is painted at the top of the page"
    blank_width, _, blank_bpp, blank_raw = _png(empty)
    assert _ink(raw, width, bpp) > 10 * max(_ink(blank_raw, blank_width, blank_bpp), 0.001)
    assert len(shot) > 20_000 > len(empty)


def test_the_page_is_readable_by_others_as_a_plain_file_would_be(repo: Path) -> None:
    previous = os.umask(0o022)
    try:
        with open_store(repo, embedder=None) as store:
            summary = write_report(store, repo / "catalogue.html", title="t")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(summary.path.stat().st_mode) == 0o644
