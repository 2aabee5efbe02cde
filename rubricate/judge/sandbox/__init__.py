"""The python-grader sandbox: warm, isolated worker processes with the platform's limits.

Layers, from the outside in (each module's docstring has the details):

1. :mod:`~rubricate.judge.sandbox.isolation` (parent side): each worker runs in bubblewrap
   (own user, PID, mount, network, IPC and UTS namespaces; a read-only root of only Python;
   a private tmpfs ``/tmp``; no capabilities; dies with rubricate). Where bubblewrap is
   missing or cannot start, a loud fallback (``--sandbox best-effort``, the default: a
   warning and ``sandbox`` in every record) or a refusal (``--sandbox required``).
2. :mod:`~rubricate.judge.sandbox.pool` (parent side): :class:`WorkerPool` starts workers
   with a minimal environment and talks to them over pipes.
3. ``worker_main.py`` (inside, standard library only): a non-dumpable supervisor that holds
   the pool's pipes and never runs grader code; one executor process per grader source;
   per-call wall-clock limit, output capture (64 kB, nothing on disk), reply validation.
4. ``worker_executor.py`` and ``worker_guards.py`` (inside): before any grader code runs,
   the executor puts on its guards: resource limits, the audit hook, the seccomp filter.

Measured in ``bench/grade_throughput.py`` (warm pool vs a worker per call) and tested
against escape attempts in ``tests/judge/sandbox/``.
"""
