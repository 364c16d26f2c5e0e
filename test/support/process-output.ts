/**
 * Waits for a line in a child process's output, then keeps draining the pipe in the background. (Breaking out of
 * `for await` would cancel the stream and close the pipe, and the child dies of EPIPE at its next log line.)
 */
export async function waitForOutput(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<RegExpMatchArray> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let seen = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`output ended without ${pattern}:\n${seen}`)
    seen += decoder.decode(value)
    const match = seen.match(pattern)
    if (match) {
      void drain(reader)
      return match
    }
  }
}

async function drain(reader: { read(): Promise<{ done: boolean }> }): Promise<void> {
  for (;;) if ((await reader.read()).done) return
}
