"""`trainlab serve`: the labs served by Voila, for one person or a classroom.

app.py runs Voila; options.py checks the command line; network.py and capacity.py give the
address and the kernel cap; kernel_manager.py runs inside Voila and manages the kernels.
Importing this package loads no widget or torch code, so `trainlab serve` starts quickly.
"""

from trainlab.serve.app import serve
from trainlab.serve.options import add_serve_arguments

__all__ = ["add_serve_arguments", "serve"]
