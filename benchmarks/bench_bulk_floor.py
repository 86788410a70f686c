"""The write's floor for a store's quads: ``Store.bulk_load`` of all of them in one call, and in
16 MB pieces one after another (as ingest's batches come), each into a new store.

``python benchmarks/bench_bulk_floor.py STORE WORK`` prints one JSON object: ``quads``,
``one_call_seconds``, ``pieces``, ``pieces_seconds`` and ``piece_seconds`` (each piece's time,
in order, to see whether a piece costs more as the store fills). ``benchmarks/run.py
--only-speed`` runs it after its end-to-end ingest. Both loads are lenient, as ingest's are.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from policykg.settings import Settings

PIECE_BYTES = Settings().ingest_batch_bytes  # the size of ingest's batches, by default


def pieces(data: bytes, size: int) -> list[bytes]:
    """``data`` cut after the first line end past every ``size`` bytes."""
    out, start = [], 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data) - 1)) + 1 or len(data)
        out.append(data[start:end])
        start = end
    return out


def load(data: list[bytes], folder: Path) -> list[float]:
    """Seconds of each bulk load of ``data`` into a new store at ``folder``, flushed at the end."""
    shutil.rmtree(folder, ignore_errors=True)
    store = ox.Store(str(folder))
    times = []
    for part in data:
        started = time.perf_counter()
        store.bulk_load(part, format=ox.RdfFormat.N_QUADS, lenient=True)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    store.flush()
    times[-1] += time.perf_counter() - started
    del store
    shutil.rmtree(folder, ignore_errors=True)
    return times


def main() -> None:
    store, work = Path(sys.argv[1]), Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    dump = work / "all.nq"
    source = ox.Store.read_only(str(store))
    source.dump(str(dump), format=ox.RdfFormat.N_QUADS)
    del source
    data = dump.read_bytes()
    dump.unlink()
    one = load([data], work / "one-call")
    cut = pieces(data, PIECE_BYTES)
    each = load(cut, work / "pieces")
    print(
        json.dumps(
            {
                "quads": data.count(b"\n"),
                "one_call_seconds": sum(one),
                "pieces": len(cut),
                "pieces_seconds": sum(each),
                "piece_seconds": [round(t, 3) for t in each],
            }
        )
    )


if __name__ == "__main__":
    main()
