# SPDX-License-Identifier: BSD-3-Clause
"""Serve a Python function as a worker of `hpar farm --worker` (docs/workers.md).

    from hpar_worker import serve

    def numbers(x, steps=5):
        return [x + k for k in range(1, steps + 1)]

    if __name__ == "__main__":
        serve(numbers, convert=int)

    mpirun -np 2 hpar farm --worker --range 1:1000000 -- python3 numbers_worker.py
    mpirun -np 2 hpar farm --worker --range 1:1000000 -- python3 -m hpar_worker --convert int numbers:numbers

The joined output is that of the serial loop

    for text in inputs:
        value = function(convert(text))
        if value is not None: print(value)

byte for byte: the result of one input is what the function printed while it ran, then its
return value as print() writes it (str(value) and a newline), or as it is when it returned bytes;
None adds nothing. An exception fails the input: its traceback goes to hpar's stderr and the
worker goes on with the next input. Standard library only.
"""

import argparse
import importlib
import io
import json
import os
import sys
import traceback

__all__ = ["serve", "CONVERTERS"]

#: What --convert NAME (and serve's convert=) turns the input text into.
CONVERTERS = {
    "str": str,
    "int": int,
    "float": float,
    "json": json.loads,
    "bytes": lambda text: text.encode("utf-8", "surrogateescape"),
}


def _read_frame(stream):
    """The next input's bytes (`<len>\\n<bytes>`), or None at the end of the inputs."""
    header = stream.readline()
    if not header:
        return None
    length = int(header)
    data = stream.read(length)
    if len(data) != length:
        return None
    return data


def _write_frame(stream, kind, data):
    stream.write(b"%s %d\n" % (kind, len(data)))
    stream.write(data)
    stream.flush()


def _answer(function, convert, data):
    """(kind, bytes) of one input: b"ok" and its output, or b"err" and the traceback."""
    captured = io.BytesIO()
    text_out = io.TextIOWrapper(captured, encoding="utf-8", errors="surrogateescape",
                                newline="\n", write_through=True)
    saved = sys.stdout
    sys.stdout = text_out
    try:
        value = function(convert(data.decode("utf-8", "surrogateescape")))
        if isinstance(value, (bytes, bytearray, memoryview)):
            text_out.flush()
            captured.write(bytes(value))
        elif value is not None:
            print(value, file=text_out)
        text_out.flush()
        return b"ok", captured.getvalue()
    except Exception as error:  # the input fails; the worker goes on (SystemExit ends it)
        frames = error.__traceback__.tb_next  # from the user's function on
        text = "".join(traceback.format_exception(type(error), error, frames))
        return b"err", text.encode("utf-8", "replace")
    finally:
        sys.stdout = saved
        text_out.detach()


def serve(function, convert=str):
    """Answers hpar's inputs with `function(convert(text))` until the end of the inputs.

    `convert` turns the input's text (str) into the function's argument: str (the default),
    int, float, json.loads, or any callable; a failed conversion fails that input. What the
    function prints goes into the input's result (sys.stdout is captured during the call);
    what a subprocess or C code writes to file descriptor 1 goes to stderr, and stdin reads
    as empty (/dev/null), so that nothing breaks the protocol.
    """
    if isinstance(convert, str):
        convert = CONVERTERS[convert]
    inputs = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the function (or a subprocess) reading stdin cannot take the frames
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")
    os.dup2(2, 1)  # stray writes to fd 1 go to stderr, not into the frames
    while True:
        data = _read_frame(inputs)
        if data is None:
            break
        kind, result = _answer(function, convert, data)
        _write_frame(answers, kind, result)
    answers.close()


def _load(spec):
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise SystemExit("hpar_worker: give MODULE:FUNCTION, e.g. numbers:numbers")
    sys.path.insert(0, os.getcwd())
    function = importlib.import_module(module_name)
    for part in function_name.split("."):
        function = getattr(function, part)
    return function


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m hpar_worker",
        description="Serve MODULE:FUNCTION as a worker of 'hpar farm --worker'.")
    parser.add_argument("--convert", choices=sorted(CONVERTERS), default="str",
                        help="what the input text becomes for the function (default: str)")
    parser.add_argument("function", metavar="MODULE:FUNCTION")
    args = parser.parse_args(argv)
    serve(_load(args.function), CONVERTERS[args.convert])


if __name__ == "__main__":
    main()
