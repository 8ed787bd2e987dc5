/**
 * Turns accepted messages into delivery reports at their due time. One timer is armed for the
 * earliest due report (a binary heap keeps them ordered), so 20 000 destinations a second cost
 * one timer, not 20 000. Due reports are grouped per webhook URL and API shape and POSTed in
 * batches of at most `batchSize` (Infobip default 100); messages without a webhook wait in a
 * pull queue (`GET /sms/1/reports`, `/sms/3/reports`, `/mms/2/reports`).
 */
import type { SimMessage, Store } from './store.js';
import type { TimerRegistry } from './timers.js';
import type { WebhookSender } from './webhook-sender.js';
import type { Clock } from './time.js';
import { ERRORS, STATUSES, type MessageError, type MessageStatus } from './statuses.js';
import { reportFor, type ReportContext } from './report-shapes.js';

type ReportKind = 'final' | 'intermediate';

interface Due {
  at: number;
  seq: number;
  message: SimMessage;
  kind: ReportKind;
}

/** A report waiting to be pulled; the body is built in the shape of the pulling endpoint. */
export interface PullEntry {
  message: SimMessage;
  status: MessageStatus;
  error: MessageError;
  doneAt: number | undefined;
}

export class ReportDispatcher {
  private heap: Due[] = [];
  private seq = 0;
  private armedAt = Infinity;
  private cancelArmed: () => void = () => undefined;
  /** Pull queues per channel; each report is returned once, oldest first. */
  readonly pull = { sms: [] as PullEntry[], mms: [] as PullEntry[] };

  constructor(
    private readonly store: Store,
    private readonly timers: TimerRegistry,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
    /** `batchSize` may be changed at run time (control API). */
    readonly settings: { batchSize: number; context: ReportContext },
  ) {}

  schedule(message: SimMessage, at: number, kind: ReportKind): void {
    this.push({ at, seq: this.seq++, message, kind });
    if (at < this.armedAt) this.arm(at);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Emits every scheduled report now, then waits for the POSTs (and retries) to finish. */
  async flush(): Promise<void> {
    this.run(Infinity);
    await this.sender.flush();
  }

  /** Forgets scheduled reports and pull queues (reset). */
  clear(): void {
    this.heap = [];
    this.cancelArmed();
    this.armedAt = Infinity;
    this.pull.sms.length = 0;
    this.pull.mms.length = 0;
  }

  close(): void {
    this.clear();
  }

  private arm(at: number): void {
    this.cancelArmed();
    this.armedAt = at;
    this.cancelArmed = this.timers.after(at - this.clock(), () => {
      this.armedAt = Infinity;
      this.run(this.clock());
    });
  }

  private run(until: number): void {
    const groups = new Map<string, { url: string; reports: object[] }>();
    const now = this.clock();
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const due = this.pop();
      this.emit(due, now, groups);
    }
    for (const { url, reports } of groups.values()) {
      for (let i = 0; i < reports.length; i += this.settings.batchSize) {
        this.sender.send('report', url, { results: reports.slice(i, i + this.settings.batchSize) });
      }
    }
    const next = this.heap[0];
    if (next && next.at < this.armedAt) this.arm(next.at);
  }

  private emit(
    due: Due,
    now: number,
    groups: Map<string, { url: string; reports: object[] }>,
  ): void {
    const m = due.message;
    let snapshot: PullEntry;
    if (due.kind === 'intermediate') {
      if (m.doneAt !== undefined) return;
      snapshot = {
        message: m,
        status: STATUSES.PENDING_ENROUTE,
        error: ERRORS.NO_ERROR,
        doneAt: now,
      };
    } else {
      m.status = m.finalStatus;
      m.error = m.finalError;
      // A rejected message was done when it was refused; others when the report is due.
      m.doneAt = m.rejected ? m.acceptedAt : Math.min(now, due.at);
      snapshot = { message: m, status: m.status, error: m.error, doneAt: m.doneAt };
    }
    m.reportsEmitted += 1;
    if (m.reportUrl !== undefined) {
      const key = `${m.api === 'sms-v2' ? 'v2' : 'v3'} ${m.reportUrl}`;
      let group = groups.get(key);
      if (!group) {
        group = { url: m.reportUrl, reports: [] };
        groups.set(key, group);
      }
      group.reports.push(reportFor(m, snapshot, this.settings.context));
    } else if (m.notify && due.kind === 'final') {
      (m.api === 'mms-v2' ? this.pull.mms : this.pull.sms).push(snapshot);
    }
  }

  private push(item: Due): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  private pop(): Due {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let best = last;
        if (l < heap.length && before(heap[l]!, best)) {
          m = l;
          best = heap[l]!;
        }
        if (r < heap.length && before(heap[r]!, best)) m = r;
        if (m === i) break;
        heap[i] = heap[m]!;
        i = m;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Due, b: Due): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
