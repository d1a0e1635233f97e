"""What a screenshot shows, read without an imaging library: a PNG decoded to an array of pixels."""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _unfilter(raw: bytes, width: int, height: int, channels: int) -> np.ndarray:
    """Undo the per-row PNG filters (none, sub, up, average, Paeth) of 8-bit pixels."""
    stride = width * channels
    out = bytearray(height * stride)
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1:start + 1 + stride]
        row = bytearray(line)
        if kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind in (1, 3, 4):  # these depend on the byte one pixel to the left: in order
            for x in range(stride):
                left = row[x - channels] if x >= channels else 0
                up = previous[x]
                if kind == 1:
                    guess = left
                elif kind == 3:
                    guess = (left + up) >> 1
                else:
                    corner = previous[x - channels] if x >= channels else 0
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    guess = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                row[x] = (line[x] + guess) & 0xFF
        out[y * stride:(y + 1) * stride] = row
        previous = bytes(row)
    return np.frombuffer(bytes(out), np.uint8).reshape(height, width, channels)


def decode_png(data: bytes) -> np.ndarray:
    """(height, width, 3) RGB of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, header = 8, b"", None
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        tag, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    return _unfilter(zlib.decompress(idat), width, height, channels)[..., :3]


def coloured_share(png: bytes, white_above: int = 245) -> float:
    """The share of a screenshot's pixels that are not (near) white."""
    pixels = decode_png(png)
    return float((pixels.min(axis=2) < white_above).mean())
