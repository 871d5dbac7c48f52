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
import time
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


class _Answerer:
    """What the function printed, and the answer to a failed input.

    serve sets sys.stdout to `text_out` around each run of inputs, so that what the function
    prints is captured into that input's result (_serve_frames answers each input inline: a
    call per input costs more than numbers(x) itself).
    """

    def __init__(self):
        self.captured = io.BytesIO()
        # write_through: every print reaches `captured` at once (nothing left to flush).
        self.text_out = io.TextIOWrapper(self.captured, encoding="utf-8",
                                         errors="surrogateescape", newline="\n",
                                         write_through=True)

    def printed(self):
        """What the function printed (sys.stdout), taken."""
        self.text_out.flush()
        if not self.captured.tell():
            return b""
        printed = self.captured.getvalue()
        self.captured.seek(0)
        self.captured.truncate()
        return printed

    def failed(self, error):
        """The `err` answer's bytes: the traceback from the user's function on."""
        self.printed()
        frames = error.__traceback__.tb_next
        text = "".join(traceback.format_exception(type(error), error, frames))
        return text.encode("utf-8", "replace")


def _serve_frames(inputs, answers, function, convert):
    """Answers each `<len>\\n<bytes>` frame read from `inputs` until the end of the inputs.

    hpar sends a batch of inputs at once: the frames read are answered in a run (sys.stdout
    captured around it) and their answers written in one go when no whole input is left to
    answer, or 10 ms after the last write, so that a batch of tiny inputs costs one write,
    not one per input, and a long input's answer does not wait for the next one's.
    """
    answerer = _Answerer()
    text_out, tell, printed = answerer.text_out, answerer.captured.tell, answerer.printed
    clock = time.monotonic
    binary = (bytes, bytearray, memoryview)
    buf = b""
    pending = []
    put = pending.append
    while True:
        chunk = os.read(inputs, 1 << 16)
        if not chunk:
            return  # the end of the inputs (a frame cut short included)
        buf = buf + chunk if buf else chunk
        pos = 0
        last = clock()
        saved = sys.stdout
        sys.stdout = text_out
        try:
            while True:
                newline = buf.find(b"\n", pos)
                if newline < 0:
                    break
                end = newline + 1 + int(buf[pos:newline])
                if end > len(buf):
                    break
                data = buf[newline + 1:end]
                pos = end
                try:  # the input fails; the worker goes on (SystemExit ends it)
                    try:
                        text = data.decode()
                    except UnicodeDecodeError:  # not UTF-8: its bytes kept as surrogates
                        text = data.decode("utf-8", "surrogateescape")
                    value = function(convert(text))
                    if value is None:
                        result = b""
                    elif isinstance(value, binary):
                        result = bytes(value)
                    else:
                        result = str(value) + "\n"
                        try:
                            result = result.encode()
                        except UnicodeEncodeError:  # surrogates: an input's own bytes back
                            result = result.encode("utf-8", "surrogateescape")
                except Exception as error:
                    result = answerer.failed(error)
                    put(b"err %d\n" % len(result))
                    put(result)
                else:
                    if tell():
                        result = printed() + result
                    put(b"ok %d\n" % len(result))
                    put(result)
                if clock() - last > 0.01:
                    answers.write(b"".join(pending))
                    answers.flush()
                    pending.clear()
                    last = clock()
        finally:
            sys.stdout = saved
        buf = buf[pos:]
        if pending:  # nothing whole left: what is answered goes, then wait for more
            answers.write(b"".join(pending))
            pending.clear()
        answers.flush()


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
    inputs = os.dup(0)
    answers = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the function (or a subprocess) reading stdin cannot take the frames
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")
    os.dup2(2, 1)  # stray writes to fd 1 go to stderr, not into the frames
    _serve_frames(inputs, answers, function, convert)
    answers.close()
    os.close(inputs)


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
