"""Helpers of the reliability tests: the CLI in-process and the points of a run."""
import json

from linksim.cli import main


def run_cli(capsys, *argv):
    """``(exit code, stderr lines)`` of ``linksim ARGV`` run in this process."""
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err.strip().splitlines()


def points(out):
    """The run's result points without their wall times."""
    return [{k: v for k, v in p.items() if k != "seconds"}
            for p in json.loads((out / "results.json").read_text())["points"]]
