"""EpochLoop: resumes after the last finished epoch and refuses a changed configuration."""
import json
from dataclasses import dataclass

import pytest
import tensorflow as tf

from linksim.errors import ConfigError
from linksim.train.loop import EpochLoop


@dataclass(frozen=True)
class Options:
    epochs: int = 3
    lr: float = 0.1


def test_resume_runs_only_the_missing_epochs_and_restores_state(tmp_path):
    counter = tf.Variable(0.0)
    loop = EpochLoop(tmp_path, Options(), log=lambda m: None, counter=counter)
    seen = []

    def stop_after_two(epoch):
        seen.append(epoch)
        counter.assign_add(1.0)
        if epoch == 2:
            raise KeyboardInterrupt
        return ""
    with pytest.raises(KeyboardInterrupt):
        loop.run(3, stop_after_two)
    counter.assign(-100.0)                          # state a fresh process would not have
    lines = []
    resumed = EpochLoop(tmp_path, Options(), log=lines.append, counter=counter)
    assert float(counter) == 2.0 and int(resumed.epoch) == 2
    resumed.run(3, lambda epoch: seen.append(epoch) or "ok")
    assert seen == [0, 1, 2, 2]
    assert lines[0].endswith("at epoch 2") and lines[-1].startswith("epoch 3/3 ok time")
    assert json.loads((tmp_path / "wall.json").read_text())["seconds"] == pytest.approx(resumed.wall_seconds)


def test_changed_options_in_the_same_folder_are_refused(tmp_path):
    EpochLoop(tmp_path, Options(), log=lambda m: None)
    with pytest.raises(ConfigError, match=r"lr: 0.1 -> 0.2"):
        EpochLoop(tmp_path, Options(lr=0.2), log=lambda m: None)


@dataclass(frozen=True)
class NewerOptions(Options):
    shares: tuple = (0.5, 0.5)
    init: str = ""


def test_a_run_resumes_under_options_added_later_at_their_defaults(tmp_path):
    EpochLoop(tmp_path, Options(), log=lambda m: None)
    EpochLoop(tmp_path, NewerOptions(), log=lambda m: None)              # the new keys at their defaults
    with pytest.raises(ConfigError, match="init"):
        EpochLoop(tmp_path, NewerOptions(init="x"), log=lambda m: None)


def test_tuple_options_compare_equal_to_their_stored_lists(tmp_path):
    EpochLoop(tmp_path, NewerOptions(shares=(0.2, 0.8)), log=lambda m: None)
    EpochLoop(tmp_path, NewerOptions(shares=(0.2, 0.8)), log=lambda m: None)


def test_a_second_trainer_on_a_held_folder_stops_before_training(tmp_path):
    from linksim.errors import OutputError
    from linksim.folders import run_lock
    epochs = []
    with run_lock(tmp_path):
        with pytest.raises(OutputError, match="in use by another linksim run"):
            EpochLoop(tmp_path, Options(), log=lambda m: None).run(2, epochs.append)
    assert epochs == []
