"""Grid points of a sweep on a Ray cluster (optional extra ``linksim[ray]``).

Each Ray actor loads TensorFlow, the judges and the codecs once, then takes
grid points from a pool; the driver writes every finished point into the
run's :class:`~linksim.store.PointStore` as it arrives. The serial driver
then reads all points from that store, so a parallel run, a serial run and
a resumed run produce the same table: a point's numbers depend only on its
(seed, codec, SNR, CPP, runs, judges, images) and on the thread count, which
every worker sets to the driver's.
"""
from __future__ import annotations

import time

from .errors import ConfigError


class _PointWorker:
    """One Ray actor: models built once, then :meth:`run` per grid point."""

    def __init__(self, scenario, images, threads: int):
        from .pipeline import Setup
        from .sim import configure_threads, scenario_channel
        configure_threads(threads)
        self.scenario, self.images = scenario, images
        setup = Setup.build(scenario)
        self.codecs = setup.codecs
        self.evaluator = setup.evaluator(scenario, images)
        self.channel = scenario_channel(scenario)
        for codec in self.codecs.values():
            codec.channel = self.channel

    def run(self, label: str, snr_db: float, cpp: float, key: str):
        from .sim import run_point
        t0 = time.time()
        runs = run_point(self.codecs[label], label, self.images, snr_db, cpp, self.scenario.runs,
                         self.scenario.seed, self.evaluator, self.channel)
        return key, runs, time.time() - t0


def fill_store_on_ray(scenario, dataset, store, *, workers: int | None = None, address: str | None = None,
                      threads: int = 2, progress=None) -> int:
    """Compute the grid points missing from ``store`` on Ray and store them; returns how many.

    Args:
        scenario: the :class:`~linksim.config.Scenario`.
        dataset: the :class:`~linksim.data.Dataset` it runs on.
        store: the run's :class:`~linksim.store.PointStore`.
        workers: actors to start (default: the cluster's CPUs / ``threads``).
        address: a running cluster (``ray start --head`` / ``auto``); None starts a
            local one with ``workers * threads`` CPUs.
        threads: TensorFlow threads per worker (the driver's ``--threads``).
        progress: the run's :class:`~linksim.progress.Progress` (a line per point done on Ray).
    """
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise ConfigError("parallel runs need Ray: pip install 'linksim[ray]'") from None
    from .sim import grid_points
    todo = [p for p in grid_points(scenario, scenario.judge_names, dataset) if store.get(p[3]) is None]
    if not todo:
        return 0
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=(workers or 1) * threads, include_dashboard=False, log_to_driver=False)
    try:
        n_workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
        worker = ray.remote(num_cpus=threads)(_PointWorker)
        images = ray.put(dataset.images)
        actors = [worker.remote(scenario, images, threads) for _ in range(min(n_workers, len(todo)))]
        pool = ActorPool(actors)
        jobs = pool.map_unordered(lambda actor, p: actor.run.remote(*p), todo)
        for done, (key, runs, seconds) in enumerate(jobs, 1):
            store.put(key, runs, seconds)
            if progress is not None:
                progress.note(f"Ray: {done}/{len(todo)} points done ({seconds:.1f} s)")
    finally:
        if started:
            ray.shutdown()
    return len(todo)
