#!/usr/bin/env python3
"""png_colors.py — check a PNG's size and that it holds each of the given colours exactly (the pure colour of a
legend swatch or a bar, not a blend). Python's own zlib, no imaging library: the file is unfiltered by hand.

usage: png_colors.py FILE WIDTH HEIGHT [RRGGBB...]   (WIDTH or HEIGHT 0: any; exit 1 with what is missing)
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"{path}: expected 8-bit RGB or RGBA without interlace, got depth {depth} colour type {colour}")
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    pixels, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.append(bytes(line))
        previous = line
    return width, height, channels, pixels


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    width, height, channels, rows = read_png(path)
    problems = []
    if (want_w and width != want_w) or (want_h and height != want_h):
        problems.append(f"size {width}x{height}, expected {want_w}x{want_h}")
    seen = set()
    for line in rows:
        for x in range(0, len(line), channels):
            seen.add(bytes(line[x:x + 3]))
    for colour in sys.argv[4:]:
        if bytes.fromhex(colour) not in seen:
            problems.append(f"no pixel of #{colour}")
    if problems:
        sys.exit(f"{path}: " + "; ".join(problems))


main()
