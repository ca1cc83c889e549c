"""The embedded development database (config/devdb.py): a data folder left by another PostgreSQL
version (the former pgserver's PostgreSQL 16) cannot be opened by PostgreSQL 18."""
from config.devdb import _set_aside_other_version


def test_a_data_folder_of_another_postgresql_version_is_set_aside_not_deleted(tmp_path, capsys):
    data = tmp_path / "postgres"
    (data / "base").mkdir(parents=True)
    (data / "PG_VERSION").write_text("16\n")
    _set_aside_other_version(data)
    assert not data.exists()
    (aside,) = tmp_path.glob("postgres-16-*")
    assert (aside / "PG_VERSION").read_text() == "16\n" and (aside / "base").is_dir()
    assert "PostgreSQL 16" in capsys.readouterr().err


def test_a_data_folder_of_postgresql_18_is_kept(tmp_path):
    data = tmp_path / "postgres"
    data.mkdir()
    (data / "PG_VERSION").write_text("18\n")
    _set_aside_other_version(data)
    assert (data / "PG_VERSION").exists() and list(tmp_path.iterdir()) == [data]
