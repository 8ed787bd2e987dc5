/** Shared building blocks: fields with their errors, chips, dialogs, states, icons. */
import {
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import { SegmentedMessage } from 'sms-segments-calculator';
import { ApiError } from './api';

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A timestamp to the second (message logs: a retry or a report seconds apart must show). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Loads data on mount and when `deps` change; `reload` fetches again. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (value: T) => void;
} {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload, setData };
}

export function Field({
  label,
  error,
  hint,
  children,
  id,
}: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  id: string;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field-error" id={`${id}-error`} role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

/** `aria-describedby` for an input inside a Field. */
export function describedBy(id: string, error?: string, hint?: boolean): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

export function splitKeywords(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(',')) {
    const keyword = part.trim().toUpperCase();
    if (keyword && !seen.has(keyword)) {
      seen.add(keyword);
      out.push(keyword);
    }
  }
  return out;
}

/**
 * Keywords typed comma-separated, shown as chips as they are typed. `locked` words are always
 * present and cannot be removed (carrier-mandated opt-out words).
 */
export function KeywordInput({
  id,
  value,
  onChange,
  locked = [],
  invalid,
  describedById,
  placeholder,
  disabled = false,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  locked?: readonly string[];
  invalid?: boolean;
  describedById?: string | undefined;
  placeholder?: string | undefined;
  disabled?: boolean;
}) {
  const typed = splitKeywords(value).filter((k) => !locked.includes(k));
  const remove = (keyword: string) =>
    onChange(
      splitKeywords(value)
        .filter((k) => k !== keyword)
        .join(', '),
    );
  return (
    <div className="keywords">
      <input
        id={id}
        type="text"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={invalid || undefined}
        aria-describedby={describedById}
        placeholder={placeholder ?? 'Comma-separated, e.g. START, YES'}
        autoComplete="off"
        disabled={disabled}
      />
      {locked.length + typed.length > 0 ? (
        <ul className="chips" aria-label="Keywords">
          {locked.map((keyword) => (
            <li
              key={`locked-${keyword}`}
              className="chip chip-locked"
              title="Always on: required by carriers"
            >
              <LockIcon /> {keyword}
            </li>
          ))}
          {typed.map((keyword) => (
            <li key={keyword} className="chip">
              {keyword}
              <button
                type="button"
                className="chip-remove"
                disabled={disabled}
                aria-label={`Remove ${keyword}`}
                onClick={() => remove(keyword)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Characters, encoding and SMS parts of a reply, as the provider will bill it. */
export function segmentInfo(text: string): { segments: number; encoding: string; chars: number } {
  if (text === '') return { segments: 0, encoding: 'GSM-7', chars: 0 };
  const message = new SegmentedMessage(text, 'auto');
  return {
    segments: message.segmentsCount,
    encoding: message.encodingName === 'UCS-2' ? 'Unicode (UCS-2)' : 'GSM-7',
    chars: message.numberOfCharacters,
  };
}

export function SegmentCounter({ text, id }: { text: string; id?: string }) {
  const info = segmentInfo(text);
  return (
    <span className="segments" id={id} aria-live="polite">
      {info.chars} characters · {info.encoding} · {info.segments}{' '}
      {info.segments === 1 ? 'segment' : 'segments'}
    </span>
  );
}

/** A modal dialog: focus moves in, Escape cancels, focus returns on close. */
export function Dialog({
  title,
  children,
  onClose,
  actions,
}: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  actions: ReactNode;
}) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>(
      'input, textarea, select, button.btn-primary, button.btn-danger, button',
    );
    first?.focus();
    return () => previous?.focus();
  }, []);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onClose();
    if (event.key === 'Tab' && ref.current) {
      const focusable = [
        ...ref.current.querySelectorAll<HTMLElement>('button, input, textarea, select, a[href]'),
      ].filter((el) => !el.hasAttribute('disabled'));
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last?.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first?.focus();
      }
    }
  };
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        ref={ref}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">{actions}</div>
      </div>
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard refused (plain http on another host): select the text for a manual copy.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" className="btn btn-small" onClick={() => void copy()} aria-label={label}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="banner banner-error" role="alert">
      <span>{errorText(error)}</span>
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

const STATUS_TONE: Record<string, string> = {
  delivered: 'good',
  subscribed: 'good',
  accepted: 'info',
  sent: 'info',
  sending: 'info',
  queued: 'neutral',
  scheduled: 'neutral',
  pending: 'warn',
  unknown: 'neutral',
  unsubscribed: 'bad',
  failed: 'bad',
  rejected: 'bad',
  expired: 'bad',
  suppressed: 'warn',
  undeliverable: 'bad',
};

export function Badge({ value }: { value: string }) {
  return (
    <span className={`badge badge-${STATUS_TONE[value] ?? 'neutral'}`}>
      {value.replace(/_/g, ' ')}
    </span>
  );
}

function Svg({ children, label }: { children: ReactNode; label?: string }) {
  return (
    <svg
      width="16"
      height="16"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden={label ? undefined : true}
      role={label ? 'img' : undefined}
      aria-label={label}
    >
      {children}
    </svg>
  );
}

export function BinIcon() {
  return (
    <Svg>
      <path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6" />
    </Svg>
  );
}

export function EditIcon() {
  return (
    <Svg>
      <path d="M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4Z" />
    </Svg>
  );
}

export function LockIcon() {
  return (
    <Svg>
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </Svg>
  );
}

/**
 * The edit (pencil) and delete (bin) buttons at the end of a list row. With `disabledReason`
 * (the caller's roles do not allow changes) the bin is disabled with the reason as its title;
 * the pencil still opens the screen, where the fields can be read.
 */
export function RowEditDelete({
  name,
  onEdit,
  onDelete,
  disabledReason,
}: {
  name: string;
  onEdit: () => void;
  onDelete: () => void;
  disabledReason?: string | undefined;
}) {
  return (
    <>
      <button
        type="button"
        className="icon-btn"
        aria-label={`Edit ${name}`}
        title="Edit"
        onClick={onEdit}
      >
        <EditIcon />
      </button>
      <button
        type="button"
        className="icon-btn icon-danger"
        aria-label={`Delete ${name}`}
        title={disabledReason ?? 'Delete'}
        disabled={disabledReason !== undefined}
        onClick={onDelete}
      >
        <BinIcon />
      </button>
    </>
  );
}

/**
 * A dialog's one action: `busy` while it runs, its error text when it fails (the dialog stays
 * open to show it); on success the caller's `then` closes or moves on.
 */
export function useAction(action: () => Promise<void>): {
  busy: boolean;
  error: string | undefined;
  run: () => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return { busy, error, run };
}
