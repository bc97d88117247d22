"""gaitcheck batch: statuses, outputs, resume, interruption, Dask, the cohort notebook.

Real clips from the shared test material (skipped when absent): a short overground clip
that the running checks refuse (too few strides), a treadmill clip that is analysed, a
truncated copy of it (unreadable) and a text file renamed .mp4. The landmark cache of the
test session is shared with the batch workers (``GAITCHECK_CACHE_DIR`` is inherited), so
MediaPipe runs once per clip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, video

from gaitcheck.batch import (
    DONE_FILE,
    BatchOptions,
    config_hash,
    find_videos,
    output_folders,
    process_video,
    read_manifest,
    run_batch,
)
from gaitcheck.errors import GaitcheckError

OK_CLIP = "zzzhushi_treadmill_side_portrait_male_side.mp4"
SHORT_CLIP = "sports2d_overground_side_short_demo3.mp4"
CORRUPT = "broken/corrupt.mp4"
TEXT = "notes.mp4"
NO_RENDER = ["--no-overlay", "--no-pdf", "--no-png"]
FAST = BatchOptions(jobs=1, pdf=False, png=False, overlay=False, quiet=True)


# --------------------------------------------------------------------------------------
# inputs (no clips needed)


def test_find_videos_recursive_skips_hidden_and_output(tmp_path: Path) -> None:
    for rel in ("a.mp4", "a.MOV", "sub/b.webm", ".hidden/c.mp4", "sub/.d.mp4", "notes.txt",
                "out/results/a/overlay.mp4"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    found = find_videos(tmp_path, exclude=[tmp_path / "out"])
    rels = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rels == ["a.MOV", "a.mp4", "sub/b.webm"]
    assert [p.name for p in find_videos(tmp_path, pattern="*.webm")] == ["b.webm"]
    folders = output_folders(found, tmp_path)
    assert sorted(folders.values()) == ["a_MOV", "a_mp4", "sub/b"]
    with pytest.raises(GaitcheckError, match="not a folder"):
        find_videos(tmp_path / "missing")


def test_manifest_matching_and_errors(tmp_path: Path) -> None:
    for rel in ("r1/run.mp4", "r2/run.mp4", "solo.mov"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    videos = find_videos(tmp_path)
    man = tmp_path / "runners.csv"
    man.write_text("\ufeffVideo,Runner,Name,Height,View,Belt_Speed,Notes\n"
                   "r1/run.mp4,A1,Ann,168,side,10.5,first\n"
                   "solo,B2,,181.5,,,\n"
                   "ghost.mp4,C3,,,,,\n")
    meta, unmatched = read_manifest(man, videos, tmp_path)
    assert unmatched == ["ghost.mp4"]
    assert meta[tmp_path / "r1/run.mp4"] == {
        "runner_id": "A1", "runner_name": "Ann", "height_cm": 168.0, "view_manifest": "side",
        "belt_speed_kmh": 10.5, "notes": "first"}
    assert meta[tmp_path / "solo.mov"]["height_cm"] == 181.5
    assert tmp_path / "r2/run.mp4" not in meta
    for text, msg in (("video,shoe\nsolo,x\n", "unknown manifest column 'shoe'"),
                      ("runner_id\nA\n", "no 'video' column"),
                      ("video\nrun.mp4\n", "matches 2 videos"),
                      ("video,height_cm\nsolo,1.8\n", "not a plausible height"),
                      ("video,view\nsolo,diagonal\n", "not side, rear or front"),
                      ("video\nsolo\nsolo.mov\n", "named twice")):
        man.write_text(text)
        with pytest.raises(GaitcheckError, match=re.escape(msg)):
            read_manifest(man, videos, tmp_path)


def test_config_hash_ignores_cache_and_render_jobs() -> None:
    cfg = {"model": "full", "cutoff_hz": 10.0, "use_cache": True, "render_jobs": None}
    assert config_hash(cfg) == config_hash({**cfg, "use_cache": False, "render_jobs": 1})
    assert config_hash(cfg) != config_hash({**cfg, "cutoff_hz": 8.0})


# --------------------------------------------------------------------------------------
# real clips


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """An input folder: one analysable clip, one refused, one truncated, one text file."""
    src_ok, src_short = video(OK_CLIP), video(SHORT_CLIP)
    d = tmp_path_factory.mktemp("batch-in")
    shutil.copy(src_ok, d / OK_CLIP)
    shutil.copy(src_short, d / SHORT_CLIP)
    (d / "broken").mkdir()
    (d / CORRUPT).write_bytes(src_ok.read_bytes()[:50_000])  # no moov atom: unreadable
    (d / TEXT).write_text("this is not a video\n")
    return d


def _copy_inputs(clips: Path, dest: Path) -> Path:
    shutil.copytree(clips, dest)
    return dest


def _no_temp_dirs(out: Path) -> list[Path]:
    return [p for p in (out / "results").rglob(".*") if ".tmp-" in p.name or ".old-" in p.name]


def _read_tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(out / "batch.csv"), pd.read_parquet(out / "batch.parquet")


@pytest.fixture(scope="module")
def full_run(clips: Path, tmp_path_factory: pytest.TempPathFactory):
    """``gaitcheck batch`` with every output (report, overlay) and a manifest, 2 jobs."""
    from gaitcheck.cli import main

    out = tmp_path_factory.mktemp("batch-out")
    manifest = clips.parent / "runners.csv"
    manifest.write_text("video,runner_id,runner_name,height_cm,view,belt_speed_kmh,notes\n"
                        f"{OK_CLIP},R1,Zhu,178,side,11,treadmill\n"
                        f"{SHORT_CLIP},R2,,,side,,overground\n"
                        "missing.mp4,R3,,,,,\n")
    t0 = time.perf_counter()
    rc = main(["batch", str(clips), "-o", str(out), "--jobs", "2", "--manifest", str(manifest),
               "-q"])
    return out, rc, manifest, time.perf_counter() - t0


@pytest.mark.integration
def test_batch_statuses_outputs_and_table(full_run) -> None:
    out, rc, _, _ = full_run
    assert rc == 2  # two files failed
    csv_t, pq_t = _read_tables(out)
    assert list(pq_t["video"]) == sorted([OK_CLIP, SHORT_CLIP, CORRUPT, TEXT])
    status = dict(zip(pq_t["video"], pq_t["status"], strict=True))
    assert status == {OK_CLIP: "ok", SHORT_CLIP: "not_analysable", CORRUPT: "error",
                      TEXT: "error"}
    err = dict(zip(pq_t["video"], pq_t["error"], strict=True))
    assert err[SHORT_CLIP].startswith("too few strides")
    assert "not a readable video" in err[CORRUPT] and "not a readable video" in err[TEXT]
    assert all("\n" not in str(e) for e in err.values())
    assert pd.isna(err[OK_CLIP])
    # the CSV and the Parquet table hold the same data
    pd.testing.assert_frame_equal(csv_t, pq_t, check_dtype=False)
    row = pq_t.set_index("video").loc[OK_CLIP]
    assert row["runner_name"] == "Zhu" and row["height_cm"] == 178
    assert row["belt_speed_kmh"] == 11 and row["view_manifest"] == "side"
    assert row["view"] == "side" and row["valid_strides"] >= 20
    assert row["valid_strides_l"] + row["valid_strides_r"] == row["valid_strides"]
    assert 150 < row["cadence_spm_l"] < 190 and 150 < row["cadence_spm_r"] < 190
    assert pd.notna(row["overstride_ic_pct_leg_l"]) and pd.isna(row["pelvic_drop_deg_l"])
    assert row["n_flag"] + row["n_watch"] == len(str(row["findings"]).split(";"))
    assert not pq_t["skipped"].any()
    # one complete folder per finished video, as `gaitcheck analyze` writes it
    ok_dir = out / row["folder"]
    for name in ("landmarks.npz", "kinematics.csv", "events.csv", "strides.csv",
                 "markers.csv", "summary.csv", "analysis.json", "provenance.json",
                 "findings.json", "recommendations.json", "report.pdf", "report-1.png",
                 "overlay.mp4", DONE_FILE):
        assert (ok_dir / name).is_file() and (ok_dir / name).stat().st_size > 0, name
    done = json.loads((ok_dir / DONE_FILE).read_text())
    assert done["row"]["status"] == "ok" and done["config"]["height_cm"] == 178
    assert done["row"]["video_sha256"] == row["video_sha256"]
    short_dir = out / pq_t.set_index("video").loc[SHORT_CLIP, "folder"]
    assert (short_dir / DONE_FILE).is_file() and (short_dir / "analysis.json").is_file()
    assert not (short_dir / "report.pdf").exists()
    # no folder for a failed file (it is tried again next time), no temporary folders
    assert sorted(p.name for p in (out / "results").iterdir()) == sorted(
        [Path(OK_CLIP).stem, Path(SHORT_CLIP).stem])
    assert _no_temp_dirs(out) == []
    for name in ("cohort.png", "cohort.pdf"):
        assert (out / name).stat().st_size > 5000
    logtext = (out / "batch.log").read_text()
    assert "failed: notes.mp4: not a readable video" in logtext
    assert "manifest entry 'missing.mp4' matches no video" in logtext


@pytest.mark.integration
def test_resume_skips_finished_videos(full_run, clips: Path) -> None:
    out, _, manifest, _ = full_run
    before = pd.read_parquet(out / "batch.parquet")
    opts = BatchOptions(jobs=2, manifest=manifest, quiet=True)
    t0 = time.perf_counter()
    summary = run_batch(clips, out, opts)
    took = time.perf_counter() - t0
    # the analysed and the refused clip are kept; the two failed files are tried again
    assert (summary.skipped, summary.processed) == (2, 2)
    assert summary.exit_code == 2 and not summary.interrupted
    assert [v for v, _ in summary.failures] == [CORRUPT, TEXT]
    after = pd.read_parquet(out / "batch.parquet")
    assert dict(zip(after["video"], after["skipped"], strict=True)) == {
        OK_CLIP: True, SHORT_CLIP: True, CORRUPT: False, TEXT: False}
    pd.testing.assert_frame_equal(before.drop(columns="skipped"),
                                  after.drop(columns="skipped"))
    assert took < 30, f"a resumed batch with nothing to analyse took {took:.1f} s"


@pytest.mark.integration
def test_same_content_new_mtime_is_skipped_by_hash(clips: Path, tmp_path: Path) -> None:
    src = _copy_inputs(clips, tmp_path / "in")
    out = tmp_path / "out"
    first = run_batch(src, out, FAST)
    assert first.processed == 4
    os.utime(src / SHORT_CLIP, (time.time() + 5, time.time() + 5))
    again = run_batch(src, out, FAST)
    # the task re-hashed the touched clip and kept its results
    assert again.skipped == 2 and again.processed == 2
    done = json.loads((out / "results" / Path(SHORT_CLIP).stem / DONE_FILE).read_text())
    assert done["video_mtime_ns"] == (src / SHORT_CLIP).stat().st_mtime_ns
    # a changed option recomputes
    changed = run_batch(src, out, BatchOptions(jobs=1, pdf=False, png=False, overlay=False,
                                               quiet=True, cutoff_hz=8.0))
    assert changed.skipped == 0 and changed.processed == 4


def _interrupt_in_analysis(phase: str, done: int, total: int) -> None:
    if phase == "analysis":
        raise KeyboardInterrupt


def interrupting_task(video: str, out_dir: str, config: dict, progress=None) -> dict:
    """The real task, but Ctrl-C arrives while the short clip is being analysed."""
    if Path(video).name == SHORT_CLIP:
        return process_video(video, out_dir, config, progress=_interrupt_in_analysis)
    return process_video(video, out_dir, config, progress=progress)


@pytest.mark.integration
def test_interrupt_inside_a_task_keeps_finished_results(clips: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_batch(clips, out, FAST, task=interrupting_task)
    assert summary.interrupted and summary.exit_code == 130
    # largest first, one worker: the ok clip finished, then the short clip was interrupted
    assert list(summary.table["video"]) == [OK_CLIP]
    assert summary.not_done == sorted([SHORT_CLIP, CORRUPT, TEXT])
    assert _no_temp_dirs(out) == []
    assert [p.name for p in (out / "results").iterdir()] == [Path(OK_CLIP).stem]
    assert (out / "results" / Path(OK_CLIP).stem / DONE_FILE).is_file()
    resumed = run_batch(clips, out, FAST)
    assert (resumed.skipped, resumed.processed) == (1, 3)
    assert sorted(resumed.table["video"]) == sorted([OK_CLIP, SHORT_CLIP, CORRUPT, TEXT])


def crashing_task(video: str, out_dir: str, config: dict, progress=None) -> dict:
    """The real task, but the worker process dies on the short clip."""
    if Path(video).name == SHORT_CLIP:
        os._exit(3)
    return process_video(video, out_dir, config, progress=progress)


@pytest.mark.integration
def test_a_dying_worker_fails_only_its_video(clips: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in (OK_CLIP, SHORT_CLIP):
        shutil.copy(clips / name, src / name)
    opts = BatchOptions(jobs=2, pdf=False, png=False, overlay=False, quiet=True)
    summary = run_batch(src, tmp_path / "out", opts, task=crashing_task)
    status = dict(zip(summary.table["video"], summary.table["status"], strict=True))
    assert status == {OK_CLIP: "ok", SHORT_CLIP: "error"}
    assert "worker process died" in dict(summary.failures)[SHORT_CLIP]
    assert summary.exit_code == 2
    assert _no_temp_dirs(tmp_path / "out") == []


def _cli(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gaitcheck", "batch", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ), cwd=REPO)


def _wait_for(cond, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while not cond():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"batch ended (rc {proc.returncode}) before the condition:\n{err}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            pytest.fail("timed out")
        time.sleep(0.05)


@pytest.mark.integration
def test_sigint_then_resume_processes_only_the_rest(clips: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [str(clips), "-o", str(out), "--jobs", "1", *NO_RENDER]
    results = out / "results"

    def temp_dirs() -> list[Path]:
        return _no_temp_dirs(out) if results.is_dir() else []

    def done_dirs() -> list[Path]:
        return sorted(p.parent for p in results.rglob(DONE_FILE)) if results.is_dir() else []

    # 1. Ctrl-C twice while the first video runs: it is stopped, its temporary folder removed
    proc = _cli(args)
    _wait_for(lambda: bool(temp_dirs()), proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert temp_dirs() == []
    assert all((d / "analysis.json").is_file() for d in done_dirs())
    assert (out / "batch.csv").is_file()

    # 2. Ctrl-C once after the first video finished: the running one finishes, no new ones
    proc = _cli(args)
    n0 = len(done_dirs())
    _wait_for(lambda: len(done_dirs()) > n0, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "run the same command again" in err
    assert temp_dirs() == []
    finished = done_dirs()
    assert finished and all((d / "analysis.json").is_file() for d in finished)
    table = pd.read_csv(out / "batch.csv")
    assert set(table["folder"].dropna()) == {f"results/{d.name}" for d in finished}

    # 3. the same command again: only the unfinished videos are processed
    proc = _cli(args)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    m = re.search(r"(\d+) processed, (\d+) skipped", err)
    assert m, err
    processed, skipped = int(m.group(1)), int(m.group(2))
    assert skipped == len(finished) and processed == 4 - len(finished)
    assert len(pd.read_csv(out / "batch.csv")) == 4


@pytest.mark.integration
def test_dask_local_cluster_gives_the_same_table(clips: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = run_batch(clips, tmp_path / "local", FAST)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        opts = BatchOptions(executor="dask", scheduler=cluster.scheduler_address, pdf=False,
                            png=False, overlay=False, quiet=True)
        dask = run_batch(clips, tmp_path / "dask", opts)
    assert dask.exit_code == local.exit_code == 2
    pd.testing.assert_frame_equal(local.table, dask.table)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / "batch.parquet"),
                                  pd.read_parquet(tmp_path / "dask" / "batch.parquet"))
    assert (tmp_path / "dask" / "results" / Path(OK_CLIP).stem / DONE_FILE).is_file()


@pytest.mark.integration
def test_cohort_notebook_runs_on_the_batch_results(full_run, monkeypatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    out = full_run[0]
    monkeypatch.setenv("GAITCHECK_BATCH_DIR", str(out))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(REPO / "notebooks" / "cohort.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs)
    assert "4 video(s) in" in text
    assert re.search(r"[1-9]\d* valid stride\(s\) from 1 analysed video", text)
    assert any("image/png" in o.get("data", {}) for o in outputs), "no cohort plot drawn"
