"""The private parts of Voila and jupyter_server that the serve package builds on, each checked by
name: when an upgrade moves one, this fails saying which, instead of the server misbehaving.
pyproject bounds Voila to 0.5.x (`voila>=0.5.13,<0.6`, the version these were read from)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
from traitlets import Unicode
from traitlets.config import LoggingConfigurable
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler
from voila.voila_kernel_manager import voila_kernel_manager_factory

from trainlab.serve.app import TEMPLATES
from trainlab.serve.kernel_manager import TrainlabKernelManager


def _has(owner: object, name: str) -> object:
    assert hasattr(owner, name), f"{getattr(owner, '__name__', owner)}.{name} is gone"
    return getattr(owner, name)


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)


class _VoilaApp(LoggingConfigurable):
    """What Voila's pooling kernel manager reads of its parent, the Voila app."""

    root_dir = Unicode()
    notebook_path = Unicode(None, allow_none=True)
    base_url = Unicode("/")
    server_url = Unicode("/")


def test_voilas_pooling_kernel_manager_has_what_trainlabs_relies_on(tmp_path):
    """kernel_manager.py: Voila builds its pooling manager on our class and keeps `_pools` (start-up
    tasks per notebook), `fill_if_needed(notebook_name=)` and `get_rendered_notebook(notebook_name)`,
    which ours wraps to hand out only kernels that have run their notebook."""
    assert _parameters(voila_kernel_manager_factory)[:3] == ["base_class", "preheat_kernel", "default_pool_size"]
    pooling = voila_kernel_manager_factory(TrainlabKernelManager, True, 1)
    assert issubclass(pooling, TrainlabKernelManager)
    assert "notebook_name" in _parameters(_has(pooling, "fill_if_needed"))
    assert _parameters(_has(pooling, "get_rendered_notebook"))[1] == "notebook_name"
    manager = pooling(parent=_VoilaApp(root_dir=str(tmp_path)))  # an empty folder: no pool to fill
    assert isinstance(_has(manager, "_pools"), dict), "VoilaKernelManager._pools"
    assert manager.get_rendered_notebook.__qualname__.startswith("TrainlabKernelManager."), (
        "TrainlabKernelManager no longer wraps VoilaKernelManager.get_rendered_notebook")


def test_voila_takes_our_websocket_connection_and_handlers():
    """app.py passes --Voila.kernel_websocket_connection_class; voila_app.py swaps Voila's
    TemplateStaticFileHandler in the list Voila.init_handlers returns."""
    assert "kernel_websocket_connection_class" in Voila.class_traits(config=True), "Voila.kernel_websocket_connection_class"
    _has(Voila, "init_handlers")
    _has(Voila, "init_settings")
    assert _parameters(_has(TemplateStaticFileHandler, "parse_url_path")) == ["self", "path"]


def test_jupyter_servers_websocket_connection_has_what_ours_overrides():
    """connection.py: jupyter_server's connection calls prepare() before the upgrade, connect() and
    disconnect() around the socket's life, and sends through a `write_message` property."""
    for method in ("prepare", "connect", "disconnect", "handle_incoming_message", "handle_outgoing_message"):
        _has(ZMQChannelsWebsocketConnection, method)
    assert isinstance(inspect.getattr_static(ZMQChannelsWebsocketConnection, "write_message"), property), (
        "ZMQChannelsWebsocketConnection.write_message is no longer a property")


def test_jupyter_servers_offline_buffer_is_the_dict_we_bound():
    """kernel_manager.py replaces the list in MappingKernelManager._kernel_buffers[kernel]["buffer"]."""
    assert _parameters(MappingKernelManager.start_buffering) == ["self", "kernel_id", "session_key", "channels"]
    buffers = _has(MappingKernelManager(), "_kernel_buffers")
    assert buffers["a kernel"] == {"buffer": [], "session_key": "", "channels": {}}, "MappingKernelManager._kernel_buffers"


def _voila_lab_template() -> str:
    for root in jupyter_path():
        template = Path(root) / "voila" / "templates" / "lab" / "index.html.j2"
        if template.is_file():
            return template.read_text()
    pytest.fail("Voila's lab template (voila/templates/lab/index.html.j2) is gone")


def test_voilas_lab_template_has_the_cdn_links_ours_removes():
    """Our page template removes these links from Voila's as Voila writes them."""
    ours = (TEMPLATES / "voila" / "templates" / "trainlab" / "index.html.j2").read_text()
    removed = re.findall(r"replace\('(<link [^']*)'", ours)
    assert len(removed) == 2, removed
    lab = _voila_lab_template()
    assert "{%- block notebook_css -%}" in lab, "the notebook_css block of Voila's lab template"
    for link in removed:
        assert link in lab, f"Voila's lab template no longer has {link}"
