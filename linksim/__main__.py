import sys

if sys.version_info[:2] != (3, 11):
    # the pinned stack (TensorFlow 2.14.1, Sionna 0.19.2) installs on Python 3.11 only
    print(f"linksim: error: linksim needs Python 3.11 (this is {sys.version.split()[0]}); "
          "create its venv with python3.11 -m venv .venv", file=sys.stderr)
    sys.exit(2)

from .cli import main  # noqa: E402

sys.exit(main())
