"""plotly.js for trainlab's Voila pages: its bundles (figures/plotly_bundles.py) at voila/trainlab/<file>.

Why not the jupyterlab-plotly extension: Voila loads every front-end extension of a page before
it connects the page to its kernel, and jupyterlab-plotly's comes in one 4.8 MB chunk with the whole
of plotly.js in it, so every page open waited for that chunk, and then for plotly.js to start (0.5-1.5 s
of the page's main thread). trainlab's pages leave the extension out (serve/app.py,
PAGE_EXTENSIONS). Its page template tells the page where the bundles are and fetches the smallest
one while the page starts; each plot loads the one its figure needs (ui/kit/static/plotly_view.js).

Served by `trainlab serve` (voila_app.py) and, as a Jupyter server extension, by the Jupyter server
on Binder (binder/jupyter_config.json). Notebooks in JupyterLab and Notebook 7 get plotly.js from
jupyterlab-plotly, as before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import PublicStaticFileHandler
from jupyter_server.utils import url_path_join

from trainlab.figures.plotly_bundles import BUNDLES, FULL, full_bundle_path

ROUTE = "voila/trainlab/"  # under the server's base URL; the page template names it too
VENDORED = Path(__file__).resolve().parent / "static"


def bundle_folder(file: str) -> Path:
    """Where a bundle's file is: plotly.py's own copy of the full bundle, the partial ones vendored."""
    return full_bundle_path().parent if file == FULL.file else VENDORED


def plotly_js_rules(base_url: str) -> list[tuple[str, type, dict[str, Any]]]:
    """The tornado rules that serve every bundle at ROUTE under `base_url`."""
    return [(url_path_join(base_url, ROUTE, f"({re.escape(bundle.file)})"), PublicStaticFileHandler,
             {"path": str(bundle_folder(bundle.file))}) for bundle in BUNDLES]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "trainlab.serve.plotly_route"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.web_app.add_handlers(".*$", plotly_js_rules(serverapp.base_url))
