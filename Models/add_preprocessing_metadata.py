#!/usr/bin/env python3
"""Records a model's input preprocessing in its ONNX metadata_props (key "ilgpu-int8.preprocessing").

The ONNX ModelProto's metadata_props is field 14, a repeated StringStringEntryProto (key = 1, value = 2). Protobuf
concatenates repeated fields, so appending one encoded entry to the file adds it without the onnx package (which the
machines here lack). Usage: add_preprocessing_metadata.py MODEL.onnx "scale=...;mean=...;std=...;layout=NCHW".
An entry already present with the same text is not added again.
"""
import sys

KEY = "ilgpu-int8.preprocessing"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def add(path, value):
    entry = field(1, KEY.encode()) + field(2, value.encode())
    record = field(14, entry)
    with open(path, "rb") as f:
        data = f.read()
    if data.endswith(record):
        return False
    with open(path, "ab") as f:
        f.write(record)
    return True


if __name__ == "__main__":
    print("added" if add(sys.argv[1], sys.argv[2]) else "already there")
