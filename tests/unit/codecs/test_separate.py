import numpy as np
import pytest

from linksim.channels import AWGNChannel
from linksim.codecs.base import symbol_budget
from linksim.codecs.separate import (BpgAdaptive, BpgAdaptiveConfig, BpgCapacity, BpgCapacityConfig,
                                     BpgLdpc, BpgLdpcConfig, shared_cache)
from linksim.codecs.source.base import QualityLadder
from linksim.codecs.source.bpg import BpgSource, BpgSourceConfig
from linksim.data import fallback_image


@pytest.fixture(scope="module")
def images():
    from linksim.data import load_embedded_sample
    return load_embedded_sample().take_per_class(10).images[::2][:4]


def roundtrip(codec, images, snr_db, cpp, seed=1):
    import sionna
    tx = codec.transmit(images, snr_db, cpp)
    sionna.config.seed = seed
    y = AWGNChannel()(tx.symbols, snr_db) if tx.symbols.size else tx.symbols
    return tx, codec.receive(np.asarray(y), tx, snr_db)


def test_ladder_picks_smallest_fitting_qp(images):
    ladder = QualityLadder(BpgSource(BpgSourceConfig()), images, shared_cache(None), fallback_image())
    for budget in (60, 120, 300):
        qp = ladder.best(budget)[0]
        sizes = [len(ladder.stream(0, q)) for q in range(52)]
        assert sizes[qp] <= budget
        assert qp == min(q for q in range(52) if sizes[q] <= budget) or sizes[qp - 1] > budget
    assert ladder.best(10) == [None] * len(images)


def test_bpg_ldpc_outage_at_paper_point(images):
    codec = BpgLdpc(BpgLdpcConfig(cache="memory"))
    assert codec.pipe.symbols_per_codeword == 486 > symbol_budget(0.25, 32, 32)
    tx, rx = roundtrip(codec, images, 5.0, 0.25)
    assert tx.outage.all() and tx.symbols.size == 0 and rx.outage.all()
    assert np.all(rx.images == fallback_image())


def test_bpg_ldpc_delivers_at_20db_half_cpp(images):
    codec = BpgLdpc(BpgLdpcConfig(cache="memory"))
    tx, rx = roundtrip(codec, images, 20.0, 0.5)
    assert not rx.outage.any()
    assert np.all(tx.channel_uses == 486) and np.all(tx.source_bits <= 1458 - 24)
    assert np.all(np.abs(rx.images.astype(int) - images).mean(axis=(1, 2, 3)) < 12)


def test_crc_failure_is_an_outage_never_a_crash(images):
    for decode_anyway in (False, True):
        codec = BpgLdpc(BpgLdpcConfig(cache="memory", modulation="qam64", code="ldpc-80211n-648-r56",
                                      decode_on_crc_failure=decode_anyway))
        tx, rx = roundtrip(codec, images, 2.0, 0.5)
        assert not tx.outage.any() and rx.outage.all()
        assert rx.images.shape == images.shape and rx.images.dtype == np.uint8


def test_capacity_budget_at_5db_quarter_cpp(images):
    codec = BpgCapacity(BpgCapacityConfig(cache="memory"))
    assert codec.capacity_bits(256, 5.0) == int(256 * np.log2(1 + 10 ** 0.5))   # 526 bits
    tx, rx = roundtrip(codec, images, 5.0, 0.25)
    assert not rx.outage.any()
    assert np.all(tx.source_bits <= 8 * ((526 - 24) // 8)) and np.all(tx.source_bits > 8 * 40)


def test_adaptive_beats_fixed_at_15db_quarter_cpp(images):
    codec = BpgAdaptive(BpgAdaptiveConfig(cache="memory"))
    tx, rx = roundtrip(codec, images, 15.0, 0.25)
    assert np.all(tx.channel_uses <= 256)
    assert (~rx.outage).mean() >= 0.5


def test_second_pass_over_the_same_qualities_encodes_nothing(images, monkeypatch):
    from linksim.codecs import separate
    from linksim.codecs.source import bpg
    separate._CACHES.clear()                    # a new process: the cache file of this test only
    calls = []
    real = bpg.encode
    monkeypatch.setattr(bpg, "encode", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    grid = [(5.0, 0.25), (10.0, 0.5), (15.0, 0.25)]
    for codec in (BpgCapacity(BpgCapacityConfig()), BpgAdaptive(BpgAdaptiveConfig())):
        for snr, cpp in grid:
            codec.transmit(images, snr, cpp)
    first = len(calls)
    separate._CACHES.clear()                    # and again, in a fresh process reading the same file
    for codec in (BpgCapacity(BpgCapacityConfig()), BpgAdaptive(BpgAdaptiveConfig())):
        for snr, cpp in grid:
            codec.transmit(images, snr, cpp)
    assert first > 0 and len(calls) == first
