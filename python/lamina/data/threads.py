"""The two places a pipeline uses threads: prefetch (a background thread that runs the input
ahead of the consumer) and map(num_parallel_calls=...) (a pool of workers, results in order)."""
import collections
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from lamina.data import structure as S
from lamina.data.dataset import Dataset, AUTOTUNE

_ITEM, _END, _ERROR = 0, 1, 2


class PrefetchDataset(Dataset):
    def __init__(self, input_dataset, buffer_size):
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            buffer_size = 2
        if buffer_size < 0:
            raise ValueError(f"prefetch: buffer_size must be >= 0 or tf.data.AUTOTUNE, got "
                             f"{buffer_size}")
        self._input = input_dataset
        self._buffer = buffer_size

    def _cardinality(self):
        return self._input._cardinality()

    def _spec(self):
        return self._input.element_spec

    def _iter(self):
        if self._buffer == 0:
            yield from self._input._iter()
            return
        yield from _background(self._input._iter, self._buffer)

    def _iter_tensors(self):
        # the thread also turns the elements into tensors (a copy each), off the consumer's path
        if self._buffer == 0:
            return super()._iter_tensors()
        return _background(lambda: (S.to_tensors(e) for e in self._input._iter()), self._buffer)


def _background(make_iter, size):
    """Runs make_iter() on a daemon thread, at most `size` elements ahead. The thread stops when
    the consumer finishes or is dropped (the generator's finally sets `stop`); an exception in the
    input reaches the consumer."""
    q = queue.Queue(maxsize=size)
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for e in make_iter():
                if not put((_ITEM, e)):
                    return
            put((_END, None))
        except BaseException as ex:   # handed to the consumer, raised there
            put((_ERROR, ex))

    thread = threading.Thread(target=work, name="lamina-data-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == _ITEM:
                yield value
            elif kind == _END:
                return
            else:
                raise value
    finally:
        stop.set()


def parallel_map(fn, elements, workers):
    """fn over elements on `workers` threads, results in input order (deterministic)."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lamina-data-map") as pool:
        pending = collections.deque()
        for e in elements:
            pending.append(pool.submit(fn, e))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
