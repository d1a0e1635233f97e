"""The kernel websocket connection `trainlab serve` gives Voila (its kernel_websocket_connection_class):
jupyter_server's connection between a page's websocket and its kernel, hardened against what a
visitor can send and against what a kernel sends a page.

- Only the v1 kernel websocket protocol (`v1.kernel.websocket.jupyter.org`, what Voila's page and
  JupyterLab ask for). On the old protocol Voila 0.5.13's handler reads every binary frame the
  kernel sends as a v1 frame (`read_header_from_binary_message`): the first 8 bytes of an old
  frame make an offset count near 8.6e17 and the server loops building that list, frozen, its
  memory growing, until it is killed. A widget answering with a binary buffer (PlotlyView's
  plotly.js) was enough. A websocket that does not ask for v1 is refused before the upgrade.
- Every binary frame a page sends is checked before jupyter_server parses it: its parser
  (`deserialize_msg_from_ws_v1`) builds a list as long as the frame's first 8 bytes say, so one
  small frame froze the server the same way. A malformed frame is dropped with a log line.
- What the server holds for one socket is bounded: tornado buffers every message for a page that
  does not read them, with no limit; past `write_buffer_limit` the socket is closed.
- Python tracebacks do not reach the page: an iopub `stream` on stderr (the kernel prints an
  exception in a comm handler there) and an `error` message (an exception in a widget's observer)
  go out as HIDDEN_ERROR, the original is logged on the server. Voila's show_tracebacks=False
  covers only the cells it runs; jupyter_server's allow_tracebacks=False is left alone: its
  _on_error reads traceback_replacement_message from the kernel's own manager, which has none.
- At most MAX_SOCKETS_PER_KERNEL websockets to one kernel: each costs the server four ZMQ sockets
  of the 1023 its ZMQ context allows, and 300 to one kernel left none for anyone else's page.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from typing import Any, ClassVar

from jupyter_client.session import DELIM
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from tornado import web
from tornado.iostream import StreamBufferFullError
from traitlets import Integer

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
CHANNELS = tuple(name.encode() for name in ("shell", "control", "stdin", "iopub"))
MESSAGE_PARTS = 4  # header, parent header, metadata, content; binary buffers follow
MAX_BUFFERS = 1024  # binary buffers of one message from a page; widgets send a few
MB = 1024 * 1024
MAX_SOCKETS_PER_KERNEL = 4  # kernel websockets open at once to one kernel; a page uses one
HIDDEN_ERROR = "The lab hit an error; details are in the server log."
LOGGED_ERROR_CHARS = 4000  # of a hidden error's text, in the server log
TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours a traceback for a terminal


def v1_frame_problem(frame: bytes | str) -> str | None:
    """Why `frame` is not a well-formed v1 kernel message from a page, None if it is.

    The layout: an 8-byte little-endian count n of offsets, n 8-byte offsets, then the channel,
    header, parent header, metadata, content and binary buffers, each part from its offset to the
    next (the last offset is the end of the last part)."""
    if isinstance(frame, str):
        return "a text frame (the v1 protocol sends binary frames)"
    if len(frame) < 8:
        return f"{len(frame)} bytes, too short for the offset count"
    count = int.from_bytes(frame[:8], "little")
    least, most = 1 + MESSAGE_PARTS + 1, 1 + MESSAGE_PARTS + MAX_BUFFERS + 1
    if not least <= count <= most:
        return f"{count} offsets, not {least} to {most}"
    table_end = 8 * (count + 1)
    if table_end > len(frame):
        return f"its {count} offsets run past the frame's {len(frame)} bytes"
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    if offsets[0] < table_end or any(later < earlier for earlier, later in zip(offsets, offsets[1:])):
        return "its offsets are not increasing from the end of the offset table"
    if offsets[-1] > len(frame):
        return f"an offset ({offsets[-1]}) past the frame's {len(frame)} bytes"
    if frame[offsets[0]:offsets[1]] not in CHANNELS:
        return "no such channel"
    return None


def _retrieve_exception(future: Any) -> None:
    if not future.cancelled():
        future.exception()


def offered_subprotocols(header: str | None) -> list[str]:
    """The subprotocols a websocket request's Sec-WebSocket-Protocol header offers."""
    return [part.strip() for part in (header or "").split(",") if part.strip()]


class TrainlabKernelConnection(ZMQChannelsWebsocketConnection):
    """jupyter_server's kernel websocket connection, with the guards in this module's docstring."""

    write_buffer_limit = Integer(
        64 * MB, config=True,
        help="Bytes the server may hold for one kernel websocket whose page does not read them; past this the "
             "socket is closed. A page gets plotly.js (4.8 MB) once and small figure updates.")

    # Per kernel, its connections that passed prepare() and have not disconnected. Weak, so that a
    # request that failed before it became a websocket does not keep its place.
    _sockets: ClassVar[defaultdict[str, weakref.WeakSet[TrainlabKernelConnection]]] = defaultdict(weakref.WeakSet)

    async def prepare(self) -> None:
        """Refuse, before the upgrade, a websocket that does not ask for the v1 protocol or one
        too many for its kernel."""
        offered = offered_subprotocols(self.websocket_handler.request.headers.get("Sec-WebSocket-Protocol"))
        if V1_PROTOCOL not in offered:
            self.log.warning("Refused a kernel websocket for %s: it asked for %s, not %s", self.kernel_id,
                             offered or "no subprotocol", V1_PROTOCOL)
            raise web.HTTPError(400, f"This server speaks only the {V1_PROTOCOL} kernel websocket protocol")
        sockets = self._sockets[self.kernel_id]
        if len(sockets) >= MAX_SOCKETS_PER_KERNEL:
            self.log.warning("Refused a kernel websocket for %s: it has %d already", self.kernel_id, len(sockets))
            raise web.HTTPError(429, f"This kernel has {len(sockets)} websockets already")
        sockets.add(self)  # no await since the count: websockets that arrive together are counted
        try:
            await super().prepare()
        except BaseException:
            self._forget()
            raise

    def connect(self) -> Any:
        # The socket's stream exists once the upgrade is done, which is before connect().
        self.websocket_handler.ws_connection.stream.max_write_buffer_size = self.write_buffer_limit
        return super().connect()

    def disconnect(self) -> None:
        self._forget()
        super().disconnect()

    def _forget(self) -> None:
        sockets = self._sockets.get(self.kernel_id)
        if sockets is not None:
            sockets.discard(self)
            if not sockets:
                del self._sockets[self.kernel_id]

    @property
    def write_message(self) -> Any:
        """What jupyter_server calls to send the page a message: the handler's, bounded."""
        return self._write_bounded

    def _write_bounded(self, message: bytes | str, binary: bool = False) -> Any:
        try:
            written = self.websocket_handler.write_message(message, binary=binary)
        except StreamBufferFullError:
            self.log.warning("Closed the websocket of kernel %s: its page left more than %d MB unread",
                             self.kernel_id, self.write_buffer_limit // MB)
            self.websocket_handler.ws_connection.stream.close()
            return None
        if written is not None:
            # A write still queued when the socket closes fails; nothing waits for it, and asyncio
            # would log a traceback for each ("Task exception was never retrieved").
            written.add_done_callback(_retrieve_exception)
        return written

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        problem = v1_frame_problem(incoming_msg)
        if problem is not None:
            self.log.warning("Dropped a malformed message from the page of kernel %s: %s", self.kernel_id, problem)
            return
        super().handle_incoming_message(incoming_msg)

    def handle_outgoing_message(self, stream: Any, outgoing_msg: list[Any]) -> None:
        channel = stream if isinstance(stream, str) else getattr(stream, "channel", None)
        if channel == "iopub":
            outgoing_msg = self._without_tracebacks(outgoing_msg)
        super().handle_outgoing_message(stream, outgoing_msg)

    def _without_tracebacks(self, msg_list: list[Any]) -> list[Any]:
        """The kernel's message `msg_list` (ZMQ parts) with stderr text and an error's traceback
        replaced by HIDDEN_ERROR, the original logged. Its signature is not redone: on the v1
        protocol nothing checks it past this point."""
        identities, parts = self.session.feed_identities(msg_list)
        msg_type = self.session.unpack(parts[1]).get("msg_type")
        if msg_type not in ("stream", "error"):
            return msg_list
        content = self.session.unpack(parts[4])
        if msg_type == "stream":
            if content.get("name") != "stderr":
                return msg_list
            original = str(content.get("text", ""))
            content["text"] = HIDDEN_ERROR + "\n"
        else:
            original = "\n".join(map(str, content.get("traceback") or [f"{content.get('ename')}: {content.get('evalue')}"]))
            content.update(ename="Error", evalue=HIDDEN_ERROR, traceback=[HIDDEN_ERROR])
        self.log.error("Kernel %s (hidden from its page):\n%s", self.kernel_id,
                       TERMINAL_COLOURS.sub("", original)[:LOGGED_ERROR_CHARS])
        return [*identities, DELIM, *parts[:4], self.session.pack(content), *parts[5:]]
