/** A campaign's estimate: who gets it, who is left out and why, parts and encodings. */
import type { CampaignEstimate } from '../../api';

const text = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : '';

/** `{a: 1}` or `[{reason: a, count: 1}]` as rows of [label, count]. */
function rows(value: unknown, labelKey: string): [string, number][] {
  if (Array.isArray(value))
    return value.map((item: Record<string, unknown>) => [
      text(item[labelKey] ?? item.reason ?? item.key),
      Number(item.count ?? 0),
    ]);
  if (value && typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .filter(([, n]) => typeof n === 'number')
      .map(([k, n]) => [k, n as number]);
  return [];
}

function Histogram({ title, data }: { title: string; data: [string, number][] }) {
  if (data.length === 0) return null;
  const max = Math.max(1, ...data.map(([, n]) => n));
  return (
    <section className="card">
      <h3 className="h3">{title}</h3>
      <table className="table" aria-label={title}>
        <tbody>
          {data.map(([label, n]) => (
            <tr key={label}>
              <th scope="row">{label.replace(/_/g, ' ')}</th>
              <td style={{ width: '60%' }}>
                <div className="progress" aria-hidden="true">
                  <span style={{ width: `${(100 * n) / max}%` }} />
                </div>
              </td>
              <td>{n.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function EstimateView({ estimate }: { estimate: CampaignEstimate }) {
  const excluded = rows(estimate.excluded, 'reason');
  const excludedTotal = excluded.reduce((n, [, c]) => n + c, 0);
  return (
    <div data-testid="estimate">
      <div className="tiles">
        <div className="tile tile-good">
          <div className="tile-value" data-testid="estimate-recipients">
            {estimate.recipients.toLocaleString()}
          </div>
          <div className="tile-label">Recipients</div>
        </div>
        <div className="tile">
          <div className="tile-value">{excludedTotal.toLocaleString()}</div>
          <div className="tile-label">Excluded</div>
        </div>
      </div>
      {estimate.recipients === 0 ? (
        <div className="banner banner-warn" role="alert">
          Nobody would get this campaign: choose another audience.
        </div>
      ) : null}
      <div className="grid-2">
        <Histogram title="Excluded, and why" data={excluded} />
        <Histogram
          title="Parts per message"
          data={rows(estimate.segments, 'segments').map(([k, n]) => [
            `${k} ${k === '1' ? 'part' : 'parts'}`,
            n,
          ])}
        />
        <Histogram title="Encodings" data={rows(estimate.encodings, 'encoding')} />
      </div>
      {estimate.problems && estimate.problems.length > 0 ? (
        <div className="banner banner-error" role="alert">
          <ul className="problems">
            {estimate.problems.map((p, i) => (
              <li key={i}>{p.message}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
