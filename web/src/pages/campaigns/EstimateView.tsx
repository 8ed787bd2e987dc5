/** A campaign's estimate: who gets it, who is left out and why, parts and encodings. */
import type { CampaignEstimate } from '../../api';
import { HeldByPolicy } from '../policy/HeldByPolicy';
import { encodingLabel } from '../templates/render-preview';

function Histogram({ title, rows }: { title: string; rows: [string, number][] }) {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <section className="card">
      <h3 className="h3">{title}</h3>
      {rows.length === 0 ? <p className="muted">None.</p> : null}
      {rows.length > 0 ? (
        <table className="table" aria-label={title}>
          <tbody>
            {rows.map(([label, n]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td style={{ width: '50%' }}>
                  <div className="progress" aria-hidden="true">
                    <span style={{ width: `${(100 * n) / max}%` }} />
                  </div>
                </td>
                <td>{n.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function EstimateView({ estimate }: { estimate: CampaignEstimate }) {
  const r = estimate.rendering;
  return (
    <div data-testid="estimate">
      <div className="tiles">
        <Tile label="In the audience" value={estimate.recipients} />
        <Tile label="Will be sent" value={estimate.eligible} testId="estimate-eligible" />
        <Tile label="Excluded by consent" value={estimate.excluded.total} />
        <Tile label="Would not render" value={r.failures.recipients} />
        <Tile label="SMS parts in all" value={r.totalParts} />
        {estimate.heldByQuietHours !== null ? (
          <Tile
            label="Held by send-time policy"
            value={estimate.heldByQuietHours.held}
            testId="estimate-held"
          />
        ) : null}
        {estimate.heldByQuietHours && estimate.heldByQuietHours.dropped > 0 ? (
          <Tile label="Dropped by send-time policy" value={estimate.heldByQuietHours.dropped} />
        ) : null}
      </div>
      <p className="muted small">{estimate.accuracy}</p>
      {estimate.eligible === 0 ? (
        <div className="banner banner-warn" role="alert">
          Nobody in this audience may receive it: choose another audience.
        </div>
      ) : null}
      <div className="grid-2">
        <Histogram
          title="Excluded, and why"
          rows={estimate.excluded.byReason.map((b) => [`${b.consent}: ${b.reason}`, b.recipients])}
        />
        <Histogram
          title="Parts and encoding"
          rows={r.parts.map((p) => [
            `${p.segments} ${p.segments === 1 ? 'part' : 'parts'}, ${encodingLabel(p.encoding)}`,
            p.recipients,
          ])}
        />
      </div>
      {estimate.heldByQuietHours ? <HeldByPolicy held={estimate.heldByQuietHours} /> : null}
      {r.failures.examples.length > 0 ? (
        <div className="banner banner-error" role="alert">
          <div>
            <strong>{r.failures.recipients.toLocaleString()} would not be sent:</strong>
            <ul className="problems">
              {r.failures.examples.map((f) => (
                <li key={f.profileId}>
                  {f.phone}: {f.reason}
                  {f.problems.length > 0 ? ` (${f.problems.map((p) => p.message).join('; ')})` : ''}
                </li>
              ))}
            </ul>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function Tile({ label, value, testId }: { label: string; value: number; testId?: string }) {
  return (
    <div className="tile">
      <div className="tile-value" data-testid={testId}>
        {value.toLocaleString()}
      </div>
      <div className="tile-label">{label}</div>
    </div>
  );
}
