"""A forensic reader for a copied Compa data folder: what an examiner holding the files (and
perhaps the keys) can pair, without trusting SQLite to hide anything.

It reads every frame of the write-ahead log in file order (every salt generation, stale frames
included), decodes the b-tree cells of each page itself, and tries to pair each report with a
pseudonym by commit order, by frame adjacency and by time. It also reads the -shm file and the
free pages of the main file. Used by tests/test_forensic_wal.py and tests/test_time_correlation.py.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PID = re.compile(rb"[0-9a-f]{64}")
REPORT_STATUSES = {"pending", "held", "verified", "false_alarm", "unverified"}
CHANNELS = {"telegram", "whatsapp", "console"}


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        if at + i >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at + i + 1
    raise AssertionError("unreachable")


def _record(payload: bytes) -> list[Any]:
    header_size, at = _varint(payload, 0)
    types = []
    while at < header_size:
        serial, at = _varint(payload, at)
        types.append(serial)
    values: list[Any] = []
    pos = header_size
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in sizes:
            n = sizes[serial]
            values.append(int.from_bytes(payload[pos:pos + n], "big", signed=True))
            pos += n
        elif serial == 7:
            values.append(struct.unpack(">d", payload[pos:pos + 8])[0])
            pos += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            raw = payload[pos:pos + n]
            pos += n
            values.append(raw.decode("utf-8", "replace") if serial % 2 else raw)
        else:
            raise ValueError("reserved serial type")
    return values


def cells(page: bytes, first_page: bool = False) -> Iterator[tuple[int | None, list[Any]]]:
    """(rowid or None, values) of every decodable leaf cell of a b-tree page."""
    base = 100 if first_page else 0
    if len(page) < base + 8:
        return
    kind = page[base]
    if kind not in (10, 13):
        return
    count = int.from_bytes(page[base + 3:base + 5], "big")
    for i in range(count):
        ptr_at = base + 8 + 2 * i
        ptr = int.from_bytes(page[ptr_at:ptr_at + 2], "big")
        try:
            size, at = _varint(page, ptr)
            rowid = None
            if kind == 13:
                rowid, at = _varint(page, at)
            yield rowid, _record(page[at:at + size])
        except (ValueError, IndexError, struct.error):
            continue


def report_rows(page: bytes, first_page: bool = False) -> dict[int, list[Any]]:
    """Report records (the reports table's shape) on a page, by id."""
    found = {}
    for rowid, values in cells(page, first_page):
        if rowid is not None and len(values) == 11 and values[8] in REPORT_STATUSES \
                and isinstance(values[2], str) and isinstance(values[9], int):
            found[rowid] = values
    return found


def user_rows(page: bytes, first_page: bool = False) -> dict[str, list[Any]]:
    """users records: pid, channel, address_sealed, locale, role, created, last_inbound."""
    found = {}
    for _, values in cells(page, first_page):
        if len(values) == 7 and values[1] in CHANNELS and isinstance(values[0], str) \
                and PID.fullmatch(values[0].encode()):
            found[values[0]] = values
    return found


@dataclass
class Frame:
    index: int
    page_no: int
    commit: bool
    salt: tuple[int, int]
    data: bytes


def wal_frames(wal: bytes) -> tuple[int, list[Frame]]:
    """Every frame in file order, whatever its salt (stale generations included)."""
    if len(wal) < 32:
        return 0, []
    page_size = int.from_bytes(wal[8:12], "big")
    frames = []
    at, index = 32, 0
    while at + 24 + page_size <= len(wal):
        head = wal[at:at + 24]
        page_no, commit = struct.unpack(">II", head[:8])
        salt = struct.unpack(">II", head[8:16])
        frames.append(Frame(index, page_no, commit != 0, salt,
                            wal[at + 24:at + 24 + page_size]))
        at += 24 + page_size
        index += 1
    return page_size, frames


@dataclass
class Link:
    report_id: int
    # "frame before its commit" | "frame after its commit" | "frame adjacency" |
    # "same commit" | "commit order"
    by: str
    pids: frozenset[str]


@dataclass
class WalReading:
    frames: int = 0
    generations: int = 0
    reports: set[int] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)


def read_wal(wal: bytes, pseudonyms: set[str], db: bytes = b"") -> WalReading:
    """Pairs each report seen in the log with the pseudonyms of its neighbours: the frame just
    before and just after it, the rest of its commit, and the commits before and after. A
    frame counts the pseudonyms it holds and those it removed (a deleted session row is
    zeroed, but the page's previous version, in the main file or an earlier frame, had it)."""
    page_size, frames = wal_frames(wal)
    reading = WalReading(frames=len(frames), generations=len({f.salt for f in frames}))
    previous: dict[int, frozenset[str]] = {}
    if db and page_size:
        for n in range(len(db) // page_size):
            page = db[n * page_size:(n + 1) * page_size]
            previous[n + 1] = frozenset(p.decode() for p in PID.findall(page)) & pseudonyms
    pids_in = []
    for f in frames:
        held = frozenset(p.decode() for p in PID.findall(f.data)) & pseudonyms
        pids_in.append(held | (previous.get(f.page_no, frozenset()) - held))
        previous[f.page_no] = held
    reports_in = [set(report_rows(f.data, f.page_no == 1)) for f in frames]
    # Commits in file order: frame index ranges.
    commits: list[range] = []
    start = 0
    for f in frames:
        if f.commit:
            commits.append(range(start, f.index + 1))
            start = f.index + 1
    if start < len(frames):
        commits.append(range(start, len(frames)))
    commit_of = {i: c for c, span in enumerate(commits) for i in span}
    seen: set[int] = set()
    for f in frames:
        for report_id in reports_in[f.index] - seen:
            seen.add(report_id)
            c = commit_of[f.index]

            def union(span: range) -> frozenset[str]:
                return frozenset().union(*(pids_in[i] for i in span))

            before = commits[c].start - 1
            checks = [
                ("frame before its commit", pids_in[before] if before >= 0 else frozenset()),
                ("frame after its commit", pids_in[commits[c].stop]
                 if commits[c].stop < len(frames) else frozenset()),
                ("frame adjacency", union(range(max(f.index - 1, 0), f.index))
                 | union(range(f.index + 1, min(f.index + 2, len(frames))))),
                ("same commit", union(commits[c])),
                ("commit order", (union(commits[c - 1]) if c > 0 else frozenset())
                 | (union(commits[c + 1]) if c + 1 < len(commits) else frozenset())),
            ]
            for by, pids in checks:
                if pids:
                    reading.links.append(Link(report_id, by, pids))
    reading.reports = seen
    return reading


def pseudonyms_in(*blobs: bytes, page_size: int = 4096) -> dict[str, list[Any]]:
    """users rows found in whole pages of any of the blobs (main file or WAL frames)."""
    found: dict[str, list[Any]] = {}
    for blob in blobs:
        if blob[:16] == b"SQLite format 3\x00":
            size = int.from_bytes(blob[16:18], "big")
            size = 65536 if size == 1 else size
            for n in range(len(blob) // size):
                found.update(user_rows(blob[n * size:(n + 1) * size], n == 0))
        else:
            for f in wal_frames(blob)[1]:
                found.update(user_rows(f.data, f.page_no == 1))
    return found


def free_pages(db: bytes) -> list[tuple[int, bytes, bool]]:
    """(page number, bytes, is a trunk) of every page on the main file's free list."""
    size = int.from_bytes(db[16:18], "big")
    size = 65536 if size == 1 else size
    out = []
    trunk = int.from_bytes(db[32:36], "big")
    visited = set()
    while trunk and trunk not in visited and trunk * size <= len(db):
        visited.add(trunk)
        page = db[(trunk - 1) * size:trunk * size]
        out.append((trunk, page, True))
        count = int.from_bytes(page[4:8], "big")
        for i in range(min(count, (size - 8) // 4)):
            leaf = int.from_bytes(page[8 + 4 * i:12 + 4 * i], "big")
            if leaf > 0 and leaf * size <= len(db):
                out.append((leaf, db[(leaf - 1) * size:leaf * size], False))
        trunk = int.from_bytes(page[:4], "big")
    return out


def leftovers(page: bytes, trunk: bool) -> bytes:
    """What a free page still holds beyond the free list's own pointers."""
    if trunk:
        count = int.from_bytes(page[4:8], "big")
        return page[8 + 4 * count:]
    return page
