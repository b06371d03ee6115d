"""The Qmap source over the three link policies: same budget rules, outage and fallback as BPG."""
import numpy as np
import pytest

from linksim.channels import AWGNChannel
from linksim.codecs.base import symbol_budget
from linksim.codecs.separate import CapacityLink
from linksim.codecs.source.base import decoded
from linksim.config import codec_labels
from linksim.registry import CODECS


def build(node):
    return CODECS.build(CODECS.parse(node, "codec"))


def roundtrip(codec, images, snr_db, cpp, seed=1):
    import sionna
    tx = codec.transmit(images, snr_db, cpp)
    sionna.config.seed = seed
    y = AWGNChannel()(tx.symbols, snr_db) if tx.symbols.size else tx.symbols
    return tx, codec.receive(np.asarray(y), tx, snr_db)


@pytest.fixture(scope="module")
def images(sample):
    return sample.take_per_class(10).images[:4]


def source_node(weights, **kw):
    return {"type": "qmap", "weights": weights, "strategy": "icm", "levels": 32, **kw}


def test_labels_name_source_and_policy(tiny_qmap_weights):
    nodes = [{"type": "bpg_ldpc"}, {"type": "adaptive_link"},
             {"type": "capacity_link", "source": source_node(tiny_qmap_weights)}]
    configs = [CODECS.parse(n, "c") for n in nodes]
    assert codec_labels(configs) == ["bpg_ldpc", "bpg_adaptive", "qmap2021-icm_capacity"]


@pytest.mark.parametrize("node", [{"type": "ldpc_link", "code": "ldpc-80211n-648-r12", "modulation": "qpsk"},
                                  {"type": "adaptive_link"}])
def test_learned_source_delivers_its_streams_at_high_snr(tiny_qmap_weights, images, node):
    codec = build({**node, "cache": "memory", "source": source_node(tiny_qmap_weights)})
    tx, rx = roundtrip(codec, images, 25.0, 8.0)
    budget = symbol_budget(8.0, 32, 32)
    assert np.all(tx.channel_uses <= budget)
    ladder, groups = tx.state
    sent = [i for g in groups for i in g.indices]
    assert sent and not rx.outage[sent].any()
    for i in sent:       # the image shown is the decoded stream of the size that was sent
        sizes = [len(ladder.stream(i, pos)) for pos in range(len(codec.source.grid))]
        pos = sizes.index(tx.source_bits[i] // 8)
        np.testing.assert_array_equal(rx.images[i], decoded(codec.source, ladder.stream(i, pos), images.shape[1:]))


def test_capacity_link_fits_the_capacity_and_never_overspends(tiny_qmap_weights, images):
    codec = build({"type": "capacity_link", "cache": "memory", "source": source_node(tiny_qmap_weights)})
    for snr, cpp in ((0.0, 0.125), (20.0, 2.0)):
        tx, rx = roundtrip(codec, images, snr, cpp)
        cap = CapacityLink.capacity_bits(symbol_budget(cpp, 32, 32), snr)
        assert np.all(tx.source_bits + 24 * (~tx.outage) <= cap)
        assert np.array_equal(rx.outage, tx.outage)


def test_crc_passed_but_undecodable_stream_is_an_outage(tiny_qmap_weights, images, monkeypatch):
    codec = build({"type": "ldpc_link", "code": "ldpc-80211n-648-r12", "modulation": "qpsk", "cache": "memory",
                   "source": source_node(tiny_qmap_weights)})
    tx = codec.transmit(images, 25.0, 8.0)
    monkeypatch.setattr(type(codec.source), "decode_batch", lambda self, streams: [None] * len(streams))
    monkeypatch.setattr("linksim.codecs.source.base._DECODED", {})
    rx = codec.receive(np.asarray(tx.symbols), tx, 25.0)
    ladder, groups = tx.state
    sent = [i for g in groups for i in g.indices]
    assert sent and rx.outage[sent].all()
    assert np.all(rx.images[sent] == ladder.fallback)


def test_crc_failed_streams_decoded_anyway_over_the_learned_source_stay_outages(tiny_qmap_weights, images):
    codec = build({"type": "ldpc_link", "code": "ldpc-80211n-648-r56", "modulation": "qam64", "cache": "memory",
                   "decode_on_crc_failure": True, "source": source_node(tiny_qmap_weights)})
    tx, rx = roundtrip(codec, images, 2.0, 8.0)
    assert not tx.outage.any() and rx.outage.all()
    assert rx.images.shape == images.shape and rx.images.dtype == np.uint8


def test_unknown_source_type_is_a_config_error():
    from linksim.errors import ConfigError
    with pytest.raises(ConfigError, match="unknown source codec type 'jpeg'.*bpg.*qmap"):
        CODECS.parse({"type": "bpg_ldpc", "source": {"type": "jpeg"}}, "codecs[0]")
