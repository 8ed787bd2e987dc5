/** A rendered text as one recipient gets it: the text, its parts and encoding, its problems. */
import { useEffect, useState } from 'react';
import { ApiError, type ErrorDetail, type RenderedPreview } from '../../api';
import { useSession } from '../../session';
import { errorText } from '../../ui';

/** "GSM-7" / "UCS-2" as the server names them, in words an operator reads. */
export function encodingLabel(encoding: string): string {
  return /ucs/i.test(encoding) ? 'Unicode (UCS-2)' : encoding;
}

export function PartsLine({ item, id }: { item: RenderedPreview; id?: string }) {
  const chars = item.characters ?? [...item.text].length;
  return (
    <div className="parts" id={id} data-testid="parts">
      <span>{chars} characters</span>·
      <span data-testid="encoding">{encodingLabel(item.encoding)}</span>·
      <span data-testid="segments">
        {item.segments} {item.segments === 1 ? 'part' : 'parts'}
      </span>
      {item.ok ? null : <span className="badge badge-bad">not sendable</span>}
    </div>
  );
}

export function ProblemList({ problems }: { problems: ErrorDetail[] }) {
  if (problems.length === 0) return null;
  return (
    <ul className="problems">
      {problems.map((p, i) => (
        <li key={i}>
          {p.path ? <code>{p.path}</code> : null} {p.message}
        </li>
      ))}
    </ul>
  );
}

export function PreviewCard({ item, title }: { item: RenderedPreview; title: string }) {
  return (
    <article className="preview-card" aria-label={`Preview for ${title}`}>
      <strong>{title}</strong>
      <div className="preview-text">{item.text || <span className="muted">(empty)</span>}</div>
      <PartsLine item={item} />
      <ProblemList problems={item.problems} />
    </article>
  );
}

export interface Draft {
  body: string;
  messageType: 'marketing' | 'transactional';
  media: { url: string }[];
  dltTemplateText: string | null;
  phone: string;
  channelConfigurationId: string;
}

/**
 * The draft rendered by the server (`POST /v1/templates/render`) a moment after each keystroke:
 * the same engine and checks a send uses, so parts and encoding are the real ones.
 */
export function useLiveRender(draft: Draft): {
  item: RenderedPreview | undefined;
  /** The server's details when the draft itself is refused (does not parse), by body field. */
  errors: Record<string, string>;
  error: string | undefined;
  busy: boolean;
} {
  const { api } = useSession();
  const [item, setItem] = useState<RenderedPreview>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify(draft);
  useEffect(() => {
    let live = true;
    setBusy(true);
    const timer = setTimeout(() => {
      const body = {
        body: draft.body,
        messageType: draft.messageType,
        ...(draft.media.length > 0 ? { media: draft.media } : {}),
        ...(draft.dltTemplateText ? { dltTemplateText: draft.dltTemplateText } : {}),
        ...(draft.phone.trim() ? { phone: draft.phone.trim() } : {}),
        ...(draft.channelConfigurationId
          ? { channelConfigurationId: draft.channelConfigurationId }
          : {}),
      };
      api.post<RenderedPreview>('/v1/templates/render', body).then(
        (answer) => {
          if (!live) return;
          setItem(answer);
          setErrors({});
          setError(undefined);
          setBusy(false);
        },
        (err: unknown) => {
          if (!live) return;
          setItem(undefined);
          setErrors(err instanceof ApiError ? err.fieldErrors() : {});
          setError(
            err instanceof ApiError && err.details.length > 0
              ? err.details.map((d) => d.message).join('; ')
              : errorText(err),
          );
          setBusy(false);
        },
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, key]);
  return { item, errors, error, busy };
}
