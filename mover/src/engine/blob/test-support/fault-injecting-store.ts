// Test-only wrapper that makes chosen operations fail, return corrupted or truncated data, or stall,
// so tests can prove how upper layers behave under storage faults (a lost upload response, bit rot,
// a throttling burst) against a real store underneath. Counts every call per operation.
import type { BlobMetadata, BlobStore, ByteRange, PutOptions } from '../blob-store.ts';

export type BlobOperation = 'get' | 'stat' | 'list' | 'put' | 'delete';

export type Fault =
  /** Throw before the call reaches the inner store (list: after `afterItems` items, default 0). */
  | { readonly kind: 'fail'; readonly error: (op: BlobOperation, id: string) => Error; readonly afterItems?: number }
  /** Perform the call, then throw: the write happened but the caller never learns it (lost response). */
  | { readonly kind: 'failAfter'; readonly error: (op: BlobOperation, id: string) => Error }
  /** get: flip all bits of one byte of the returned data; put: of the stored data (default: middle byte). */
  | { readonly kind: 'corrupt'; readonly offset?: number }
  /** get: return only the first `length` bytes; put: store only the first `length` bytes. */
  | { readonly kind: 'truncate'; readonly length: number }
  /** Wait before performing the call. */
  | { readonly kind: 'delay'; readonly ms: number };

export interface FaultRule {
  readonly op: BlobOperation | readonly BlobOperation[];
  /** Which blob IDs (list: prefixes) it applies to: a string is an ID prefix. Default: all. */
  readonly match?: string | RegExp | ((id: string) => boolean);
  /** Let this many matching calls through before firing (default 0). */
  readonly skip?: number;
  /** Fire at most this many times (default: unlimited). */
  readonly times?: number;
  readonly fault: Fault;
}

export interface FaultHandle {
  /** How many times the rule fired. */
  readonly fired: number;
  remove(): void;
}

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
  fired: number;
}

export class FaultInjectingBlobStore implements BlobStore {
  readonly inner: BlobStore;
  /** Calls per operation, counted whether or not a fault fired. */
  readonly calls: Record<BlobOperation, number> = { get: 0, stat: 0, list: 0, put: 0, delete: 0 };
  private rules: ActiveRule[] = [];

  constructor(inner: BlobStore) {
    this.inner = inner;
  }

  get description(): string {
    return this.inner.description;
  }

  inject(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { rule, seen: 0, fired: 0 };
    this.rules.push(active);
    return {
      get fired() {
        return active.fired;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** Picks the first rule that applies to this call and consumes one firing of it. */
  private take(op: BlobOperation, id: string): Fault | undefined {
    this.calls[op]++;
    for (const r of this.rules) {
      const ops = typeof r.rule.op === 'string' ? [r.rule.op] : r.rule.op;
      if (!ops.includes(op) || !matches(r.rule.match, id)) continue;
      r.seen++;
      if (r.seen <= (r.rule.skip ?? 0)) continue;
      if (r.fired >= (r.rule.times ?? Infinity)) continue;
      r.fired++;
      return r.rule.fault;
    }
    return undefined;
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    const fault = this.take('get', id);
    const data = await this.before(fault, 'get', id, () => this.inner.get(id, range));
    return this.after(fault, 'get', id, data);
  }

  async stat(id: string): Promise<BlobMetadata> {
    const fault = this.take('stat', id);
    const m = await this.before(fault, 'stat', id, () => this.inner.stat(id));
    if (fault?.kind === 'failAfter') throw fault.error('stat', id);
    return m;
  }

  async *list(prefix: string): AsyncGenerator<BlobMetadata> {
    const fault = this.take('list', prefix);
    if (fault?.kind === 'delay') await sleep(fault.ms);
    const failAt = fault?.kind === 'fail' ? (fault.afterItems ?? 0) : undefined;
    let n = 0;
    if (fault?.kind === 'fail' && failAt === 0) throw fault.error('list', prefix);
    for await (const m of this.inner.list(prefix)) {
      yield m;
      n++;
      if (fault?.kind === 'fail' && n === failAt) throw fault.error('list', prefix);
    }
    if (fault?.kind === 'failAfter') throw fault.error('list', prefix);
  }

  async put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    const fault = this.take('put', id);
    let stored: Uint8Array = data;
    if (fault?.kind === 'corrupt') stored = flipByte(Buffer.from(data), fault.offset);
    if (fault?.kind === 'truncate') stored = data.subarray(0, fault.length);
    await this.before(fault, 'put', id, () => this.inner.put(id, stored, options));
    if (fault?.kind === 'failAfter') throw fault.error('put', id);
  }

  async delete(id: string): Promise<void> {
    const fault = this.take('delete', id);
    await this.before(fault, 'delete', id, () => this.inner.delete(id));
    if (fault?.kind === 'failAfter') throw fault.error('delete', id);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async before<T>(fault: Fault | undefined, op: BlobOperation, id: string, call: () => Promise<T>): Promise<T> {
    if (fault?.kind === 'fail') throw fault.error(op, id);
    if (fault?.kind === 'delay') await sleep(fault.ms);
    return call();
  }

  private after(fault: Fault | undefined, op: BlobOperation, id: string, data: Buffer): Buffer {
    switch (fault?.kind) {
      case 'failAfter':
        throw fault.error(op, id);
      case 'corrupt':
        return flipByte(data, fault.offset);
      case 'truncate':
        return data.subarray(0, fault.length);
      default:
        return data;
    }
  }
}

function matches(match: FaultRule['match'], id: string): boolean {
  if (match === undefined) return true;
  if (typeof match === 'string') return id.startsWith(match);
  if (match instanceof RegExp) return match.test(id);
  return match(id);
}

function flipByte(data: Buffer, offset: number | undefined): Buffer {
  if (data.length === 0) return data;
  const at = Math.min(data.length - 1, offset ?? Math.floor(data.length / 2));
  data[at] = (data[at] ?? 0) ^ 0xff;
  return data;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
