"""What the tests share beside their fixtures (which stay in ``tests/conftest.py``).

* :mod:`support.common`: paths to test data, running the real ``policykg`` command, copying
  and comparing stores, the settings and headers of served test servers;
* :mod:`support.servers`: servers the tests start on 127.0.0.1 and what they answer;
* :mod:`support.browser`: a real headless Chromium;
* :mod:`support.hostile_document`: a document whose names are payloads;
* :mod:`support.ingest_faults`: ingests killed on purpose;
* :mod:`support.network_fixture`: two small documents for the network view;
* :mod:`support.store_contract`: one behaviour for the embedded and the remote store;
* :mod:`support.generate_corpus`: seeded synthetic corpora (also the benchmarks' corpus);
* :mod:`support.load_scenario`: readers and a writer at once, every reply checked
  (``tests/test_load.py`` small, ``benchmarks/bench_load.py`` big).

Test modules import from here (``from support.common import run_cli``), never from
``conftest`` or from each other; ``tests/`` is on ``sys.path`` through pytest's ``pythonpath``
setting in pyproject.toml.
"""
