// What a CLI run that the harness is about to kill for taking too long was doing: a hang that happens once in
// a full suite and never alone is otherwise lost with the process. The run is started with Node's
// --report-on-signal (hangReportOptions); at the timeout the harness reads each thread's state and CPU time from
// /proc, sends the report signal and waits for the report, then kills. A report with a JavaScript stack means the
// main thread was idle-waiting (a promise nobody settles, with a live handle holding the loop open: the handles
// are listed); no report while the main thread is running means it was busy in a loop the signal cannot reach.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statCpuSeconds, threadStats } from './proc-stat.ts';
import { sharedTmpDir } from './shared-tmp-dir.ts';

const REPORT_SIGNAL = 'SIGUSR2';
/** How long a report may take to appear after the signal before the run is killed without one. */
const REPORT_WAIT_MS = 10_000;

/** Where reports go: one directory every uid may write (runs may drop privileges). */
function reportDirectory(): string {
  return sharedTmpDir('cairn-e2e-reports');
}

/** NODE_OPTIONS for a run that can be asked for a diagnostic report (Node options, not V8 flags: code caches still match). */
export function hangReportOptions(): string {
  return `--report-on-signal --report-signal=${REPORT_SIGNAL} --report-directory=${reportDirectory()}`;
}

/** Each thread of `pid`: name, state (R running, S sleeping, ...) and CPU time so far. */
function threadStates(pid: number): string {
  try {
    return threadStats(pid).map(({ name, fields }) => `${name}:${fields[0]} ${statCpuSeconds(fields) ?? '?'}s`).join(', ');
  } catch (e) {
    return `(threads unreadable: ${(e as Error).message})`;
  }
}

interface NodeReport {
  readonly javascriptStack?: { readonly message?: string; readonly stack?: readonly string[] };
  readonly libuv?: readonly { readonly type: string; readonly is_active?: boolean; readonly details?: string }[];
  readonly workers?: readonly unknown[];
}

function summarize(path: string): string {
  const r = JSON.parse(readFileSync(path, 'utf8')) as NodeReport;
  const stack = (r.javascriptStack?.stack ?? []).slice(0, 12).join(' | ');
  const handles = (r.libuv ?? []).filter((h) => h.is_active === true).map((h) => `${h.type}${h.details === undefined ? '' : ` ${h.details}`}`);
  return `report ${path}: JS stack: ${r.javascriptStack?.message ?? '?'} ${stack}; active handles: ${handles.join(', ')}; workers: ${r.workers?.length ?? 0}`;
}

function reportsOf(pid: number): string[] {
  return readdirSync(reportDirectory()).filter((n) => n.startsWith('report.') && n.includes(`.${pid}.`));
}

/**
 * What `pid` is doing: thread states, then (after asking for it) the summary of its diagnostic report, or why
 * there is none. Resolves within `waitMs`; the caller kills the process afterwards.
 */
export async function diagnoseHang(pid: number, signal: (s: NodeJS.Signals) => void, waitMs = REPORT_WAIT_MS): Promise<string> {
  const threads = threadStates(pid);
  const before = new Set(reportsOf(pid));
  signal(REPORT_SIGNAL);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const fresh = reportsOf(pid).find((n) => !before.has(n));
    if (fresh !== undefined) {
      // the report is written in one piece but may be seen mid-write: parse until it is whole
      try {
        return `threads: ${threads}\n${summarize(join(reportDirectory(), fresh))}`;
      } catch {
        // not complete yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `threads: ${threads}\nno diagnostic report within ${waitMs} ms of ${REPORT_SIGNAL} (the main thread never returned to its event loop: busy in JavaScript or blocked in a synchronous call)`;
}
