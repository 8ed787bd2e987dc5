/** Audience › Lists › one list: its members, numbers added or removed, a CSV import. */
import { useState, type ChangeEvent } from 'react';
import { ApiError, type AudienceList } from '../../api';
import { Link } from '../../router';
import { useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { ErrorBanner, Field, Loading, errorText, useLoad } from '../../ui';
import { Members } from './SegmentEditor';
import '../../marketing.css';

const phonesOf = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);

interface AddedAnswer {
  added: number;
  alreadyMembers: number;
  profilesCreated: number;
}
interface ImportAnswer extends AddedAnswer {
  rows: number;
  rejected: number;
  rejections: { line: number; phone: string | null; reason: string }[];
}

const addedSummary = (a: AddedAnswer) =>
  `${a.added.toLocaleString()} added, ${a.alreadyMembers.toLocaleString()} already members, ${a.profilesCreated.toLocaleString()} new profiles (consent unknown).`;

/** The server's per-item details ("/phones/2: not a phone number") as one sentence each. */
function detailLines(error: unknown): string[] {
  if (!(error instanceof ApiError)) return [errorText(error)];
  return [
    error.message,
    ...error.details.slice(0, 10).map((d) => `${d.path ?? ''} ${d.message}`.trim()),
  ];
}

export function ListDetailPage({ id }: { id: string }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const detail = useLoad(() => api.get<AudienceList>(`/v1/lists/${id}`), [api, id]);
  const [phones, setPhones] = useState('');
  const [result, setResult] = useState<string[]>();
  const [problem, setProblem] = useState<string[]>();
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);

  const run = async (work: () => Promise<string[]>) => {
    setBusy(true);
    setResult(undefined);
    setProblem(undefined);
    try {
      setResult(await work());
      setTick((n) => n + 1);
      detail.reload();
    } catch (err) {
      setProblem(detailLines(err));
    } finally {
      setBusy(false);
    }
  };
  const add = () =>
    run(async () => {
      const answer = await api.post<AddedAnswer>(`/v1/lists/${id}/members`, {
        phones: phonesOf(phones),
      });
      setPhones('');
      return [addedSummary(answer)];
    });
  const remove = () =>
    run(async () => {
      const answer = await api.request<{ removed: number }>('DELETE', `/v1/lists/${id}/members`, {
        body: { phones: phonesOf(phones) },
      });
      setPhones('');
      return [`Removed ${answer.body.removed.toLocaleString()}.`];
    });
  const importCsv = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    void run(async () => {
      const res = await fetch(`/api/v1/lists/${id}/import`, {
        method: 'POST',
        headers: api.headers({ 'content-type': 'text/csv' }),
        body: await file.text(),
      });
      const body = (await res.json().catch(() => null)) as
        (ImportAnswer & { error?: { code?: string; message?: string; details?: [] } }) | null;
      if (!res.ok)
        throw new ApiError(
          res.status,
          body?.error?.code ?? 'http_error',
          body?.error?.message ?? `Tern answered ${res.status}.`,
          body?.error?.details ?? [],
        );
      if (!body) throw new ApiError(res.status, 'http_error', 'Tern answered without a summary.');
      return [
        `Imported ${file.name}: ${body.rows.toLocaleString()} rows; ${addedSummary(body)} ${body.rejected.toLocaleString()} rejected.`,
        ...body.rejections
          .slice(0, 20)
          .map((r) => `Line ${r.line}${r.phone ? ` (${r.phone})` : ''}: ${r.reason}`),
      ];
    });
  };

  if (detail.error) return <ErrorBanner error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading what="Loading list" />;
  const list = detail.data;
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Audience › <Link to="/lists">Lists</Link> › <span aria-current="page">{list.name}</span>
      </nav>
      <div className="page-header">
        <h1>{list.name}</h1>
        <div className="actions">
          <Link to={`/campaigns/new?listId=${list.id}`} className="btn">
            Send a campaign to it
          </Link>
        </div>
      </div>
      <section className="card">
        <h2 className="h3">Add or remove numbers</h2>
        <Field id="list-phones" label="Phone numbers" hint="E.164, separated by commas or lines">
          <textarea
            id="list-phones"
            rows={3}
            value={phones}
            onChange={(e) => setPhones(e.target.value)}
            aria-describedby="list-phones-hint"
          />
        </Field>
        <div className="form-actions">
          <Button
            disabledReason={reason('send')}
            type="button"
            className="btn btn-primary"
            disabled={busy || phonesOf(phones).length === 0}
            onClick={() => void add()}
          >
            Add to list
          </Button>
          <Button
            disabledReason={reason('send')}
            type="button"
            className="btn"
            disabled={busy || phonesOf(phones).length === 0}
            onClick={() => void remove()}
          >
            Remove from list
          </Button>
          <label className={`btn${reason('send') ? ' btn-disabled' : ''}`} title={reason('send')}>
            Import CSV
            <input
              disabled={reason('send') !== undefined}
              type="file"
              accept=".csv,text/csv"
              className="visually-hidden"
              aria-label="Import CSV"
              onChange={importCsv}
            />
          </label>
        </div>
        <p className="hint">A CSV with a phone column (header phone), one number a row.</p>
        {result ? (
          <div className="banner banner-ok" role="status">
            <div>
              {result.map((line, i) => (
                <div key={i}>{line}</div>
              ))}
            </div>
          </div>
        ) : null}
        {problem ? (
          <div className="banner banner-error" role="alert">
            <ul className="problems">
              {problem.map((p, i) => (
                <li key={i}>{p}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </section>
      <Members key={tick} path={`/v1/lists/${list.id}/members`} />
    </div>
  );
}
