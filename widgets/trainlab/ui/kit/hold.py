"""Telling the program's own widget changes from the user's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class Hold:
    """`with hold():` marks widget changes made inside as the program's; observers check `active`
    and skip them, so setting several controls at once triggers one recompute, not one each."""

    def __init__(self) -> None:
        self.active = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        self.active = True
        try:
            yield
        finally:
            self.active = False
