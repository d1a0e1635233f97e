"""`trainlab export`: the size estimate and its limit, bad values, and what the written file holds.

Exports here are small (width 64, a few frames) so the tests run in seconds; the file's figure
is read back from the HTML the way plotly writes it (newPlot's data and layout, then addFrames).
"""

from __future__ import annotations

import base64
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import pytest

from trainlab.cli import build_parser, main
from trainlab.compute import NetworkSpec, run_pass
from trainlab.compute.optim.runs import OptimizerSpec
from trainlab.compute.optim.surfaces import make_surface
from trainlab.export import InitGrid, RaceExport, init_grid, race, render
from trainlab.export.options import race_from_args
from trainlab.export.size import ESTIMATE_FACTOR, MB, ExportTooLarge, SizeEstimate, megabytes, plotlyjs_bytes
from trainlab.figures.surface_image import round_step, surface_image, surface_pixels
from trainlab.presets import RACE_PRESETS
from trainlab.figures.explorer import shown_layers
from trainlab.figures.race import frame_steps

SMALL_NET = ["--width", "64", "--depth", "3"]
STDS = (0.01, 0.1, 1.0)
INIT_ARGS = ["export", "init", *SMALL_NET, "--activations", "tanh,relu", "--stds", ",".join(map(str, STDS))]
RACE_ARGS = ["export", "optimizers", "--surface", "rosenbrock", "--optimizers", "sgd,adam", "--lr", "0.001,0.05",
             "--steps", "60", "--frames", "12"]


def figure_in_html(text: str, frames: bool = True) -> dict:
    """The figure as plotly.io.to_html wrote it: Plotly.newPlot(id, data, layout, config), then
    (for a figure with `frames`) Plotly.addFrames(id, frames)."""
    decoder = json.JSONDecoder()

    def json_args(call: str, count: int) -> list:
        """The JSON arguments after the first (the div id, in either quotes) of the last `call`."""
        at = re.compile(r"\s*(['\"])[^'\"]*\1").match(text, text.rindex(call) + len(call)).end()
        values = []
        for _ in range(count):
            at = re.compile(r"[\s,]*").match(text, at).end()
            value, at = decoder.raw_decode(text, at)
            values.append(value)
        return values

    # plotly.js itself mentions both calls: the figure's are the last ones.
    data, layout = json_args("Plotly.newPlot(", 2)
    if not frames:
        return {"data": data, "layout": layout}
    (frame_list,) = json_args("Plotly.addFrames(", 1)
    return {"data": data, "layout": layout, "frames": frame_list}


def no_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any pass or optimizer run fail: what is refused must be refused before computing."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("computed before refusing")

    monkeypatch.setattr(init_grid, "run_sweep", refuse)
    monkeypatch.setattr(race.Race, "run", refuse)


def run_failing(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("trainlab: error: "), err
    assert "Traceback" not in err
    return err


# -- the estimate and the limit ----------------------------------------------------------------
def test_init_estimate_grows_with_the_grid_and_the_shown_layers() -> None:
    spec = NetworkSpec(width=64, depth=3)
    one = InitGrid(spec, ("tanh",), STDS).estimate()
    two = InitGrid(spec, ("tanh", "relu"), STDS).estimate()
    deep = InitGrid(spec.replace(depth=20), ("tanh",), STDS).estimate()
    assert one.fixed > plotlyjs_bytes()
    assert two.frames == 2 * one.frames
    # 20 layers show 8 histogram columns instead of 3.
    assert deep.frames == pytest.approx(one.frames * len(shown_layers(20)) / 3, rel=0.05)


def test_race_estimate_grows_with_frames_and_racers() -> None:
    base = RaceExport(steps=300, frames=50)
    assert RaceExport(steps=300, frames=100).estimate().frames > 1.8 * base.estimate().frames
    three = base.replace(racers=(*base.racers, OptimizerSpec("sgd")))
    assert three.estimate().frames > 1.4 * base.estimate().frames
    # Fewer steps than frames: one frame per step, no more.
    assert len(frame_steps(5, 50)) == 6


def test_a_size_estimate_over_its_limit_says_so() -> None:
    estimate = SizeEstimate(fixed=5 * 10**6, frames=21 * 10**6)
    assert estimate.check(30, "many frames", "fewer") is estimate
    with pytest.raises(ExportTooLarge) as error:
        estimate.check(25, "1200 frames", "use fewer frames")
    assert str(error.value) == ("the export would be about 26.0 MB (1200 frames), over the 25 MB limit: "
                                "use fewer frames, or raise --max-mb")
    with pytest.raises(ExportTooLarge, match="alone take 5.0 MB, so no grid fits, or raise --max-mb"):
        estimate.check(4, "1200 frames", "use fewer frames")


def test_a_too_large_init_grid_is_refused_before_computing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    no_compute(monkeypatch)
    out = tmp_path / "big.html"
    err = run_failing(["export", "init", "--activations", "tanh,relu,gelu,silu", "--points", "300",
                       "--out", str(out)], capsys)
    estimate = float(re.search(r"about ([\d.]+) MB", err).group(1))
    assert estimate > 25
    assert "1200 frames" in err and "25 MB limit" in err and "--points" in err and "--max-mb" in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_max_mb_sets_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    no_compute(monkeypatch)
    err = run_failing([*INIT_ARGS, "--max-mb", "2", "--out", str(tmp_path / "x.html")], capsys)
    assert "2 MB limit" in err and "6 frames" in err
    err = run_failing([*RACE_ARGS, "--frames", "2000", "--steps", "5000", "--optimizers",
                       "sgd,momentum,nesterov,adam,rmsprop,adamw", "--lr", "0.001", "--out", str(tmp_path / "x.html")],
                      capsys)
    assert "25 MB limit" in err and "2000 frames of 6 optimizers" in err and "--frames" in err
    assert not list(tmp_path.iterdir())


# -- bad values (the corpus of every option's bad values is in tests/test_cli.py) -------------
@pytest.mark.parametrize("out", ["missing-folder/x.html", "x.txt", "."], ids=["no-folder", "not-html", "a-folder"])
def test_an_unwritable_out_is_refused_before_computing(out: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    no_compute(monkeypatch)
    target = tmp_path / out if out != "." else tmp_path
    err = run_failing([*INIT_ARGS, "--out", str(target)], capsys)
    assert err.startswith("trainlab: error: --out: "), err


def test_a_missing_out_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = run_failing(["export", "optimizers"], capsys)
    assert "--out" in err


# -- the written file --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def init_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("export") / "init.html"
    assert main([*INIT_ARGS, "--out", str(out)]) == 0
    return out, figure_in_html(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def race_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("export") / "race.html"
    assert main([*RACE_ARGS, "--out", str(out)]) == 0
    return out, figure_in_html(out.read_text(encoding="utf-8"))


def assert_self_contained(text: str) -> None:
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I), "a script is loaded from elsewhere"
    assert not re.search(r"<link\b", text, re.I) and "@import" not in text
    assert "plotly.js v" in text[:200_000]  # plotly.min.js itself, inlined
    assert len(text) > plotlyjs_bytes()


def test_the_init_file_is_self_contained(init_file: tuple[Path, dict]) -> None:
    assert_self_contained(init_file[0].read_text(encoding="utf-8"))


def test_the_race_file_is_self_contained(race_file: tuple[Path, dict]) -> None:
    assert_self_contained(race_file[0].read_text(encoding="utf-8"))


def test_the_init_file_has_a_frame_for_every_grid_point(init_file: tuple[Path, dict]) -> None:
    figure = init_file[1]
    expected = [f"{act} · std {std:g}" for act in ("tanh", "relu") for std in STDS]
    assert [f["name"] for f in figure["frames"]] == expected
    assert [f["group"] for f in figure["frames"]] == ["tanh"] * 3 + ["relu"] * 3
    for frame in figure["frames"]:
        assert len(frame["data"]) == 2 * 3  # activations and gradients of the 3 layers
        assert all(len(trace["y"]) == 60 for trace in frame["data"])
    # Every frame draws different histograms (bins or counts).
    assert len({json.dumps(f["data"]) for f in figure["frames"]}) == 6
    # One slider and one play menu per activation (only tanh's shown), then the activation buttons.
    layout = figure["layout"]
    assert [s["visible"] for s in layout["sliders"]] == [True, False]
    assert [[step["args"][0][0] for step in s["steps"]] for s in layout["sliders"]] == [expected[:3], expected[3:]]
    assert [b["label"] for b in layout["updatemenus"][-1]["buttons"]] == ["tanh", "relu"]
    assert layout["updatemenus"][1]["buttons"][0]["args"][0] == "relu"  # relu's play plays relu's frames


def _numbers_after(word: str, text: str) -> list[float]:
    return [float(v) for v in re.findall(word + r" (-?[\d.]+(?:e[-+]?\d+)?)", text)]


def test_the_init_titles_say_the_measured_std(init_file: tuple[Path, dict]) -> None:
    """Each frame's panel titles and figure title give the std that a separate pass measures."""
    frame = next(f for f in init_file[1]["frames"] if f["name"] == "relu · std 0.1")
    result = run_pass(NetworkSpec(width=64, depth=3, activation="relu", std=0.1))
    titles = [a["text"] for a in frame["layout"]["annotations"]]
    shown = [v for text in titles for v in _numbers_after("<br>std", text)]
    assert shown == pytest.approx([layer.std for layer in result.layers], rel=0.01)
    shown_grads = [v for text in titles for v in _numbers_after("dL/dh std", text)]
    assert shown_grads == pytest.approx([layer.grad_std for layer in result.layers], rel=0.01)
    title = frame["layout"]["title"]["text"]
    assert "relu · normal std 0.1" in title
    assert _numbers_after("last layer std", title) == pytest.approx([result.layers[-1].std], rel=0.01)


def test_the_init_file_says_when_layers_have_their_own_x_ranges(init_file: tuple[Path, dict]) -> None:
    """relu at std 1 explodes: each layer gets its own x range, and the page says so, to the right
    of the activation buttons (which sit over the panels on the left)."""
    frames = {f["name"]: f for f in init_file[1]["frames"]}
    (note,) = [a for a in frames["relu · std 1"]["layout"]["annotations"] if a.get("name") == "ranges-note"]
    assert note["text"].startswith("x axes: each layer its own range") and note["xanchor"] == "right"
    ranges = {tuple(frames["relu · std 1"]["layout"][f"xaxis{i if i > 1 else ''}"]["range"]) for i in (1, 2, 3)}
    assert len(ranges) == 3
    (calm,) = [a for a in frames["tanh · std 0.1"]["layout"]["annotations"] if a.get("name") == "ranges-note"]
    assert calm["text"] == ""


def test_the_race_file_animates_every_frame_step(race_file: tuple[Path, dict]) -> None:
    figure = race_file[1]
    steps = frame_steps(60, 12)
    assert [f["name"] for f in figure["frames"]] == [str(s) for s in steps]
    # The surface is a picture under the map (a contour trace vanished when play was pressed).
    (image,) = figure["layout"]["images"]
    assert image["source"].startswith("data:image/png;base64,") and image["layer"] == "below"
    assert (image["x"], image["sizex"], image["y"], image["sizey"]) == (-2.0, 4.0, 3.0, 4.0)  # rosenbrock's view
    labels = [t["name"] for t in figure["data"] if t.get("mode") == "lines" and t.get("xaxis") == "x"]
    assert labels == ["SGD", "Adam"]
    slider = figure["layout"]["sliders"][0]
    assert slider["active"] == len(steps) - 1  # it opens on the finished race
    # The path grows frame by frame.
    lengths = [len(f["data"][0]["x"]) for f in figure["frames"]]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]


def test_the_surface_picture_is_a_png_of_the_banded_loss() -> None:
    surface = make_surface("quadratic", condition=25.0, angle=0.0)
    pixels = surface_pixels(surface, 101)
    assert pixels.shape == (101, 101, 3)
    # Light at the minimum in the middle, the darker blue far up the steep axis (top row).
    assert pixels[50, 50].sum() > pixels[0, 50].sum() + 150
    # Symmetric in y, and the top image row is the largest y.
    assert (pixels[10] == pixels[-11]).all()
    png = base64.b64decode(surface_image(surface, 64)["source"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (64, 64)
    assert [round_step(x) for x in (0.22, 0.1, 0.15, 3.1)] == [0.5, 0.1, 0.2, 5.0]


def test_the_exported_figures_pass_plotly_validation(init_file: tuple[Path, dict],
                                                     race_file: tuple[Path, dict]) -> None:
    for _, figure in (init_file, race_file):
        go.Figure(figure)  # raises on any attribute plotly.js does not know


# -- the estimate against real files -----------------------------------------------------------
INIT_CASES = {
    "1x3": InitGrid(NetworkSpec(width=64, depth=3), ("tanh",), STDS),
    "2x8-depth6": InitGrid(NetworkSpec(width=64, depth=6), ("tanh", "relu"), init_grid.log_spaced(1e-3, 0.3, 8)),
    "3x6-depth12-bn": InitGrid(NetworkSpec(width=64, depth=12, norm="batch"), ("tanh", "gelu", "sigmoid"),
                               init_grid.log_spaced(1e-3, 1, 6)),
    "gain": InitGrid(NetworkSpec(width=64, depth=4, init="kaiming_normal"), ("relu", "selu"),
                     init_grid.log_spaced(0.25, 4, 5)),
}
RACE_CASES = {
    "default": RaceExport(),
    "short": RaceExport(steps=40, frames=10),
    "zig-zag": RaceExport.from_preset("zig-zag: SGD vs momentum"),
    "many": RaceExport(surface="beale", steps=800, frames=150,
                       racers=tuple(OptimizerSpec(n) for n in ("sgd", "momentum", "adagrad", "rmsprop", "adam"))),
}


def _assert_estimate_close(estimate: SizeEstimate, real: int) -> None:
    assert 1 / ESTIMATE_FACTOR <= real / estimate.total <= ESTIMATE_FACTOR
    # The part that depends on the grid, on its own (plotly.js alone would make any total close).
    variable, guessed = real - plotlyjs_bytes(), estimate.total - plotlyjs_bytes()
    assert 1 / ESTIMATE_FACTOR <= variable / guessed <= ESTIMATE_FACTOR, (variable, guessed)


@pytest.mark.parametrize("case", INIT_CASES, ids=list(INIT_CASES))
def test_the_init_estimate_is_close_to_the_real_size(case: str) -> None:
    grid = INIT_CASES[case]
    _assert_estimate_close(grid.estimate(), len(render(init_grid.build(grid, "cpu")).encode("utf-8")))


@pytest.mark.parametrize("case", RACE_CASES, ids=list(RACE_CASES))
def test_the_race_estimate_is_close_to_the_real_size(case: str) -> None:
    job = RACE_CASES[case]
    _assert_estimate_close(job.estimate(), len(render(race.build(job)).encode("utf-8")))


def test_the_race_estimate_bounds_a_race_longer_than_every_step_drawn() -> None:
    """Beyond path_thinning's KEEP_EVERY_STEP a converged tail costs few points: the estimate,
    which counts every step, is then an upper bound (the limit is never passed unannounced)."""
    job = RaceExport(steps=3000, frames=50)
    real = len(render(race.build(job)).encode("utf-8"))
    assert real <= job.estimate().total


# -- options -----------------------------------------------------------------------------------
def _race_from(argv: list[str]) -> RaceExport:
    argv = ["export", "optimizers", *argv, "--out", "x.html"]
    return race_from_args(build_parser(argv).parse_args(argv))


def test_race_options_build_on_a_preset() -> None:
    name = "AdaGrad stalls vs RMSProp"
    kept = _race_from(["--preset", name, "--frames", "80"])
    assert kept.preset == name and kept.frames == 80 and kept.condition == 10.0 and kept.angle == 30.0
    assert [r.name for r in kept.racers] == [r.name for r in RACE_PRESETS[name].race.racers]
    changed = _race_from(["--preset", name, "--lr", "0.02"])
    assert changed.preset is None  # its lesson no longer describes the race
    assert [r.lr for r in changed.racers] == [0.02, 0.02]
    moved = _race_from(["--preset", name, "--surface", "rosenbrock"])
    assert moved.condition is None and moved.make_surface().name == "rosenbrock"


def test_a_hyperparameter_goes_to_every_racer_that_takes_it() -> None:
    racers = _race_from(["--optimizers", "sgd,momentum,adam", "--momentum", "0.5", "--eps", "1e-4",
                         "--weight-decay", "0.1", "--beta2", "0.9"]).racers
    assert [r.momentum for r in racers] == [None, 0.5, None]
    assert [r.eps for r in racers] == [None, None, 1e-4]
    assert [r.beta2 for r in racers] == [None, None, 0.9]
    assert [r.weight_decay for r in racers] == [0.1] * 3  # every optimizer takes weight decay
    # and they run with them: Race.run hands each racer's spec to run_optimizer
    assert [r.value("momentum") for r in racers if r.name == "momentum"] == [0.5]


def test_the_schedule_goes_to_every_racer() -> None:
    default = _race_from([])
    assert {r.schedule for r in default.racers} == {"none"}
    scheduled = _race_from(["--schedule", "cosine"])
    assert [r.schedule for r in scheduled.racers] == ["cosine"] * len(default.racers)
    assert scheduled.run()[0].lrs != default.run()[0].lrs


def test_a_new_seed_with_noise_reaches_the_race() -> None:
    assert _race_from(["--noise", "1", "--seed", "9"]).seed == 9


def test_export_loads_nothing_from_the_widgets(tmp_path: Path) -> None:
    """`import trainlab.export` and the export command load no trainlab.ui module, no ipywidgets and
    no anywidget (plotly is what they are made of)."""
    script = ("import json, sys\n"
              "import trainlab.export\n"
              "from trainlab.cli import main\n"
              f"main(['export', 'optimizers', '--steps', '3', '--frames', '2', '--out', {str(tmp_path / 'r.html')!r}])\n"
              "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stderr.splitlines()[-1])
    assert "trainlab.export.race" in modules and "plotly" in modules, "the export ran"
    assert [m for m in modules if m.startswith("trainlab.ui") or m.split(".")[0] in ("ipywidgets", "anywidget")] == []

def test_init_range_options_are_log_spaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grids = []
    monkeypatch.setattr(init_grid, "build", lambda grid, device: grids.append(grid) or None)
    monkeypatch.setattr("trainlab.export.write_page", lambda page, path: 0)
    main(["export", "init", *SMALL_NET, "--init", "xavier_normal", "--gain-range", "0.5", "2", "--points", "3",
          "--out", str(tmp_path / "x.html")])
    assert grids[0].values == pytest.approx((0.5, 1.0, 2.0))
    assert grids[0].knob == "gain"


def test_the_command_prints_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "race.html"
    done = subprocess.run([sys.executable, "-m", "trainlab", "export", "optimizers", "--preset",
                           "zig-zag: SGD vs momentum", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"wrote {out} ({megabytes(out.stat().st_size)})"
    assert out.stat().st_size > plotlyjs_bytes() and out.stat().st_size < 25 * MB
