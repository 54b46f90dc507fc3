import subprocess
import sys

import pytest

from coachgen.errors import ConfigError
from coachgen.settings import load_settings


def test_defaults_and_home(tmp_path):
    settings = load_settings(environ={}, home=tmp_path)
    assert settings.home == tmp_path
    assert settings.embedder == "onnx"
    assert settings.db_path == tmp_path / "coachgen.db"


def test_precedence_flag_over_env_over_file(tmp_path):
    (tmp_path / "coachgen.toml").write_text("chunk_chars = 900\nlock_timeout = 5\nmax_file_bytes = 1000\n")
    env = {"COACHGEN_HOME": str(tmp_path), "COACHGEN_CHUNK_CHARS": "700", "COACHGEN_LOCK_TIMEOUT": "7"}
    settings = load_settings(environ=env, chunk_chars=600)
    assert settings.chunk_chars == 600  # flag
    assert settings.lock_timeout == 7  # environment
    assert settings.max_file_bytes == 1000  # file
    assert settings.embed_batch_size == 64  # default


def test_config_file_may_use_a_coachgen_table(tmp_path):
    (tmp_path / "coachgen.toml").write_text("[coachgen]\nchunk_chars = 800\n")
    assert load_settings(environ={"COACHGEN_HOME": str(tmp_path)}).chunk_chars == 800


def test_invalid_value_is_one_clear_config_error(tmp_path):
    with pytest.raises(ConfigError, match="chunk_chars"):
        load_settings(environ={"COACHGEN_HOME": str(tmp_path), "COACHGEN_CHUNK_CHARS": "lots"})


def test_unknown_key_in_config_file_is_refused(tmp_path):
    (tmp_path / "coachgen.toml").write_text("chunk_size = 3\n")
    with pytest.raises(ConfigError, match="chunk_size"):
        load_settings(environ={"COACHGEN_HOME": str(tmp_path)})


def test_broken_config_file(tmp_path):
    (tmp_path / "coachgen.toml").write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="coachgen.toml"):
        load_settings(environ={"COACHGEN_HOME": str(tmp_path)})


def test_api_key_is_secret(tmp_path):
    settings = load_settings(environ={}, home=tmp_path, embed_api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(settings)


def test_importing_coachgen_reads_nothing_and_stays_light():
    code = (
        "import sys, coachgen, coachgen.cli; "
        "heavy = [m for m in ('chromadb', 'onnxruntime', 'langchain_core', 'openai', 'pydantic', 'numpy') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
