/**
 * At most `lanes` writes of this process in flight to the libSQL server at once; the others wait here, in arrival
 * order. The server runs one write at a time anyway and refuses the ones that find its lock taken (SQLITE_BUSY):
 * 200 concurrent orders sent at once turned into a storm of refusals and resends, each a full round trip, and
 * deadlines passed with the server busy answering "busy". A few lanes keep the server fed (the next batch is on
 * the wire while one commits) without the storm. Waiting counts toward the caller's deadline.
 *
 * A write the caller gave up on (its deadline passed) keeps its lane until the server answers it: the server is
 * still working on it, and handing the lane to the next writer at once would pile more work onto a server that is
 * already late (more timeouts, more piling: a slowdown that feeds itself).
 */
export class WriteLanes {
  private active = 0
  private readonly waiting: { admit: () => void; timer: ReturnType<typeof setTimeout> }[] = []

  constructor(private readonly lanes: number) {}

  /**
   * Runs `work` in a lane; rejects with `onTimeout()` if no lane frees up before `deadline` (epoch ms). `work` calls
   * `hold(request)` for each request it sends: the lane is freed once `work` is done AND those have settled.
   */
  async run<T>(
    work: (hold: (request: Promise<unknown>) => void) => Promise<T>,
    deadline: number,
    onTimeout: () => Error,
  ): Promise<T> {
    if (this.active >= this.lanes) await this.waitForLane(deadline, onTimeout)
    else this.active++
    const held: Promise<unknown>[] = []
    try {
      return await work((request) => held.push(request))
    } finally {
      void Promise.allSettled(held).then(() => this.release())
    }
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) {
      clearTimeout(next.timer)
      next.admit() // the lane passes to the next writer: `active` stays
    } else this.active--
  }

  private waitForLane(deadline: number, onTimeout: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = {
        admit: resolve,
        timer: setTimeout(
          () => {
            this.waiting.splice(this.waiting.indexOf(waiter), 1)
            reject(onTimeout())
          },
          Math.max(0, deadline - Date.now()),
        ),
      }
      this.waiting.push(waiter)
    })
  }
}
