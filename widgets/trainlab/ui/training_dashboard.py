"""TrainingDashboard: train the deep net live on real data and watch it learn.

Train starts (or resumes) a run in chunks of a few steps, between which the kernel answers the
page (see chunk_runner.py); the trainer hands over a record every chunk and the dashboard
redraws at most UI_HZ times a second: loss, accuracy and learning-rate curves over earlier runs, the per-layer histograms and,
for a 2-D data set, the decision boundary. Stop takes effect after the current chunk of steps;
Reset throws the run away. A finished or stopped run goes into the run history for comparison.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import logging
import math
import threading
import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import torch

from trainlab.compute.train.datasets import DATASETS, PREPROCESSING
from trainlab.compute.devices import intra_op_threads, pick_device, ui_friendly_threads
from trainlab.compute.errors import SpecError
from trainlab.compute.train.history import Run, RunHistory
from trainlab.compute.optim.schedules import SCHEDULES, learning_rates
from trainlab.compute.optim.registry import TRAINABLE
from trainlab.compute.train.config import SETTINGS, TrainConfig
from trainlab.compute.train.trainer import Record, Trainer
from trainlab.presets import TRAIN_PRESETS
from trainlab.figures import training as figures
from trainlab.ui.kit.chunk_runner import ChunkRunner
from trainlab.ui.kit.embedding import Embedding
from trainlab.ui.kit.hold import Hold
from trainlab.ui.init_explorer import describe_device
from trainlab.ui.kit.worker import LatestWins
from trainlab.ui.network_controls import NetworkControls
from trainlab.ui.kit.notices import Notice, notice_boxes
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.share_link import ShareLink, Shareable, clamped
from trainlab.ui.kit.state import Parser, parse_choice, parser_like, short_state

log = logging.getLogger(__name__)
CUSTOM = "custom"
UI_HZ = 4.0  # redraws per second at most while training: the UI must not eat the training
DECISION_GRID = 40
CPU_WIDTH = 256  # the default width on a CPU, where 4096 would train a few steps a second
_STYLE = {"description_width": "initial"}
# The hyperparameters each optimizer shows besides its learning rate.
EXTRA = {"momentum": ("momentum",), "nesterov": ("momentum",), "rmsprop": ("decay",),
         "adam": ("beta1", "beta2"), "adamw": ("beta1", "beta2")}


def default_width(device: torch.device) -> int:
    return 4096 if device.type == "cuda" else CPU_WIDTH


def _slider(key: str, value: float) -> widgets.FloatSlider:
    return widgets.FloatSlider(description=key, value=value, min=0.0, max=0.9999 if key != "dropout" else 0.9,
                               step=0.001 if key != "dropout" else 0.05, readout_format=".3g", style=_STYLE,
                               layout=widgets.Layout(width="250px"))


def _int_text(label: str, value: int, width: str = "150px") -> widgets.IntText:
    return widgets.IntText(description=label, value=value, style=_STYLE, layout=widgets.Layout(width=width))


def _dropdown(label: str, options: Any, value: Any) -> widgets.Dropdown:
    return widgets.Dropdown(description=label, options=options, value=value, style=_STYLE,
                            layout=widgets.Layout(width="auto"))


class TrainingControls:
    """The widgets for a TrainConfig's settings beyond the network (which NetworkControls has)."""

    def __init__(self, config: TrainConfig) -> None:
        o, d, s = config.optimizer, config.data, config.schedule
        self.fields: dict[str, widgets.ValueWidget] = {
            "dataset": _dropdown("data", list(DATASETS), d.name),
            "preprocessing": _dropdown("preprocessing", list(PREPROCESSING), d.preprocessing),
            "train_subset": _int_text("train on first (0 = all)", d.train_subset or 0, "200px"),
            "optimizer": _dropdown("optimizer", list(TRAINABLE), o.name),
            "lr": widgets.FloatLogSlider(description="lr", value=o.learning_rate, base=10, min=-5, max=1, step=0.001,
                                         readout_format=".3g", style=_STYLE, layout=widgets.Layout(width="300px")),
            "momentum": _slider("momentum", o.value("momentum")),
            "beta1": _slider("beta1", o.value("beta1")),
            "beta2": _slider("beta2", o.value("beta2")),
            "decay": _slider("decay", o.value("decay")),
            "weight_decay": widgets.FloatText(description="weight decay", value=o.value("weight_decay"), step=1e-4,
                                              style=_STYLE, layout=widgets.Layout(width="170px")),
            "dropout": _slider("dropout", config.dropout),
            "schedule": _dropdown("schedule", list(SCHEDULES), s.name),
            "warmup": _int_text("warm-up steps", s.warmup),
            "steps": _int_text("steps", config.steps),
            "patience": _int_text("early stop after (0 = off)", config.patience or 0, "210px"),
        }
        self.fields["optimizer"].observe(lambda _: self._update_visibility(), "value")
        self._update_visibility()

    def settings(self) -> dict[str, Any]:
        shown = EXTRA.get(self.fields["optimizer"].value, ())
        values = {name: widget.value for name, widget in self.fields.items()
                  if name not in ("momentum", "beta1", "beta2", "decay") or name in shown}
        values["train_subset"] = values["train_subset"] or None
        values["patience"] = values["patience"] or None
        return values

    @staticmethod
    def values_of(config: TrainConfig) -> dict[str, Any]:
        """What each of these controls shows for `config` (0 for "all" and "off")."""
        o = config.optimizer
        return {"dataset": config.data.name, "preprocessing": config.data.preprocessing,
                "train_subset": config.data.train_subset or 0, "optimizer": o.name, "lr": o.learning_rate,
                **{k: o.value(k) for k in ("momentum", "beta1", "beta2", "decay")},
                "weight_decay": o.value("weight_decay"), "dropout": config.dropout, "schedule": config.schedule.name,
                "warmup": config.schedule.warmup, "steps": config.steps, "patience": config.patience or 0}

    def set_settings(self, config: TrainConfig) -> None:
        for name, value in self.values_of(config).items():
            self.fields[name].value = value

    def _update_visibility(self) -> None:
        shown = EXTRA.get(self.fields["optimizer"].value, ())
        for key in ("momentum", "beta1", "beta2", "decay"):
            self.fields[key].layout.display = None if key in shown else "none"

    def rows(self) -> list[widgets.Widget]:
        f = self.fields
        wrap = {"layout": widgets.Layout(flex_flow="row wrap", align_items="center")}
        return [
            widgets.HBox([f["dataset"], f["preprocessing"], f["train_subset"], f["steps"], f["patience"]], **wrap),
            widgets.HBox([f["optimizer"], f["lr"], f["momentum"], f["beta1"], f["beta2"], f["decay"],
                          f["weight_decay"], f["dropout"]], **wrap),
            widgets.HBox([f["schedule"], f["warmup"]], **wrap),
        ]


class TrainingDashboard(Shareable, widgets.VBox):
    """Train the deep net live. TrainingDashboard(lr=0.1, dropout=0.5) starts from those settings
    (any short name TrainConfig.with_settings knows), or give a whole `config`, or a lecture
    `preset` (see trainlab.presets.TRAIN_PRESETS), which explicit settings then override."""

    def __init__(self, config: TrainConfig | None = None, *, preset: str | None = None, device: str = "auto",
                 controls: Iterable[str] | None = None, locked: Iterable[str] | None = None, compact: bool = False,
                 **settings: Any) -> None:
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise TypeError(f"TrainingDashboard got unknown settings: {', '.join(sorted(unknown))}")
        if preset is not None and preset not in TRAIN_PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(TRAIN_PRESETS)}")
        self.device = pick_device(device)
        self.training_threads = ui_friendly_threads(self.device)
        self._defaults = config or TrainConfig().with_settings(width=default_width(self.device))
        base = self._defaults
        if preset is not None:
            base = base.with_settings(**{**TRAIN_PRESETS[preset].settings, **TRAIN_PRESETS[preset].runs[0]})
        base, problems = _settle(base, settings)

        self.history = RunHistory()
        self.trainer: Trainer | None = None
        self._queue: list[TrainConfig] = []
        self._runner = ChunkRunner(self._tick)
        self._first_of_queue: TrainConfig | None = None
        self._stop = threading.Event()
        self._last_draw = 0.0
        self._hold = Hold()
        self._input_notes: list[Notice] = []
        self._lesson: list[Notice] = [("info", f"{preset}: {TRAIN_PRESETS[preset].lesson}")] if preset else []
        self._run_notes: list[Notice] = []

        self.network = NetworkControls(base.network)
        self.training = TrainingControls(base)
        self.preset = _dropdown("lecture case", [CUSTOM, *TRAIN_PRESETS], preset or CUSTOM)
        self.train_button = widgets.Button(description="▶ Train", button_style="success",
                                           layout=widgets.Layout(width="110px"))
        self.stop_button = widgets.Button(description="■ Stop", disabled=True, layout=widgets.Layout(width="90px"))
        self.reset_button = widgets.Button(description="↺ Reset", layout=widgets.Layout(width="90px"))
        self.best_button = widgets.Button(description="restore best", disabled=True,
                                          tooltip="load the weights of the best validation loss (early stopping)",
                                          layout=widgets.Layout(width="auto"))
        self.progress = widgets.IntProgress(value=0, min=0, max=base.steps, layout=widgets.Layout(width="260px"))
        self.progress_text = widgets.HTML()
        self.status = widgets.HTML()
        self._embedding = embedding = Embedding.of(controls, locked, compact)
        scale = embedding.text_scale
        self.curves = PlotlyView(text_scale=scale, height=330 if compact else None)
        self.histograms = PlotlyView(text_scale=scale, height=330 if compact else None)
        self.decision = PlotlyView(text_scale=scale, height=330 if compact else None,
                                   layout=widgets.Layout(width="330px" if compact else "430px"))
        self.lr_preview = PlotlyView(text_scale=scale)
        self.share = ShareLink()
        self.clear_button = widgets.Button(description="clear runs", layout=widgets.Layout(width="auto"))
        self.save_button = widgets.Button(description="⤓ save runs", layout=widgets.Layout(width="auto"))
        self.upload = widgets.FileUpload(accept=".json", description="load runs", multiple=False)
        self.download = widgets.HTML()
        self._preview_worker: LatestWins[TrainConfig] = LatestWins(self._draw_preview, self._preview_failed)

        self.network.observe(self._settings_changed)
        for widget in self.training.fields.values():
            widget.observe(lambda _: self._settings_changed(), "value")
        self.preset.observe(self._preset_chosen, "value")
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        self.best_button.on_click(lambda _: self.restore_best())
        self.clear_button.on_click(lambda _: self.clear_history())
        self.save_button.on_click(lambda _: self._offer_download())
        self.upload.observe(self._uploaded, "value")

        device_note = (f"device <b>{html.escape(describe_device(self.device))}</b>"
                       + (f" · width {CPU_WIDTH} by default on a CPU so that training stays live; up to 4096 can "
                          "be chosen (slower)" if self.device.type != "cuda" else ""))
        runs = widgets.VBox([widgets.HBox([self.best_button, self.clear_button, self.save_button, self.upload],
                                          layout=widgets.Layout(flex_flow="row wrap")), self.download])
        embedding.arrange({**self.network.fields, **self.training.fields, "preset": self.preset,
                           "train": self.train_button, "stop": self.stop_button, "reset": self.reset_button,
                           "runs": runs, "link": self.share})
        buttons = widgets.HBox([self.preset, self.train_button, self.stop_button, self.reset_button, self.progress,
                                self.progress_text], layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        controls = [buttons,
                    widgets.HTML(f"<div class='trainlab-device-note' style='font-size:12px;color:#555'>{device_note}</div>"),
                    *self.network.rows(), *self.training.rows(), self.share, self.status]
        plots = [self.curves,
                 widgets.HBox([widgets.Box([self.histograms], layout=widgets.Layout(flex="1 1 auto", min_width="0")),
                               self.decision])]
        preview = widgets.Box([self.lr_preview], layout=widgets.Layout(width="420px"))
        extras = [runs] if compact else [widgets.HBox([preview, runs])]
        super().__init__([*embedding.layout(controls, plots, extras), plotly_bootstrap()],
                         layout=widgets.Layout(width="100%"))
        self.add_class("trainlab-training")
        embedding.style(self)
        self._settings_changed(preview_now=True)
        # What was wrong with the settings given stays on show until the user changes something.
        self._input_notes = [("error", p) for p in problems]
        self._draw()

    # -- public ------------------------------------------------------------------------------
    @property
    def config(self) -> TrainConfig:
        """The configuration the controls describe (not validated)."""
        return TrainConfig(network=self.network.spec()).with_settings(**self.training.settings())

    def set(self, **settings: Any) -> None:
        """Change several settings at once (short names, as TrainConfig.with_settings takes them)."""
        self._apply(self.config.with_settings(**settings))

    def state(self) -> dict[str, Any]:
        """The settings that differ from a new dashboard's (and the lecture case, if one is shown)."""
        state = short_state(self._settings(self.config), self._settings(self._defaults))
        return {"preset": self.preset.value, **state} if self.preset.value != CUSTOM else state

    def state_schema(self) -> dict[str, Parser]:
        fields = {**self.network.fields, **self.training.fields}
        return {"preset": parse_choice([CUSTOM, *TRAIN_PRESETS]),
                **{name: parse_choice(w.options) if isinstance(w, widgets.Dropdown) else parser_like(w.value)
                   for name, w in fields.items()}}

    def _apply_settings(self, settings: dict[str, Any]) -> list[str]:
        preset = settings.pop("preset", CUSTOM)
        config = self.config
        if preset != CUSTOM:
            with self._hold():
                self.preset.value = preset
            config = config.with_settings(**{**TRAIN_PRESETS[preset].settings, **TRAIN_PRESETS[preset].runs[0]})
            self._lesson = [("info", _lesson(preset))]
        # The boxes say 0 for "all" and "off"; a config says None.
        settings = {k: None if k in ("train_subset", "patience") and v == 0 else v for k, v in settings.items()}
        config, problems = _settle(config, settings)
        self._apply(config)
        # A valid lr or dropout can still be outside its slider's range: say what the slider shows.
        fields, wanted = {**self.network.fields, **self.training.fields}, self._settings(config)
        return problems + [message for key in settings if key in wanted
                           and (message := clamped(key, fields[key], wanted[key]))]

    def _refresh_status(self) -> None:
        self._show_status()

    @staticmethod
    def _settings(config: TrainConfig) -> dict[str, Any]:
        """A config as the controls show it: one flat value per control."""
        spec = config.network.resolved()  # gain spelled out, so that None and the scheme's default compare equal
        network = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
        for knob in ("std", "gain"):
            if spec.scheme.knob != knob:
                network.pop(knob)
        return {**network, **TrainingControls.values_of(config)}

    def train(self) -> None:
        """Start a run, or resume the stopped one if the settings did not change. With a lecture
        case chosen, its runs are trained one after the other."""
        if self.running:
            return
        config = self._valid_config()
        if config is None:
            return
        if self.trainer is not None and not self.trainer.finished and self.trainer.config == config:
            self._start()  # resume
            return
        self._archive()
        self._queue = _preset_runs(self.preset.value, config) if self.preset.value != CUSTOM else [config]
        self._start()

    def stop(self) -> None:
        """Stop after the current chunk of steps; Train then resumes."""
        self._queue = []
        self._stop.set()

    def reset(self) -> None:
        """Stop, and throw the current run away (earlier runs stay in the history)."""
        self.stop()
        self.wait(60)
        self.trainer = None
        self._run_notes = []
        self._update_buttons(running=False)
        self._draw()

    def wait(self, timeout: float = 300.0) -> bool:
        """Block until training has finished and the lr preview is drawn (for scripts, tests and
        notebook cells)."""
        return self._runner.wait(timeout) and self._preview_worker.wait_idle(timeout)

    @property
    def running(self) -> bool:
        return self._runner.active

    def restore_best(self) -> int | None:
        if self.trainer is None or self.running:
            return None
        step = self.trainer.restore_best()
        if step is not None:
            accuracy = self.trainer.accuracy("val")
            self._run_notes = [("info", f"Restored the weights of step {step}, the best validation loss: validation "
                                        f"accuracy {accuracy:.1%}.")]
            self._show_status()
        return step

    def clear_history(self) -> None:
        self.history.clear()
        self._draw()

    def save_history(self, path: str) -> None:
        self._history_with_current().save(path)

    def load_history(self, path: str) -> None:
        self.history = RunHistory.load(path)
        self._draw()

    # -- controls ----------------------------------------------------------------------------
    def _valid_config(self) -> TrainConfig | None:
        try:
            config = self.config.validate()
        except SpecError as error:
            self._input_notes = [("error", f"{error}. Nothing was started; the plots show the last run.")]
            self._show_status()
            return None
        except (TypeError, ValueError) as error:  # a value of the wrong type typed into a box
            self._input_notes = [("error", f"{error}. Nothing was started.")]
            self._show_status()
            return None
        self._input_notes = []
        return config

    def _settings_changed(self, preview_now: bool = False) -> None:
        """preview_now: draw the lr preview on this thread (at construction, so that no widget
        message comes from another thread while the notebook is still creating widgets)."""
        if self._hold.active:
            return
        if self.preset.value != CUSTOM and not self._matches_preset():
            with self._hold():
                self.preset.value = CUSTOM
            self._lesson = []
        self._state_changed()
        config = self._valid_config()
        if config is not None:
            if preview_now:
                self._draw_preview(config)
            else:
                self._preview_worker.submit(config)
        self._show_status()

    def _matches_preset(self) -> bool:
        config = self.config
        return _close(_preset_runs(self.preset.value, config)[0], config)

    def _preset_chosen(self, change: dict) -> None:
        if self._hold.active or change["new"] == CUSTOM:
            return
        preset = TRAIN_PRESETS[change["new"]]
        self._run_notes = []
        self._lesson = [("info", _lesson(change["new"]))]
        self._apply(self.config.with_settings(**{**preset.settings, **preset.runs[0]}))

    def _apply(self, config: TrainConfig) -> None:
        with self._hold():
            self.network.set_spec(config.network)
            self.training.set_settings(config)
        self._settings_changed()

    # -- training, one chunk of steps per tick -----------------------------------------------
    def _start(self) -> None:
        self._stop.clear()
        self._first_of_queue = self._queue[0] if self._queue else None
        self._last_draw = 0.0  # the first record after a start is drawn at once
        self._update_buttons(running=True)
        self._runner.start()

    def _tick(self) -> bool:
        """Train one chunk of steps (starting the next run of the queue if need be); False once
        there is nothing more to do."""
        try:
            if self._stop.is_set():
                return self._finish()
            if self.trainer is None or self.trainer.finished:
                if not self._queue:
                    return self._finish()
                config = self._queue.pop(0)
                self._archive()
                if self.preset.value != CUSTOM:
                    with self._hold():
                        self.network.set_spec(config.network)
                        self.training.set_settings(config)
                self.trainer = Trainer(config, self.device)
                self._run_notes = []
                self._last_draw = 0.0
            with intra_op_threads(self.training_threads):
                self.trainer.run(should_stop=lambda: True, on_record=self._on_record)
            if self.trainer.finished:
                self._draw(final=True)
            return True
        except SpecError as error:
            self._input_notes = [("error", f"{error}. Nothing was started; the plots show the last run.")]
        except Exception as error:  # the widget must stay usable whatever went wrong
            log.exception("trainlab training failed", exc_info=error)
            self._run_notes = [("error", f"Training failed ({type(error).__name__}: {error}).")]
        return self._finish()

    def _finish(self) -> bool:
        stopped = self._stop.is_set()
        if stopped and self.trainer is not None and self.trainer.records:
            self._draw(final=True)  # stopped: the histograms can be scrubbed through the run so far
        first = self._first_of_queue
        if self.preset.value != CUSTOM and first is not None and not stopped:
            # A lecture case leaves its controls where it started, ready to be run again.
            with self._hold():
                self.network.set_spec(first.network)
                self.training.set_settings(first)
        self._first_of_queue = None
        self._update_buttons(running=False)
        self._show_status()
        return False

    def _on_record(self, _record: Record) -> None:
        now = time.perf_counter()
        if now - self._last_draw >= 1.0 / UI_HZ:
            self._draw()
            self._last_draw = time.perf_counter()

    # -- drawing -----------------------------------------------------------------------------
    def _current_run(self) -> Run | None:
        if self.trainer is None or not self.trainer.records:
            return None
        run = Run.from_trainer(self.trainer, self._outcome())
        run.label = "this run" if not self.history.runs else f"#{len(self.history.runs) + 1} (this run)"
        return run

    def _outcome(self) -> str:
        t = self.trainer
        if t.divergence is not None:
            return t.divergence.message
        if t.stopped_early:
            return f"stopped early at step {t.step}: no better validation loss since step {t.best.step}"
        if t.step >= t.config.steps:
            return "finished"
        return f"stopped at step {t.step}"

    def _draw(self, final: bool = False) -> None:
        t = self.trainer
        current = self._current_run()
        classes = t.data.classes if t else 10
        steps = t.config.steps if t else self.training.fields["steps"].value
        divergence = (t.divergence.step, f"diverged at step {t.divergence.step}") if t and t.divergence else None
        self.curves.show(figures.curves_figure(self.history.runs, current, classes, max(1, steps), divergence))
        if t is not None and t.records:
            done = final or t.finished
            self.histograms.show(figures.histogram_history_figure(t.records) if done
                                 else figures.histograms_figure(t.records[-1]))
            if t.data.is_2d:
                xs, ys, p = t.decision_map(DECISION_GRID)
                raw, labels = t.data.x_train_raw, t.data.y_train
                self.decision.show(figures.decision_figure(xs.tolist(), ys.tolist(), p.tolist(), raw.tolist(),
                                                           labels.cpu().tolist()))
            self.decision.layout.display = None if t.data.is_2d else "none"
            self._run_notes = self._notes_for(t, final)
        else:
            self.histograms.show({"data": [], "layout": {"height": 60, "annotations": [{
                "text": "per-layer histograms appear here once training starts", "showarrow": False,
                "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}], "xaxis": {"visible": False},
                "yaxis": {"visible": False}}})
            self.decision.layout.display = "none"
        self._update_progress()
        self._show_status()

    def _notes_for(self, t: Trainer, final: bool) -> list[Notice]:
        notes: list[Notice] = []
        first = t.records[0].train_loss
        expected = math.log(t.data.classes)
        off = abs(first - expected) / expected if math.isfinite(first) else math.inf
        notes.append(("info" if off < 0.05 else "warning",
                      f"First loss {first:.3f}; log {t.data.classes} = {expected:.3f} "
                      f"({'within' if off < 0.05 else 'off by more than'} 5%)."))
        if t.divergence is not None:
            notes.append(("error", t.divergence.message))
        elif t.stopped_early:
            notes.append(("info", f"Early stopping: no better validation loss for {t.config.patience} records; "
                                  f"the best was at step {t.best.step} (press 'restore best' to load it)."))
        elif final and t.records:
            last = t.records[-1]
            gap = last.train_eval_accuracy - last.val_accuracy
            notes.append(("info", f"After {t.step} steps: validation accuracy {last.val_accuracy:.1%}, training "
                                  f"accuracy {last.train_eval_accuracy:.1%} (gap {gap:+.1%})."))
        return notes

    def _update_progress(self) -> None:
        t = self.trainer
        if t is None:
            self.progress.value = 0
            self.progress_text.value = "<span class='trainlab-progress'>ready</span>"
            return
        self.progress.max = t.config.steps
        self.progress.value = t.step
        last = t.records[-1] if t.records else None
        acc = f" · val acc {last.val_accuracy:.1%}" if last else ""
        self.progress_text.value = (f"<span class='trainlab-progress'>step {t.step}/{t.config.steps} · "
                                    f"{t.steps_per_second():.0f} steps/s{acc}</span>")

    def _update_buttons(self, running: bool) -> None:
        t = self.trainer
        resumable = t is not None and not t.finished
        self.train_button.description = "▶ Resume" if resumable else "▶ Train"
        locked = self._embedding.locked
        self.train_button.disabled = running or "train" in locked
        self.stop_button.disabled = not running or "stop" in locked
        self.best_button.disabled = t is None or t.best is None or running or "runs" in locked
        if t is not None and t.best is not None:
            self.best_button.description = f"restore best (step {t.best.step})"

    def _show_status(self) -> None:
        notes = self._link_notes + self._input_notes + self._lesson + self._run_notes
        self.status.value = notice_boxes(notes)

    def _draw_preview(self, config: TrainConfig) -> None:
        self.lr_preview.show(figures.lr_preview_figure(learning_rates(config.optimizer.learning_rate,
                                                                      config.schedule, config.steps)))

    def _preview_failed(self, error: BaseException) -> None:
        log.warning("lr preview failed: %s", error)

    # -- history -----------------------------------------------------------------------------
    def _archive(self) -> None:
        """Put the current run (if it got anywhere) into the history."""
        if self.trainer is not None and self.trainer.records:
            self.history.add(Run.from_trainer(self.trainer, self._outcome()))
        self.trainer = None

    def _history_with_current(self) -> RunHistory:
        runs = [dataclasses.replace(run) for run in self.history.runs]
        current = self.trainer
        history = RunHistory(runs)
        if current is not None and current.records:
            history.add(Run.from_trainer(current, self._outcome()))
        return history

    def _offer_download(self) -> None:
        payload = base64.b64encode(self._history_with_current().to_json().encode()).decode()
        count = len(self.history.runs) + (1 if self.trainer is not None and self.trainer.records else 0)
        self.download.value = (f"<a class='trainlab-download' download='trainlab-runs.json' "
                               f"href='data:application/json;base64,{payload}'>download trainlab-runs.json "
                               f"({count} run{'s' if count != 1 else ''})</a>")

    def _uploaded(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        try:
            loaded = RunHistory.from_json(bytes(files[0]["content"]))
        except SpecError as error:
            self._input_notes = [("error", f"{files[0]['name']}: {error}. The run history was left as it was.")]
            self._show_status()
            return
        for run in loaded.runs:
            run.label = ""
            self.history.add(run)
        self._input_notes = [("info", f"Loaded {len(loaded.runs)} runs from {files[0]['name']}.")]
        self._draw()


def _lesson(label: str) -> str:
    preset = TRAIN_PRESETS[label]
    return (f"{preset.label}: {preset.lesson} Press Train to run "
            f"{len(preset.runs)} run{'s' if len(preset.runs) > 1 else ''}.")


def _preset_runs(label: str, config: TrainConfig) -> list[TrainConfig]:
    """The runs of a lecture case, each on top of `config`. The number of steps stays the user's:
    a shorter or longer run still makes the lesson's point."""
    preset = TRAIN_PRESETS[label]
    return [config.with_settings(**{k: v for k, v in {**preset.settings, **run}.items() if k != "steps"})
            for run in preset.runs]


def _comparable(config: TrainConfig) -> TrainConfig:
    """The config with the numbers log sliders round (lr, std or gain) and the defaults spelled
    out, so that two configs meaning the same run compare equal."""
    optimizer = dataclasses.replace(config.optimizer.resolved(), lr=None)
    return dataclasses.replace(config, optimizer=optimizer, network=config.network.resolved().with_knob(1.0))


def _close(a: TrainConfig, b: TrainConfig) -> bool:
    """The same run but for the rounding log sliders apply to the lr, std or gain (under 3 %)."""
    return (math.isclose(a.optimizer.learning_rate, b.optimizer.learning_rate, rel_tol=0.03)
            and math.isclose(a.network.resolved().knob_value, b.network.resolved().knob_value, rel_tol=0.03)
            and _comparable(a) == _comparable(b))


def _settle(config: TrainConfig, settings: dict[str, Any]) -> tuple[TrainConfig, list[str]]:
    """Apply `settings` one by one; a bad one is left out with a message, the rest still apply."""
    problems = []
    for key, value in settings.items():
        try:
            config = config.with_settings(**{key: value}).validate()
        except SpecError as error:
            problems.append(f"{error}; kept {key} as it was")
        except (TypeError, ValueError) as error:
            problems.append(f"{key}: {error}; kept it as it was")
    return config, problems
