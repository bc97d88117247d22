import functools
import http.server
import shutil
import threading

import pytest
from conftest import REPO, shared_path

from gaitcheck.cli import main
from gaitcheck.errors import ModelError
from gaitcheck.models import bundle_filename, install_models, resolve_model, verify_bundle


@pytest.mark.parametrize("fixture,what", [
    ("truncated_heavy.task", "truncated zip"),
    ("error_page_saved_as.task", "XML/HTML page"),
])
def test_broken_fixtures_are_refused_with_one_line(fixture, what, capsys):
    path = shared_path("models", "broken", fixture)
    with pytest.raises(ModelError) as ei:
        verify_bundle(path)
    msg = str(ei.value)
    assert what in msg and fixture in msg and "\n" not in msg
    # and through the command line: exit non-zero, one line on stderr, no traceback
    assert main(["models", "verify", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fixture in err[0] and "Traceback" not in err[0]


def test_good_bundles_verify(model_dir):
    for name in ("lite", "full", "heavy"):
        verify_bundle(model_dir / bundle_filename(name))


def test_lookup_order(tmp_path, monkeypatch, model_dir):
    env_dir, cwd = tmp_path / "env", tmp_path / "cwd"
    (cwd / "models").mkdir(parents=True)
    env_dir.mkdir()
    lite = "pose_landmarker_lite.task"
    shutil.copyfile(model_dir / lite, cwd / "models" / lite)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("GAITCHECK_MODEL_DIR", str(env_dir))
    assert resolve_model("lite").path == cwd / "models" / "pose_landmarker_lite.task"
    shutil.copyfile(model_dir / "pose_landmarker_lite.task", env_dir / "pose_landmarker_lite.task")
    assert resolve_model("lite").path == env_dir / "pose_landmarker_lite.task"  # env first
    explicit = model_dir / "pose_landmarker_full.task"
    assert resolve_model(str(explicit)).path == explicit  # a path wins over everything


def test_missing_model_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GAITCHECK_MODEL_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(ModelError) as ei:
        resolve_model("heavy")
    assert "gaitcheck models install heavy" in str(ei.value)
    with pytest.raises(ModelError, match="unknown model"):
        resolve_model("medium")


def test_install_from_folder_is_verified_and_atomic(tmp_path, model_dir):
    dest = tmp_path / "dest"
    got = install_models(["lite"], dest=dest, source_dir=model_dir, log=lambda s: None)
    assert got == [dest / "pose_landmarker_lite.task"]
    verify_bundle(got[0])
    assert [p.name for p in dest.iterdir()] == ["pose_landmarker_lite.task"]


def test_install_refuses_a_broken_source_and_leaves_nothing(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copyfile(shared_path("models", "broken", "truncated_heavy.task"),
                    src / "pose_landmarker_heavy.task")
    dest = tmp_path / "dest"
    with pytest.raises(ModelError, match="truncated"):
        install_models(["heavy"], dest=dest, source_dir=src, log=lambda s: None)
    assert list(dest.iterdir()) == []  # no damaged .task, no temporary file


@pytest.fixture
def http_models(model_dir):
    """Serve a folder over HTTP on loopback, as the model storage would."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(model_dir))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_install_by_download(tmp_path, http_models):
    dest = tmp_path / "dl"
    got = install_models(["full"], dest=dest,
                         url_template=http_models + "/pose_landmarker_{name}.task",
                         progress=False, log=lambda s: None)
    verify_bundle(got[0])


def test_download_errors_are_one_line(tmp_path, http_models):
    with pytest.raises(ModelError) as ei:
        install_models(["full"], dest=tmp_path / "d", url_template=http_models + "/missing/{name}",
                       progress=False, log=lambda s: None)
    assert "HTTP 404" in str(ei.value) and "\n" not in str(ei.value)
    assert list((tmp_path / "d").iterdir()) == []


def test_models_list_cli(capsys, model_dir):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "full" in out and "[default]" in out


def test_repo_never_tracks_model_files():
    ignore = (REPO / ".gitignore").read_text()
    assert "models/*.task" in ignore
