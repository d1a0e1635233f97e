"""The Voila application `trainlab serve` runs (`python -m trainlab.serve.voila_app LABS ...`):
Voila 0.5 with two of its rough edges filed off and trainlab's plotly.js bundles served
(plotly_route.py), everything else configured on its command line.

- Its handler of template files (/voila/templates/<template>/static/<file>) answered 500 to a path
  it could not split (`..%2f..`, a missing `static/`, a path that climbs out): an assertion or an
  unpacking error, logged as a server error with a traceback. Such a path is now a plain 404.
- Reading a notebook, jupyter_server's contents manager warns "Notebook ... is not trusted" (seven
  times at start with the pools, once per page after). Trust decides whether JupyterLab shows a
  notebook's saved HTML and JavaScript outputs; Voila runs the notebook and marks its outputs
  trusted itself, so the warning says nothing about what a visitor sees, and it is dropped.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from tornado import web
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler

from trainlab.serve.plotly_route import plotly_js_rules


class TemplateFileHandler(TemplateStaticFileHandler):
    """Voila's handler of template files, with 404 for a path that is not
    <template>/static/<file> inside the template's folders."""

    def parse_url_path(self, url_path: str) -> str:
        parts = os.path.normpath(url_path).split(os.path.sep, 2)
        if len(parts) < 3 or parts[1] != "static" or parts[0] in ("", ".", "..") or parts[2].startswith(".."):
            raise web.HTTPError(404)
        return super().parse_url_path(url_path)


class NotTrustedFilter(logging.Filter):
    """Drops the contents manager's "Notebook ... is not trusted" warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Notebook %s is not trusted"


class TrainlabVoila(Voila):
    """Voila, with the template file handler and the log filter above, and the plotly.js bundles."""

    def init_settings(self) -> dict[str, Any]:
        self.log.addFilter(NotTrustedFilter())
        return super().init_settings()

    def init_handlers(self) -> list[Any]:
        return [*plotly_js_rules(self.server_url),
                *[(rule[0], TemplateFileHandler, *rule[2:]) if rule[1] is TemplateStaticFileHandler else rule
                  for rule in super().init_handlers()]]


main = TrainlabVoila.launch_instance

if __name__ == "__main__":
    main()
