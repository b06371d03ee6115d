import pytest


@pytest.fixture
def scenario(tmp_path):
    """Write a scenario file from its text; returns its path."""
    def write(text, name="s.yaml"):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write
