/**
 * HTTP/1.1 spoken over a plain TCP socket, for what fetch() cannot show: how many body bytes a client had sent
 * when the server answered, and what Bun itself answers to a request line or headers it refuses to parse.
 */
import { connect, type Socket } from 'node:net'

export type RawResponse = { status: number; headers: Record<string, string>; body: string }

const CHUNK = Buffer.alloc(64 * 1024, 0x61)

function parseResponse(raw: string): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n')
  const [statusLine = '', ...headerLines] = raw.slice(0, headEnd === -1 ? undefined : headEnd).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: headEnd === -1 ? '' : raw.slice(headEnd + 4),
  }
}

async function open(baseUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl)
  const socket = connect(Number(port), hostname)
  socket.on('error', () => {}) // a server that answered early may reset the connection; what it sent counts
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return socket
}

/** Everything the server sends until it closes the connection (the request asks it to). */
function collect(socket: Socket): Promise<string> {
  let raw = ''
  socket.on('data', (data: Buffer) => {
    raw += data.toString('latin1')
  })
  return new Promise((resolve) => socket.once('close', () => resolve(raw)))
}

/** Sends `head` (request line and headers, ending in a blank line) and nothing else. */
export async function sendHead(baseUrl: string, head: string): Promise<RawResponse> {
  const socket = await open(baseUrl)
  const received = collect(socket)
  socket.write(head)
  return parseResponse(await received)
}

/**
 * Sends `head` announcing a body of `bodyBytes`, then the body in 64 KiB chunks, yielding to the event loop
 * (where the in-process server runs) after each, and stops as soon as the first response byte arrives.
 * `bodyBytesSentBeforeAnswer` is what the client had written by then: a server that answers from the headers
 * alone answers after a few chunks; one that reads the body first answers only after all of it.
 */
export async function sendUntilAnswered(
  baseUrl: string,
  head: string,
  bodyBytes: number,
): Promise<{ response: RawResponse; bodyBytesSentBeforeAnswer: number }> {
  const socket = await open(baseUrl)
  let sent = 0
  let sentBeforeAnswer: number | undefined
  socket.once('data', () => {
    sentBeforeAnswer = sent
  })
  const received = collect(socket)
  const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()))
  socket.write(head)
  while (sent < bodyBytes && sentBeforeAnswer === undefined && !socket.destroyed) {
    const size = Math.min(CHUNK.length, bodyBytes - sent)
    const isFlushed = socket.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size))
    sent += size
    const drained = isFlushed
      ? new Promise((resolve) => setImmediate(resolve))
      : new Promise((resolve) => socket.once('drain', resolve))
    await Promise.race([drained, answered])
  }
  await answered
  socket.end()
  const response = parseResponse(await received)
  return { response, bodyBytesSentBeforeAnswer: sentBeforeAnswer ?? sent }
}
