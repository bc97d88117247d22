"""The ``gaitcheck`` command line.

Every sub-command returns an exit code: 0 on success, 2 for a problem with the input
or set-up (printed as one line that says what to do), 130 when interrupted, 1 for an
unexpected internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import GaitcheckError

__all__ = ["main", "build_parser"]

_EPILOG = """\
examples:
  gaitcheck models install                 download the lite, full and heavy pose models
  gaitcheck models install --from DIR      copy them from a folder instead (no internet)
  gaitcheck pose run.mp4 -o out/           landmarks of every frame (.npz and a CSV table)
  gaitcheck analyze run.mp4 -o out/        the whole analysis of one clip: tables, findings,
                                           drill plan, report.pdf + PNG pages, overlay.mp4
  gaitcheck report out/                    re-render the report and overlay, no pose estimation
  gaitcheck drills --marker overstride_ic_pct_leg   drills for one marker
  gaitcheck synth -o runner.mp4 --fault overstride  a rendered runner with exact ground truth

Film the runner side-on (camera at hip height, the whole body in view, 60 fps or more if
the phone can) for sagittal markers, or from behind for frontal ones. gaitcheck reports
what the video shows; it does not diagnose.
"""


def _add_pose_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model", default="full", metavar="lite|full|heavy|PATH",
        help="pose model: full (default; the contact rules were validated with it), lite "
             "(fastest; more missed and extra contacts) or heavy (slowest; on the "
             "hand-labelled clip its toe-offs came a median 22 ms late), or a .task file",
    )
    p.add_argument("--no-cache", action="store_true",
                   help="run pose estimation even if landmarks of this clip are cached")
    p.add_argument("--num-poses", type=int, choices=(1, 2), default=None,
                   help="people tracked per frame; default: 1, or 2 when a scan of the clip "
                        "finds a second person (the runner is then picked and followed)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``gaitcheck`` command."""
    parser = argparse.ArgumentParser(
        prog="gaitcheck",
        description="Running-form analysis from a video: pose, gait events, the form faults "
                    "that overload the foot, and drills that address them.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gaitcheck {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show full tracebacks instead of one-line errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # models -------------------------------------------------------------------------
    pm = sub.add_parser(
        "models", help="list, verify or install the MediaPipe pose model bundles",
        description="Manage the pose landmarker bundles (.task). Lookup order: --model PATH, "
                    "$GAITCHECK_MODEL_DIR, ./models, the user cache folder.",
    )
    msub = pm.add_subparsers(dest="models_command", metavar="ACTION")
    msub.add_parser("list", help="show which bundles are found and where")
    pv = msub.add_parser("verify", help="check bundles: zip layout and that MediaPipe loads them")
    pv.add_argument("targets", nargs="*", metavar="NAME|PATH",
                    help="model names or .task files (default: every installed bundle)")
    pi = msub.add_parser("install", help="download (or copy) bundles, verified, written atomically")
    pi.add_argument("names", nargs="*", metavar="NAME", help="lite, full, heavy (default: all)")
    pi.add_argument("--from", dest="source_dir", metavar="DIR",
                    help="copy pose_landmarker_<name>.task from DIR instead of downloading")
    pi.add_argument("--dest", metavar="DIR",
                    help="install folder (default: $GAITCHECK_MODEL_DIR, else ./models if it "
                         "exists, else the user cache folder)")
    pi.add_argument("--force", action="store_true", help="replace bundles already installed")
    pi.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    # pose ---------------------------------------------------------------------------
    pp = sub.add_parser(
        "pose", help="pose landmarks of every frame of a video",
        description="Run MediaPipe Pose Landmarker on every frame and write landmarks.npz "
                    "(float32 array frames x 33 landmarks x [x, y, z, visibility], with fps and "
                    "timestamps) and landmarks.csv (tidy: frame, time_s, landmark, x, y, z, "
                    "visibility; x and y normalised to the image width and height, y down). "
                    "A frame with no person is a row of NaN. Results are cached by the video's "
                    "content, the model and the settings.",
    )
    pp.add_argument("video", type=Path, help="video file (MP4, MOV, WebM...)")
    pp.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                    help="output folder (created)")
    _add_pose_options(pp)

    # analyze ------------------------------------------------------------------------
    pa = sub.add_parser(
        "analyze", aliases=["analyse"], help="analyse a running video",
        description="Analyse one running clip: pose landmarks, kinematics (kinematics.csv: "
                    "angles in degrees and positions in leg lengths per frame), gait events "
                    "(events.csv: initial contact, midstance, toe-off per foot) and strides "
                    "(strides.csv), with PNGs of the raw landmark traces and of the foot "
                    "heights with the detected events, and analysis.json (summary, checks, "
                    "versions). A clip that cannot be analysed as running (no runner, too few "
                    "strides, slow motion, feet not tracked) is refused with the reason.",
    )
    pa.add_argument("video", type=Path, help="video file")
    pa.add_argument("-o", "--output", type=Path, metavar="OUT",
                    help="output folder (default: gaitcheck-results/<video name>)")
    pa.add_argument("--height-cm", type=float, metavar="H",
                    help="runner's height in cm, to report lengths in metres as well as %%leg")
    pa.add_argument("--capture-fps", type=float, metavar="FPS",
                    help="the rate a slow-motion clip was filmed at (e.g. 240) when the file "
                         "plays slower; all times are rescaled")
    pa.add_argument("--cutoff-hz", type=float, default=10.0, metavar="HZ",
                    help="low-pass cut-off of the landmark filter (default 10 Hz)")
    _add_render_options(pa)
    pa.add_argument("--bands", type=Path, metavar="FILE",
                    help="TOML file overriding the built-in marker bands, field by field "
                         "(see gaitcheck/bands.toml for the format and the citations)")
    _add_pose_options(pa)
    # report -------------------------------------------------------------------------
    pr = sub.add_parser(
        "report", help="re-render the report and overlay of a results folder",
        description="Re-render report.pdf, report-N.png and overlay.mp4 from a folder written "
                    "by `gaitcheck analyze`, without running pose estimation again.",
    )
    pr.add_argument("folder", type=Path, metavar="OUT", help="results folder of gaitcheck analyze")
    _add_render_options(pr)
    pr.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")

    # drills -------------------------------------------------------------------------
    pd_ = sub.add_parser(
        "drills", help="list the drill catalog",
        description="The corrective drills gaitcheck can recommend, from the source articles, "
                    "with dose, cues and the markers each one targets (* = the article "
                    "prescribes it for that fault directly).",
    )
    pd_.add_argument("--marker", metavar="NAME",
                     help="only drills for this marker, e.g. overstride_ic_pct_leg")
    pd_.add_argument("--by", choices=("source", "target"), default="source",
                     help="group by source article (default) or by target marker")

    # batch --------------------------------------------------------------------------
    pb = sub.add_parser(
        "batch", help="analyse every video in a folder, in parallel, resumably",
        description="Analyse every video under INPUT_DIR (searched recursively) as `gaitcheck "
                    "analyze` does, one results folder per video under OUT_DIR/results, plus "
                    "a batch table (batch.csv, batch.parquet: status, error, strides, key "
                    "markers per side, findings), a cohort page (cohort.png, cohort.pdf) and "
                    "batch.log. Videos already done with the same content and options are "
                    "skipped, so running the same command again finishes an interrupted "
                    "batch. Exit code 2 when any video failed, 130 when interrupted.",
    )
    pb.add_argument("input_dir", type=Path, metavar="INPUT_DIR", help="folder of videos")
    pb.add_argument("-o", "--output", type=Path, required=True, metavar="OUT_DIR",
                    help="output folder (created)")
    pb.add_argument("--jobs", "-j", type=int, metavar="N",
                    help="videos analysed at once (default: the number of CPU cores)")
    pb.add_argument("--manifest", type=Path, metavar="CSV",
                    help="runners manifest: video,runner_id,runner_name,height_cm,view,"
                         "belt_speed_kmh,notes (video: path relative to INPUT_DIR or file "
                         "name)")
    pb.add_argument("--glob", dest="pattern", metavar="PATTERN",
                    help="files to take, matched in every subfolder, e.g. '*.MOV' (default: "
                         "common video suffixes)")
    pb.add_argument("--executor", choices=("local", "dask"), default="local",
                    help="local process pool (default) or a Dask distributed cluster")
    pb.add_argument("--scheduler", metavar="ADDRESS",
                    help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor "
                         "dask; without it a local Dask cluster of --jobs workers is started)")
    pb.add_argument("--capture-fps", type=float, metavar="FPS",
                    help="the rate slow-motion clips were filmed at (all clips)")
    pb.add_argument("--cutoff-hz", type=float, default=10.0, metavar="HZ",
                    help="low-pass cut-off of the landmark filter (default 10 Hz)")
    pb.add_argument("--bands", type=Path, metavar="FILE",
                    help="TOML file overriding the built-in marker bands")
    pb.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=True,
                    help="write report.pdf for each analysable clip (default: yes)")
    pb.add_argument("--png", action=argparse.BooleanOptionalAction, default=True,
                    help="write the report pages as PNGs (default: yes)")
    pb.add_argument("--overlay", action=argparse.BooleanOptionalAction, default=True,
                    help="write overlay.mp4 for each analysable clip (default: yes)")
    pb.add_argument("--slowmo", action="store_true",
                    help="append one representative stride slowed down to each overlay")
    _add_pose_options(pb)

    # synth --------------------------------------------------------------------------
    ps = sub.add_parser(
        "synth", help="render a synthetic runner clip with exact ground truth",
        description="Render a 3D runner on a treadmill from a parametric running model "
                    "(joint motion shaped on published running kinematics, contact and "
                    "toe-off at known times) as an H.264 MP4, and write beside it a JSON "
                    "with the ground truth: per-frame pixel positions of the 33 MediaPipe "
                    "landmarks, each foot's initial contacts and toe-offs (exact time and "
                    "nearest frame), and the exact value of every marker. A fault changes "
                    "the model so that its marker lands well past its flag band. Use it to "
                    "try gaitcheck with no video of your own, or to test the pipeline "
                    "against a known truth.",
        epilog="faults: overstride, low-hip-extension, pelvis-behind, deflating (seen from "
               "the side); crossover, pelvic-drop (seen from behind: use --view rear).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ps.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.mp4",
                    help="video to write; the truth goes to OUT.json")
    ps.add_argument("--view", choices=("side", "rear"), default="side",
                    help="camera on the runner's right side (default) or behind")
    ps.add_argument("--fps", type=float, default=60.0, help="frame rate (default 60)")
    ps.add_argument("--cadence", type=float, default=170.0, metavar="SPM",
                    help="steps per minute (default 170)")
    ps.add_argument("--seconds", type=float, default=8.0, help="clip length (default 8)")
    ps.add_argument("--fault", default="none",
                    choices=("none", "overstride", "low-hip-extension", "pelvis-behind",
                             "crossover", "pelvic-drop", "deflating"),
                    help="form fault to build into the runner (default: none)")
    ps.add_argument("--seed", type=int, default=0,
                    help="seeds the gait phase at the first frame and the sensor noise")
    ps.add_argument("--size", default="1280x720", metavar="WxH",
                    help="frame size (default 1280x720; e.g. 720x1280 for portrait)")
    ps.add_argument("--crf", type=int, default=20,
                    help="H.264 quality: lower is better and larger (default 20)")
    ps.add_argument("--preset", default="ultrafast",
                    choices=("ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
                             "slow"),
                    help="H.264 speed/size trade-off (default ultrafast; veryfast makes files "
                         "about half the size at a lower speed)")
    ps.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")
    return parser


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth_render import SynthSpec, render_clip

    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise GaitcheckError(f"--size {args.size!r}: give width x height, e.g. 1280x720") from None
    if args.output.suffix.lower() != ".mp4":
        raise GaitcheckError(f"{args.output}: the output must be an .mp4 file")
    if not args.output.parent.is_dir():
        raise GaitcheckError(f"{args.output.parent}: folder does not exist; create it first")
    try:
        spec = SynthSpec(view=args.view, fps=args.fps, cadence_spm=args.cadence,
                         seconds=args.seconds, fault=args.fault, seed=args.seed, width=w,
                         height=h, crf=args.crf, preset=args.preset)
    except ValueError as err:
        raise GaitcheckError(str(err)) from None
    from .synth import FAULT_VIEW

    seen_from = FAULT_VIEW.get(spec.fault, spec.view)
    if seen_from != spec.view:
        _say(args, f"note: the {spec.fault} fault is seen from the {seen_from} view; this "
                   f"{spec.view} view will not show it")
    n = int(round(spec.seconds * spec.fps))
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="frame", desc="rendering", file=sys.stderr, leave=False)
    try:
        video, truth = render_clip(spec, args.output,
                                   progress=(bar.update if bar is not None else None))
    except ValueError as err:  # a parameter set the model cannot run with
        raise GaitcheckError(str(err)) from None
    finally:
        if bar is not None:
            bar.close()
    _say(args, f"wrote {video} ({n} frames at {spec.fps:g} fps) and {truth}")
    return 0


def _cmd_drills(args: argparse.Namespace) -> int:
    from .drills import format_catalog

    print(format_catalog(marker=args.marker, group_by=args.by))
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import BatchOptions, run_batch

    opts = BatchOptions(
        jobs=args.jobs, executor=args.executor, scheduler=args.scheduler, pattern=args.pattern,
        manifest=args.manifest, model=args.model, num_poses=args.num_poses,
        use_cache=not args.no_cache, cutoff_hz=args.cutoff_hz, capture_fps=args.capture_fps,
        bands=args.bands, pdf=args.pdf, png=args.png, overlay=args.overlay, slowmo=args.slowmo,
        quiet=args.quiet,
    )
    summary = run_batch(args.input_dir, args.output, opts)
    lines = summary.lines()
    if args.quiet:  # only what needs attention
        lines = [x for x in lines if x.startswith(("  failed:", "interrupted:"))]
    for line in lines:
        print(line, file=sys.stderr)
    return summary.exit_code


def _add_render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runner", metavar="NAME", help="runner's name or id for the report header")
    p.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=True,
                   help="write report.pdf (default: yes)")
    p.add_argument("--png", action=argparse.BooleanOptionalAction, default=True,
                   help="write one PNG per report page, report-1.png... (default: yes)")
    p.add_argument("--overlay", action=argparse.BooleanOptionalAction, default=True,
                   help="write overlay.mp4: the clip with skeleton, events and markers drawn "
                        "(H.264, plays in a browser; default: yes)")
    p.add_argument("--slowmo", action="store_true",
                   help="append one representative stride slowed down to the overlay")


def _render(result, out: Path, args: argparse.Namespace) -> list[Path]:  # noqa: ANN001
    """Write the report pages and the overlay video requested by the options."""
    written: list[Path] = []
    if args.pdf or args.png:
        from .report import render_report

        written += render_report(result, out, runner=args.runner, pdf=args.pdf, png=args.png)
    if args.overlay:
        video = result.provenance.get("video")
        if not video or not Path(video).is_file():
            _say(args, f"overlay skipped: the clip {video} is not there any more")
        else:
            from .overlay import render_overlay

            with _frame_bar(args, "overlay") as tick:
                written.append(render_overlay(result, out / "overlay.mp4", slowmo=args.slowmo,
                                              progress=tick))
    return written


@contextmanager
def _frame_bar(args: argparse.Namespace, desc: str):  # noqa: ANN202
    """Yield a ``progress(done, total)`` callback drawing a bar on a terminal, else None."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(unit="frame", desc=desc, file=sys.stderr, leave=False)

    def tick(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield tick
    finally:
        bar.close()


def _cmd_report(args: argparse.Namespace) -> int:
    from .pipeline import load_result

    result = load_result(args.folder)
    if not result.analysable and result.markers is None:
        raise GaitcheckError(f"{args.folder}: the saved clip is not analysable: {result.reason}")
    written = _render(result, args.folder, args)
    _say(args, f"wrote {', '.join(p.name for p in written) or 'nothing'} in {args.folder}/")
    return 0


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def _cmd_models(args: argparse.Namespace) -> int:
    from . import models

    action = args.models_command
    if action in (None, "list"):
        print("search order: --model PATH, then " + ", ".join(str(d) for d in models.search_dirs()))
        for name in models.MODEL_NAMES:
            try:
                info = models.resolve_model(name)
            except GaitcheckError:
                print(f"  {name:<6} missing   (install: gaitcheck models install {name})")
            else:
                size = info.path.stat().st_size / 1e6
                default = "  [default]" if name == models.DEFAULT_MODEL else ""
                print(f"  {name:<6} {size:5.1f} MB  {info.path}{default}")
        return 0
    if action == "verify":
        targets = args.targets
        if not targets:
            targets = []
            for name in models.MODEL_NAMES:
                try:
                    targets.append(str(models.resolve_model(name).path))
                except GaitcheckError:
                    pass
            if not targets:
                raise GaitcheckError("no model bundle installed",
                                     hint="run: gaitcheck models install")
        failed = 0
        for target in targets:
            try:
                path = target if Path(target).suffix == ".task" or Path(target).exists() \
                    else models.resolve_model(target).path
                models.verify_bundle(path)
            except GaitcheckError as err:
                print(f"gaitcheck: error: {err}", file=sys.stderr)
                failed += 1
            else:
                print(f"ok  {path}")
        return 2 if failed else 0
    if action == "install":
        names = args.names or list(models.MODEL_NAMES)
        models.install_models(
            names, dest=args.dest, source_dir=args.source_dir, force=args.force,
            progress=not args.quiet and sys.stderr.isatty(),
            log=(lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr)),
        )
        return 0
    raise AssertionError(action)


def _pose_settings(args: argparse.Namespace):  # noqa: ANN202
    from .pose import PoseSettings

    return PoseSettings(num_poses=args.num_poses)


def _run_pose(args: argparse.Namespace):  # noqa: ANN202
    from .pipeline import estimate_landmarks

    run = estimate_landmarks(
        args.video, model=args.model, settings=_pose_settings(args),
        use_cache=not args.no_cache, progress=False if args.quiet else None,
    )
    lm = run.landmarks
    src = "cache" if run.from_cache else f"{lm.model} model"
    _say(args, f"{lm.source}: {lm.n_frames} frames at {lm.fps:.3f} fps, pose in "
               f"{100 * lm.detected_share:.1f} % of frames ({src})")
    return run


def _cmd_pose(args: argparse.Namespace) -> int:
    run = _run_pose(args)
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    run.landmarks.save(out / "landmarks.npz")
    run.landmarks.write_csv(out / "landmarks.csv")
    _say(args, f"wrote {out / 'landmarks.npz'} and {out / 'landmarks.csv'}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from .pipeline import AnalysisConfig, NotAnalysableError, analyze_landmarks

    if args.height_cm is not None and not 80 <= args.height_cm <= 250:
        raise GaitcheckError(f"--height-cm {args.height_cm:g} is not a plausible height",
                             hint="give the runner's height in centimetres, e.g. 178")
    if args.capture_fps is not None and not args.capture_fps > 0:
        raise GaitcheckError(f"--capture-fps {args.capture_fps:g} must be positive")
    run = _run_pose(args)
    if args.bands is not None:
        from .findings import load_bands

        load_bands(args.bands)  # fail early, before pose estimation, on a bad file
    cfg = AnalysisConfig(height_cm=args.height_cm, capture_fps=args.capture_fps,
                         cutoff_hz=args.cutoff_hz,
                         bands_path=str(args.bands) if args.bands else None)
    result = analyze_landmarks(run.landmarks, config=cfg, pose=run)
    if not result.analysable:
        raise NotAnalysableError(f"{args.video}: not analysable as running: {result.reason}")
    out: Path = args.output or Path("gaitcheck-results") / Path(args.video).stem
    out.mkdir(parents=True, exist_ok=True)
    written = write_analysis(result, out)
    written += _render(result, out, args)
    _say(args, _headline(result))
    _say(args, f"results in {out}/ ({', '.join(p.name for p in written)})")
    return 0


def _headline(result) -> str:  # noqa: ANN001
    s = result.summary()
    side = s["valid_strides_per_side"]
    text = (f"{s['source']}: {s['view']} view, cadence {s['cadence_spm']:.1f} steps/min, "
            f"{s['valid_strides']} valid strides (left {side['l']}, right {side['r']})")
    flags = [f for f in result.findings if f.level == "flag"]
    watch = [f for f in result.findings if f.level == "watch"]
    text += f"; {len(flags)} flag(s), {len(watch)} to watch"
    if any(n < 6 for n in side.values()):
        text += "; fewer than 6 valid strides on a side: estimates are weak"
    return text


def write_analysis(result, out: Path) -> list[Path]:  # noqa: ANN001
    """Write the tables, figures and JSON summary of an analysis into ``out``.

    Parameters
    ----------
    result : gaitcheck.pipeline.AnalysisResult
        The analysis.
    out : Path
        Existing output folder.

    Returns
    -------
    list of Path
        The files written (each atomically).
    """
    from .io_utils import atomic_path
    from .report import plot_events, plot_landmark_traces

    files = []
    files.append(result.landmarks.save(out / "landmarks.npz"))
    tables = {
        "kinematics.csv": result.kinematics.angles,
        "events.csv": result.events.events,
        "strides.csv": result.events.strides,
    }
    if result.markers is not None:
        tables["markers.csv"] = result.markers
        tables["summary.csv"] = result.marker_summary
    for name, df in tables.items():
        with atomic_path(out / name) as tmp:
            df.to_csv(tmp, index=name != "events.csv", float_format="%.6g")
        files.append(out / name)
    files.append(plot_landmark_traces(result.landmarks, out / "landmark_traces.png"))
    files.append(plot_events(result, out / "events.png"))
    doc = {"summary": result.summary(), "events_info": result.events.info,
           "kinematics_info": result.kinematics.info}
    docs = {"analysis.json": doc, "provenance.json": result.provenance}
    if result.markers is not None:
        from .drills import recommendations_to_json
        from .findings import findings_to_json

        docs["findings.json"] = {
            "disclaimer": "gaitcheck reports what the video shows and what it is consistent "
                          "with. It is a screening aid, not a diagnosis.",
            "findings": findings_to_json(result.findings),
        }
        docs["recommendations.json"] = {
            "plan": recommendations_to_json(result.recommendations),
        }
    for name, content in docs.items():
        with atomic_path(out / name) as tmp:
            tmp.write_text(json.dumps(content, indent=2, default=_json_default))
        files.append(out / name)
    return files


def _json_default(o: object) -> object:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gaitcheck`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {"models": _cmd_models, "pose": _cmd_pose, "analyze": _cmd_analyze,
                "analyse": _cmd_analyze, "drills": _cmd_drills, "report": _cmd_report,
                "batch": _cmd_batch, "synth": _cmd_synth}
    try:
        return handlers[args.command](args)
    except GaitcheckError as err:
        if args.debug:
            raise
        print(f"gaitcheck: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("gaitcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # an internal bug: say so in one line, keep the trace for --debug
        if args.debug:
            raise
        print(f"gaitcheck: internal error: {type(exc).__name__}: {exc} "
              "(run again with --debug for the traceback, and please report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
