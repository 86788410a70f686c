"""The store folder's troubles in words: a full disk, a read-only file system, a lock another
process holds, a path that is no store; each as a :class:`~policykg.errors.StoreUnavailableError`
naming the folder, the reason and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

from policykg.errors import StoreUnavailableError

# RocksDB's OSErrors carry no errno, only text: the reason in words, and what to do.
_LOCKED = (
    "another process has the store open",
    "another policykg process (serve?) has this store open; stop it or use another --store",
)
_IO_REASONS = (
    ("No space left on device", "the disk is full", "free some space"),
    ("File too large", "a file reached the file size limit (ulimit -f)", "raise the limit"),
    (
        "Read-only file system",
        "the file system is read-only",
        "use a --store on a writable file system; reading commands (query, list, export) still work",
    ),
    ("Permission denied", "permission denied", "check the owner and permissions of the store folder"),
    ("Resource temporarily unavailable", *_LOCKED),
    ("lock", *_LOCKED),  # after the others: "While open a file for lock: …: Permission denied"
)


def io_error(path: Path | None, doing: str, exc: OSError) -> StoreUnavailableError:
    """A readable error for an OSError from the store's files: the folder, the reason, the cure."""
    detail = exc.strerror if exc.strerror and exc.errno else str(exc)  # not "[Errno 17] …: 'path'"
    where = f"the store at {path}" if path is not None else "the in-memory store"
    for needle, reason, hint in _IO_REASONS:
        if needle.lower() in detail.lower():
            if hint is _LOCKED[1] and path is not None:
                return _in_use(path, doing, detail)
            return StoreUnavailableError(f"cannot {doing} {where}: {reason} ({detail})", hint=hint)
    return StoreUnavailableError(f"cannot {doing} {where}: {detail}")


def _in_use(path: Path, doing: str, detail: str) -> StoreUnavailableError:
    """The store is locked by another process: which one, if this system says, and what to do."""
    holder = lock_holder(path / "LOCK")
    who = "another process"
    hint = _LOCKED[1]
    if holder is not None:
        pid, command = holder
        who = f"another process (pid {pid}: {command})" if command else f"another process (pid {pid})"
        if " serve" in f" {command}":
            hint = (
                "`policykg serve` holds it: add documents through that server (POST /documents with "
                "the write token, see docs/api.md), or stop it and run this again"
            )
        elif " ingest" in f" {command}":
            hint = "another ingest is writing it: wait for it to end, then run this again"
    return StoreUnavailableError(f"cannot {doing} the store at {path}: it is in use by {who}", hint=hint)


def lock_holder(lock_file: Path) -> tuple[int, str] | None:
    """``(pid, command line)`` of the process holding a POSIX lock on ``lock_file`` (RocksDB's
    LOCK), read from /proc/locks (Linux); None where that cannot be told."""
    try:
        st = lock_file.stat()
        locks = Path("/proc/locks").read_text()
    except OSError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in locks.splitlines():
        fields = line.split()
        # "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (a blocked waiter's line has "->")
        if len(fields) >= 6 and "->" not in fields and fields[5] == inode:
            pid = int(fields[4])
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                return pid, ""
            words = [
                Path(a.decode(errors="replace")).name if i < 2 else a.decode(errors="replace")
                for i, a in enumerate(argv)
                if a
            ]
            if len(words) > 1 and words[0].startswith("python"):
                words = words[1:]  # "python3 …/policykg serve" -> "policykg serve"
            return pid, " ".join(words)[:200]
    return None


def check_store_folder(path: Path, *, read_only: bool) -> None:
    """Refuse, before RocksDB touches anything, a store path that is a file, a folder of other
    things (a new store would be written in among them), or, for reading, no store at all."""
    is_store = (path / "CURRENT").is_file()
    if path.exists() and not path.is_dir():
        raise StoreUnavailableError(
            f"cannot open the store at {path}: it is a file, not a store folder",
            hint="give --store a folder: a new one, an empty one or an existing store",
        )
    if is_store:
        return
    if read_only:
        raise StoreUnavailableError(
            f"no store at {path}", hint="create one with `policykg ingest --store PATH FILES`, or check --store"
        )
    try:
        others = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
    except OSError:
        return  # unreadable: RocksDB says why
    if others:
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        raise StoreUnavailableError(
            f"cannot create a store in {path}: the folder is not a store and holds other files ({shown})",
            hint="give --store a new or empty folder",
        )
