"""A byte budget shared by every reply body of an evaluation that is being read.

A per-body cap alone lets memory grow to the cap times the concurrency (16 GiB for
64 MiB bodies at 256 requests in flight) when a hostile or broken generator streams
endless bodies. Readers reserve each chunk before keeping it; when the budget is
spent they wait instead of allocating.

Waiting readers hold what they have read so far, so a budget shared out in pieces
could leave every reader waiting on the others. One reader at a time, the leader,
draws from a reserve of one whole body that nobody else touches: it always finishes
(or fails its body cap) without waiting, and what it held goes back to the others."""

from __future__ import annotations

import asyncio


class ByteBudget:
    def __init__(self, total_bytes: int, largest_body_bytes: int) -> None:
        if not 0 < largest_body_bytes <= total_bytes:
            raise ValueError(
                f"a byte budget of {total_bytes} cannot hold a body of {largest_body_bytes} bytes"
            )
        self.total_bytes = total_bytes
        self.largest_body_bytes = largest_body_bytes
        self._shared_free = total_bytes - largest_body_bytes
        self._leader: Lease | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self.in_use = 0
        self.peak = 0

    def lease(self) -> Lease:
        """One reply body's chunks and what they reserve, all given up when it closes."""
        return Lease(self)

    def _take(self, lease: Lease, size: int) -> bool:
        if size <= self._shared_free:
            self._shared_free -= size
            lease.shared += size
        elif self._leader is None or self._leader is lease:
            # The body cap (checked before reserving) keeps the leader within its reserve.
            self._leader = lease
            lease.reserve += size
        else:
            return False
        self.in_use += size
        self.peak = max(self.peak, self.in_use)
        return True

    async def _reserve(self, lease: Lease, size: int) -> None:
        while not self._take(lease, size):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                self._waiters.remove(waiter)

    def _release(self, lease: Lease) -> None:
        self._shared_free += lease.shared
        self.in_use -= lease.shared + lease.reserve
        lease.shared = lease.reserve = 0
        if self._leader is lease:
            self._leader = None
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)


class Lease:
    def __init__(self, budget: ByteBudget) -> None:
        self._budget = budget
        self.shared = 0
        self.reserve = 0
        self._chunks: list[bytes] = []

    async def keep(self, chunk: bytes) -> None:
        """Reserve the chunk's bytes, waiting while the budget is spent, and hold it."""
        await self._budget._reserve(self, len(chunk))
        self._chunks.append(chunk)

    def body(self) -> bytes:
        return b"".join(self._chunks)

    def close(self) -> None:
        # The chunks go with the reservation: a failed read's traceback keeps its frame,
        # and so a list held there, alive until the garbage collector finds the cycle.
        self._chunks.clear()
        self._budget._release(self)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
