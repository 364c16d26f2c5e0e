/**
 * A network link with latency, for the `replica` lab: a TCP relay on a free port of 127.0.0.1 that delivers every
 * chunk `delayMs` after it arrived, in order, in both directions (what a replica in another region sees; `tc netem`
 * does the same in the kernel, and needs root). Bytes are passed through untouched, so any protocol works over it
 * (here sqld's replication gRPC over HTTP/2). Writes go through node:net, which buffers what the far side has not
 * taken yet, so nothing is dropped.
 */
import { createConnection, createServer, type Socket } from 'node:net'

export type DelayedLink = {
  /** `http://127.0.0.1:PORT`: where to connect instead of the target */
  url: string
  close(): Promise<void>
}

export async function openDelayedLink(
  target: { host: string; port: number },
  delayMs: number,
): Promise<DelayedLink> {
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  // same delay for every chunk of a direction, so the timers fire in arrival order
  const later = (deliver: () => void) => setTimeout(deliver, delayMs)
  const relay = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => later(() => to.destroyed || to.write(chunk)))
    from.on('end', () => later(() => to.end()))
    from.on('close', () => later(() => to.destroy()))
    from.on('error', () => to.destroy())
  }
  const server = createServer((near) => {
    const far = createConnection(target)
    track(near)
    track(far)
    relay(near, far)
    relay(far, near)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
