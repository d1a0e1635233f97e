"""Base matrices drawn once per machine: raw float32 files that every kernel maps into memory.

A base matrix depends only on its family, shape, seed and layer (and on torch's generators and
LAPACK, hence the torch version in the folder name), so every kernel of a classroom server would
draw the same ones. Drawn once and written here, they are mapped back from the file instead:
nothing to draw when a kernel starts, orthogonal's QR factorizations paid once per machine, and
one copy in memory (the OS page cache, which the OS may also reclaim) however many kernels map it.

A file is written to a temporary name and renamed into place, so a reader never sees half of one;
a lock file keeps two kernels from drawing the same matrix at once (the second waits, then maps
it). The folder is kept within a byte budget by deleting the files used longest ago. Where the
folder cannot be written (a read-only home, a full disk) matrices are drawn in memory as before.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from trainlab.compute.cancel import NEVER, CancelToken

try:
    import fcntl
except ImportError:  # Windows: no flock, so no store shared between kernels (drawn in memory instead)
    fcntl = None

ENV = "TRAINLAB_WEIGHT_STORE"  # a folder, or "off"
DEFAULT_BUDGET_BYTES = 4 * 2**30  # 64 base matrices of 4096 x 4096: three families of a depth-20 net
LOCK_POLL_SECONDS = 0.05


def default_folder() -> Path | None:
    """$TRAINLAB_WEIGHT_STORE, else the user's cache folder; None if the store is turned off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "trainlab" / "weights"


class WeightStore:
    """A folder of base matrices, each (fan_out, fan_in) float32 as torch.nn.init lays weights out."""

    def __init__(self, folder: Path, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        version = ".".join(torch.__version__.split("+")[0].split(".")[:2])
        self.folder = Path(folder) / f"torch-{version}"
        self.budget_bytes = budget_bytes

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.f32"

    def contains(self, name: str, fan_in: int, fan_out: int) -> bool:
        path = self.path(name)
        return path.is_file() and path.stat().st_size == 4 * fan_in * fan_out

    def load(self, name: str, fan_in: int, fan_out: int, draw: Callable[[], torch.Tensor],
             cancel: CancelToken = NEVER) -> torch.Tensor:
        """The (fan_in, fan_out) base matrix `name`, mapped from its file; drawn with `draw` and
        written first if the file is not there. OSError if the folder cannot be used."""
        if not self.contains(name, fan_in, fan_out):
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._locked(name, cancel):
                if not self.contains(name, fan_in, fan_out):  # another kernel may have drawn it meanwhile
                    self._write(name, draw())
        path = self.path(name)
        os.utime(path)  # most recently used: evicted last
        mapped = torch.from_file(str(path), shared=False, size=fan_in * fan_out, dtype=torch.float32)
        return mapped.view(fan_out, fan_in).t()

    @contextlib.contextmanager
    def _locked(self, name: str, cancel: CancelToken) -> Iterator[None]:
        with open(self.folder / f"{name}.lock", "w") as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:  # another kernel is drawing it: wait, abandon if asked to
                    cancel.check()
                    time.sleep(LOCK_POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, name: str, base: torch.Tensor) -> None:
        weight = base.t().contiguous()  # (fan_out, fan_in), torch.nn.init's layout
        self._make_room(weight.numel() * 4)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(memoryview(weight.numpy()).cast("B"))
                out.flush()
                os.fsync(out.fileno())  # a file that has its name has its bytes, even after a crash
            os.replace(temporary, self.path(name))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _make_room(self, incoming: int) -> None:
        """Delete the files used longest ago until `incoming` more bytes fit the budget. A kernel
        that still maps a deleted file keeps its pages; the next one to need it draws it again."""
        files = []
        for path in self.folder.glob("*.f32"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total + incoming <= self.budget_bytes:
                return
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size


def machine_store() -> WeightStore | None:
    """The store every kernel on this machine shares, or None where it is turned off."""
    folder = default_folder()
    return WeightStore(folder) if folder is not None and fcntl is not None else None
