"""Every test's runs keep their history in the test's own data directory, never the user's."""

import pytest


@pytest.fixture(autouse=True)
def _own_data_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Inherited by the nimsync-tui processes a test starts: their history store lands here.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
