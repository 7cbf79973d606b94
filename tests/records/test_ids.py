"""Record ids: UUID version 7, in the order they were made, even within one millisecond."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from records.ids import uuid7


def test_ids_made_in_a_row_sort_in_that_order():
    ids = [uuid7() for _ in range(20_000)]  # many per millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {uuid.RFC_4122}


def test_the_time_prefix_is_the_current_millisecond():
    before = time.time_ns() // 1_000_000
    made = uuid7().int >> 80
    after = time.time_ns() // 1_000_000
    assert before <= made <= after + 1  # +1: a full counter borrows the next millisecond


def test_threads_never_share_an_id():
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [uuid7() for _ in range(2_000)], range(8)))
    everything = [i for batch in batches for i in batch]
    assert len(set(everything)) == len(everything)
    assert all(batch == sorted(batch) for batch in batches)
