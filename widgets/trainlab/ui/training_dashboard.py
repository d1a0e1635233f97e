"""TrainingDashboard: train the deep net live on real data and watch it learn.

Train starts a run (or the runs of a lecture case, one after the other) in chunks of a few
steps, between which the kernel answers the page (kit/chunk_runner.py); the dashboard redraws at
most UI_HZ times a second: loss, accuracy and learning-rate curves over the earlier runs, the
per-layer histograms and, for a 2-D data set, the decision boundary. Stop stops after the current
chunk; Resume goes on with the stopped run and then the rest of the case; Reset, or a new lecture
case, throws the stopped run and the rest of the case away.
"""

from __future__ import annotations

import base64
import html
import logging
import math
import threading
import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import torch

from trainlab.compute.cancel import CancelToken
from trainlab.compute.devices import intra_op_threads, pick_device, ui_friendly_threads
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.schedules import learning_rates
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.history import Run, RunFileError, RunHistory
from trainlab.compute.train.trainer import Record, Trainer
from trainlab.figures import training as figures
from trainlab.presets import TRAIN_PRESETS
from trainlab.ui.init_explorer import describe_device
from trainlab.ui.kit.chunk_runner import ChunkRunner
from trainlab.ui.kit.embedding import Embedding
from trainlab.ui.kit.lab_widget import CUSTOM, LabPreset, LabWidget, near
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.worker import Job
from trainlab.ui.network_controls import network_controls, network_rows
from trainlab.ui.training_settings import TrainModel, training_controls, training_rows

log = logging.getLogger(__name__)
UI_HZ = 4.0  # redraws per second at most while training: the UI must not eat the training
DECISION_GRID = 40
CPU_WIDTH = 256  # the default width on a CPU, where 4096 would train a few steps a second


def default_width(device: torch.device) -> int:
    return 4096 if device.type == "cuda" else CPU_WIDTH


def _case_runs(label: str, config: TrainConfig) -> list[TrainConfig]:
    """The runs of a lecture case, each on top of `config`. The number of steps stays the user's:
    a shorter or longer run still makes the lesson's point."""
    preset = TRAIN_PRESETS[label]
    return [config.with_settings(**{k: v for k, v in {**preset.settings, **run}.items() if k != "steps"}).validate()
            for run in preset.runs]


def _lesson(label: str) -> str:
    preset = TRAIN_PRESETS[label]
    count = len(preset.runs)
    return f"{preset.lesson} Press Train to run {count} run{'s' if count > 1 else ''}."


class TrainingDashboard(LabWidget[TrainConfig]):
    """Train the deep net live. TrainingDashboard(lr=0.1, dropout=0.5) starts from those settings
    (any short name TrainConfig.with_settings knows), or give a whole `config`, or a lecture
    `preset` (see trainlab.presets.TRAIN_PRESETS), which explicit settings then override."""

    css_class = "trainlab-training"

    def __init__(self, config: TrainConfig | None = None, *, preset: str | None = None, device: str = "auto",
                 controls: Iterable[str] | None = None, locked: Iterable[str] | None = None, compact: bool = False,
                 **settings: Any) -> None:
        self.device = pick_device(device)
        self.training_threads = ui_friendly_threads(self.device)
        defaults = config or TrainConfig().with_settings(width=default_width(self.device))
        embedding = Embedding.of(controls, locked, compact)
        self.history = RunHistory()
        self.trainer: Trainer | None = None
        self._queue: list[TrainConfig] = []  # the runs of the case still to train, after the current one
        self._case: str | None = None  # the lecture case being trained, if any
        self._runner = ChunkRunner(self._tick)
        self._ended_with: tuple[Trainer | None, int, float] = (None, 0, 0.0)  # for restore_best's notice
        self._stop = threading.Event()
        self._last_draw = 0.0
        net, train = network_controls(defaults.network, lambda c: c.network), training_controls(defaults)
        self.network, self.training = net, train
        super().__init__(model=TrainModel(defaults), controls={**net, **train}, initial=defaults, preset=preset,
                         settings=settings, embedding=embedding,
                         presets=[LabPreset(p.label, {**p.settings, **p.runs[0]}, _lesson(p.label))
                                  for p in TRAIN_PRESETS.values()])
        self.train_button = widgets.Button(description="▶ Train", button_style="success",
                                           layout=widgets.Layout(width="110px"))
        self.stop_button = widgets.Button(description="■ Stop", disabled=True, layout=widgets.Layout(width="90px"))
        self.reset_button = widgets.Button(description="↺ Reset", layout=widgets.Layout(width="90px"))
        self.best_button = widgets.Button(description="restore best", disabled=True,
                                          tooltip="load the weights of the best validation loss (early stopping)",
                                          layout=widgets.Layout(width="auto"))
        self.clear_button = widgets.Button(description="clear runs", layout=widgets.Layout(width="auto"))
        self.save_button = widgets.Button(description="⤓ save runs", layout=widgets.Layout(width="auto"))
        self.upload = widgets.FileUpload(accept=".json", description="load runs", multiple=False)
        self.download = widgets.HTML()
        self.progress = widgets.IntProgress(value=0, min=0, max=defaults.steps, layout=widgets.Layout(width="260px"))
        self.progress_text = widgets.HTML()
        for button, action in ((self.train_button, self.train), (self.stop_button, self.stop),
                               (self.reset_button, self.reset), (self.best_button, self.restore_best),
                               (self.clear_button, self.clear_history), (self.save_button, self._offer_download)):
            button.on_click(lambda _b, action=action: action())
        self.upload.observe(self._uploaded, "value")
        scale = embedding.text_scale
        self.curves = PlotlyView(text_scale=scale, height=330 if compact else None)
        self.histograms = PlotlyView(text_scale=scale, height=330 if compact else None)
        self.decision = PlotlyView(text_scale=scale, height=330 if compact else None,
                                   layout=widgets.Layout(width="330px" if compact else "430px", display="none"))
        self.lr_preview = PlotlyView(text_scale=scale)
        # Units off on the whole validation set, for ReLU-family runs: shown once there is one.
        self.dead_units = PlotlyView(text_scale=scale, height=280, layout=widgets.Layout(display="none"))
        device_note = widgets.HTML(
            f"<div class='trainlab-device-note' style='font-size:12px;color:#555'>device "
            f"<b>{html.escape(describe_device(self.device))}</b>"
            + (f" · width {CPU_WIDTH} by default on a CPU so that training stays live; up to 4096 can be chosen "
               "(slower)" if self.device.type != "cuda" else "") + "</div>")
        runs = widgets.VBox([widgets.HBox([self.best_button, self.clear_button, self.save_button, self.upload],
                                          layout=widgets.Layout(flex_flow="row wrap")), self.download])
        buttons = widgets.HBox([self.preset, self.train_button, self.stop_button, self.reset_button, self.progress,
                                self.progress_text], layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        # The decision boundary of a 2-D set sits under the histograms, not beside them: side by
        # side, the histograms' titles and ticks ran into each other.
        plots = [self.curves, self.dead_units, self.histograms, self.decision]
        preview = widgets.Box([self.lr_preview], layout=widgets.Layout(width="420px"))
        self._layout({**{n: c.widget for n, c in {**net, **train}.items()}, "preset": self.preset,
                      "train": self.train_button, "stop": self.stop_button, "reset": self.reset_button, "runs": runs,
                      "link": self.share},
                     [buttons, device_note, *network_rows(net), *training_rows(train), self.share],
                     plots, [runs] if compact else [widgets.HBox([preview, runs]), plotly_bootstrap()])
        self._draw()

    # -- public ------------------------------------------------------------------------------
    @property
    def config(self) -> TrainConfig:
        return self.settings

    @property
    def running(self) -> bool:
        return self._runner.active

    def train(self) -> None:
        """Start a run (a lecture case: its runs, one after the other), or resume the stopped
        one, with the rest of its case, if the settings are still its own."""
        if self.running:
            return
        if self._refused:
            self._notes["input"] = [("error", "Nothing was started: " + "; ".join(self._refused) +
                                     " holds a value that cannot be used (see above).")]
            self._show_status()
            return
        self._notes["input"] = []
        t = self.trainer
        if t is not None and not t.finished and t.config == self.settings:
            self._start()  # resume the stopped run; the rest of its case follows
            return
        self._archive()
        label = self.preset.value
        try:
            runs = _case_runs(label, self.settings) if label != CUSTOM else [self.settings]
        except SpecError as error:  # a lecture case that cannot run with these settings
            self._notes["input"] = [("error", f"{error}. Nothing was started.")]
            self._show_status()
            return
        self._case = label if label != CUSTOM else None
        self._case_start = runs[0]
        self._queue = runs
        self._start()

    def stop(self) -> None:
        """Stop after the current chunk of steps; Train then resumes it (and the rest of its case)."""
        self._stop.set()

    def cancel(self) -> None:
        """The status bar's cancel: stop training, or abandon the lr preview."""
        if self.running:
            self.stop()
        else:
            super().cancel()

    def reset(self) -> None:
        """Stop, and throw the current run and the rest of its case away (earlier runs stay)."""
        self.stop()
        self._runner.wait(60)
        self._queue, self._case, self.trainer = [], None, None
        self._notes["result"] = []
        self._draw()

    def restore_best(self) -> int | None:
        """Load the weights of the best validation loss; the notice compares their validation
        accuracy with that of the weights the run ended with."""
        t = self.trainer
        if t is None or self.running:
            return None
        if self._ended_with[0] is not t and t.best is not None:
            self._ended_with = (t, t.step, t.accuracy("val"))  # before the first restore replaces them
        step = t.restore_best()
        if step is not None:
            accuracy = t.accuracy("val")
            _, last_step, last_accuracy = self._ended_with
            self._notes["result"] = [("info", f"Restored the weights of step {step}, the best validation loss: "
                                              f"validation accuracy {accuracy:.1%} (the weights the run ended "
                                              f"with, at step {last_step}: {last_accuracy:.1%}).")]
            self._show_status()
        return step

    def clear_history(self) -> None:
        """Remove every run from the plots (the current one too, unless it is training)."""
        self.history.clear()
        if not self.running and (self.trainer is None or self.trainer.finished):
            self.trainer = None
        self._draw()

    def save_history(self, path: str) -> None:
        self._history_with_current().save(path)

    def load_history(self, path: str) -> None:
        """Replace the runs with those of a run file (RunFileError, with the reason, if it is not one)."""
        self.history = RunHistory.load(path)
        self._draw()

    def wait(self, timeout: float = 300.0) -> bool:
        """Block until training has finished and the lr preview is drawn (for scripts and tests)."""
        trained = self._runner.wait(timeout)
        return self._worker.wait(timeout) and trained

    def close(self) -> None:
        self.stop()
        self._runner.wait(30)
        super().close()

    # -- the kit's hooks ---------------------------------------------------------------------
    def _settings_changed(self) -> None:
        config = self.settings
        self._run(Job("the learning-rate schedule", lambda cancel: self._preview(config, cancel),
                      self.lr_preview.show, quiet=True))
        self._update_buttons()

    def _line(self) -> list[tuple[str, str]]:
        return []

    def _preset_holds(self, label: str) -> bool:
        """A case holds while the settings are those of any of its runs (training moves them)."""
        try:
            runs = _case_runs(label, self.settings)
        except SpecError:
            return False
        flat = self._model.flat(self.settings)
        return any(near(self._model.flat(run), flat) for run in runs)

    def _preset_chosen(self, change: dict) -> None:
        """A new lecture case starts clean: training stops, the rest of the old case and its runs go."""
        if self._hold.active or change["new"] == CUSTOM:
            return
        self.stop()
        self._runner.wait(60)
        cleared = len(self.history.runs) + (self.trainer is not None)
        self._queue, self._case, self.trainer = [], None, None
        self.history.clear()
        super()._preset_chosen(change)
        self._notes["result"] = ([("info", f"A lecture case starts with clean plots: the {cleared} run"
                                           f"{'s' if cleared != 1 else ''} shown before were removed (⤓ save runs "
                                           "before choosing a case keeps them).")] if cleared else [])
        self._draw()

    # -- training, one chunk of steps per tick -----------------------------------------------
    def _start(self) -> None:
        self._stop.clear()
        self._last_draw = 0.0  # the first record after a start is drawn at once
        self._update_buttons(running=True)
        self._runner.start()

    def _tick(self) -> bool:
        """Train one chunk of steps (starting the next run of the case if need be); False once
        there is nothing more to do. Runs on the kernel's loop, or outside a kernel on a thread."""
        try:
            if self._stop.is_set():
                return self._finish(stopped=True)
            if self.trainer is None or self.trainer.finished:
                if not self._queue:
                    return self._finish(stopped=False)
                self._archive()
                config = self._queue.pop(0)
                self.trainer = Trainer(config, self.device)
                self._main.call(lambda: self._show_run(config), key="run")
            with intra_op_threads(self.training_threads):
                self.trainer.run(should_stop=lambda: True, on_record=self._on_record)
            if self.trainer.finished:
                self._main.call(lambda: self._draw(final=True), key="draw")
            return True
        except SpecError as error:
            text = f"{error}. Nothing was started; the plots show the last run."
            self._main.call(lambda: self._failed_run(text))
        except Exception as error:  # the widget must stay usable whatever went wrong
            log.exception("trainlab training failed", exc_info=error)
            text = f"Training failed ({type(error).__name__}: {error})."
            self._main.call(lambda: self._failed_run(text))
        self._queue = []
        return self._finish(stopped=True)

    def _finish(self, stopped: bool) -> bool:
        def show() -> None:
            if stopped and self.trainer is not None and self.trainer.records:
                self._draw(final=True)  # stopped: the histograms can be scrubbed through the run so far
            if self._case is not None and not stopped and not self._queue:
                # A lecture case ends with its controls where it started, ready to be run again.
                self._case = None
                self._set_settings_quietly(self._case_start)
            self.status.set_busy("")
            self._update_buttons(running=False)
            self._show_status()
        self._main.call(show, key="finish")
        return False

    def _show_run(self, config: TrainConfig) -> None:
        """A lecture case's controls follow the run being trained."""
        if self._case is not None:
            self._set_settings_quietly(config)
        done = self._case_size() - len(self._queue)
        what = f"run {done} of {self._case_size()} of '{self._case}'" if self._case else "a run"
        self.status.set_busy(f"{what}: {self.history.label_for(config)}")
        self._notes["result"] = []

    def _set_settings_quietly(self, config: TrainConfig) -> None:
        """Show `config` in the controls without starting anything (the case's own moves)."""
        self.settings = config
        self._show_controls()
        self._state_changed()

    def _case_size(self) -> int:
        return len(TRAIN_PRESETS[self._case].runs) if self._case else 1

    def _on_record(self, _record: Record) -> None:
        now = time.perf_counter()
        if now - self._last_draw >= 1.0 / UI_HZ:
            self._main.call(self._draw, key="draw")
            self._last_draw = time.perf_counter()

    def _failed_run(self, text: str) -> None:
        self._notes["result"] = [("error", text)]
        self._show_status()

    # -- drawing (main thread) ---------------------------------------------------------------
    def _current_run(self) -> Run | None:
        if self.trainer is None or not self.trainer.records:
            return None
        run = Run.from_trainer(self.trainer, self._outcome())
        run.label = f"#{len(self.history.runs) + 1} {self.history.label_for(run.config)} (this run)"
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
        classes = t.data.classes if t else self.settings.data.classes
        steps = t.config.steps if t else self.settings.steps
        divergence = (t.divergence.step, f"diverged at step {t.divergence.step}") if t and t.divergence else None
        current = self._current_run()
        self.curves.show(figures.curves_figure(self.history.runs, current, classes, max(1, steps), divergence))
        dead = figures.dead_units_figure(self.history.runs, current)
        if dead is not None:
            self.dead_units.show(dead)
        self.dead_units.layout.display = None if dead is not None else "none"
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
            self._notes["result"] = self._notes_for(t, final)
        else:
            self.histograms.show(figures.placeholder("per-layer histograms appear here once training starts"))
            self.decision.layout.display = "none"
        self._update_progress()
        self._update_buttons()
        self._show_status()

    def _notes_for(self, t: Trainer, final: bool) -> list[tuple[str, str]]:
        notes: list[tuple[str, str]] = []
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
        caption = self._case_caption(t) if final else None
        if caption is not None:
            notes.append(("info", caption))
        return notes

    def _case_caption(self, t: Trainer) -> str | None:
        """Once the last run of a lecture case has finished: the case's numbers, from its runs as drawn."""
        if self._case is None or self._queue or not t.finished:
            return None
        caption = TRAIN_PRESETS[self._case].caption
        runs = self._history_with_current().runs[-self._case_size():]
        return caption(runs) if caption is not None and len(runs) == self._case_size() else None

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

    def _update_buttons(self, running: bool | None = None) -> None:
        running = self.running if running is None else running
        t = self.trainer
        # While a run trains, the disabled button says Train: a "Resume" on it then read as if the
        # run had stopped (and a page waiting for Resume took a running case for a stopped one).
        resumable = not running and t is not None and not t.finished and t.config == self.settings
        self.train_button.description = "▶ Resume" if resumable else "▶ Train"
        self.enable("train", not running)
        self.enable("stop", running)
        self.best_button.disabled = (t is None or t.best is None or running or "runs" in self._embedding.locked)
        if t is not None and t.best is not None:
            self.best_button.description = f"restore best (step {t.best.step})"

    def _preview(self, config: TrainConfig, cancel: CancelToken) -> dict[str, Any]:
        lrs = learning_rates(config.optimizer.learning_rate, config.schedule, config.steps, cancel)
        return figures.lr_preview_figure(lrs)

    # -- history -----------------------------------------------------------------------------
    def _archive(self) -> None:
        """Put the current run (if it got anywhere) into the history."""
        if self.trainer is not None and self.trainer.records:
            self.history.add(Run.from_trainer(self.trainer, self._outcome()))
        self.trainer = None

    def _history_with_current(self) -> RunHistory:
        history = RunHistory(list(self.history.runs))
        if self.trainer is not None and self.trainer.records:
            history.add(Run.from_trainer(self.trainer, self._outcome()))
        return history

    def _offer_download(self) -> None:
        history = self._history_with_current()
        payload = base64.b64encode(history.to_json().encode()).decode()
        count = len(history.runs)
        self.download.value = (f"<a class='trainlab-download' download='trainlab-runs.json' "
                               f"href='data:application/json;base64,{payload}'>download trainlab-runs.json "
                               f"({count} run{'s' if count != 1 else ''})</a>")

    def _uploaded(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        name = str(files[0].get("name", "the file"))
        try:
            loaded = RunHistory.from_json(bytes(files[0]["content"]))
        except RunFileError as error:
            self._notes["input"] = [("error", f"{name}: {error.reason}. The run history was left as it was.")]
            self._show_status()
            return
        for run in loaded.runs:
            run.label = ""
            self.history.add(run)
        self._notes["input"] = [("info", f"Loaded {len(loaded.runs)} run{'s' if len(loaded.runs) != 1 else ''} "
                                         f"from {name}.")]
        self._draw()
