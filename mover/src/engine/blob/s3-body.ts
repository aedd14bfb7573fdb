// Reading a GET's body into one buffer of the size the response announced. The SDK's own
// transformToByteArray collects every socket chunk in a list and then copies them into a fresh, zeroed
// array: twice the memory while it copies, and an extra pass over every byte (a restore's 8 MiB pack ranges
// from S3 spent more CPU there than in the copy into the socket buffer). Here each chunk is copied once,
// into its place.
import type { Readable } from 'node:stream';

/** The body as a byte array; `expected` (the range or Content-Length) sizes the buffer up front. */
export async function readBody(body: unknown, expected: number | undefined): Promise<Uint8Array> {
  if (expected === undefined || !isAsyncIterable(body)) return (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
  let out = Buffer.allocUnsafeSlow(expected);
  let pos = 0;
  for await (const chunk of body) {
    const bytes = chunk as Uint8Array;
    if (pos + bytes.length > out.length) {
      // more than announced: keep every byte so the caller's length check reports it (never happens with
      // a well-behaved server; HTTP framing normally fails first)
      const bigger = Buffer.allocUnsafeSlow(Math.max(pos + bytes.length, out.length * 2));
      out.copy(bigger, 0, 0, pos);
      out = bigger;
    }
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return pos === out.length ? out : out.subarray(0, pos);
}

function isAsyncIterable(x: unknown): x is Readable {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}
