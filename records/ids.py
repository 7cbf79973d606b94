"""Time-ordered ids (UUID version 7, RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter,
then random bits, so ids sort by creation time. Python's uuid module has uuid7 only from 3.14.

Within one millisecond the counter (RFC 9562, method 1: a fixed-length dedicated counter)
keeps the ids of one process in the order they were made, so the records of one batch list
in operation order under `sort=id`."""

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_milliseconds = -1
_counter = 0
COUNTER_BITS = 12


def uuid7() -> uuid.UUID:
    global _last_milliseconds, _counter
    random_bits = int.from_bytes(os.urandom(8), "big")
    with _lock:
        milliseconds = max(time.time_ns() // 1_000_000, _last_milliseconds)
        if milliseconds == _last_milliseconds:
            _counter += 1
            if _counter >> COUNTER_BITS:  # 4,096 ids in one millisecond: borrow the next one
                milliseconds += 1
                _counter = 0
        else:
            _counter = random_bits >> (64 - COUNTER_BITS + 1)  # a random start in the lower half
        _last_milliseconds = milliseconds
        counter = _counter
    value = (milliseconds & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= counter << 64  # rand_a: the counter, 12 bits
    value |= 0b10 << 62  # variant
    value |= random_bits & ((1 << 62) - 1)  # rand_b, 62 bits
    return uuid.UUID(int=value)
