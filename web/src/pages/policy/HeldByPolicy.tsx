/**
 * A campaign estimate's send-time policy share: per rule, how many recipients it would hold and
 * between which window starts they go, or how many it would drop and why.
 */
import type { HeldEstimate, Page, PolicyRule } from '../../api';
import { useSession } from '../../session';
import { formatDate, useLoad } from '../../ui';

function when(row: HeldEstimate['byRule'][number]): string {
  if (row.action === 'drop') return `dropped: ${(row.reason ?? 'policy').replace(/_/g, ' ')}`;
  if (!row.firstRelease) return 'held';
  const first = formatDate(row.firstRelease);
  const last = row.lastRelease ? formatDate(row.lastRelease) : first;
  return first === last ? `held; go from ${first}` : `held; go from ${first} to ${last}`;
}

export function HeldByPolicy({ held }: { held: HeldEstimate }) {
  const { api } = useSession();
  // Rule names for the ids; the ids alone when the rules cannot be read.
  const rules = useLoad(
    () => api.get<Page<PolicyRule>>('/v1/policy/rules', { limit: 200 }).catch(() => null),
    [api],
  );
  const name = (id: string) => rules.data?.items.find((r) => r.id === id)?.name ?? id;
  return (
    <section className="card" data-testid="estimate-policy">
      <h3 className="h3">Send-time policy (if it went now)</h3>
      {held.byRule.length === 0 ? (
        <p className="muted">
          No rule holds or drops anyone: every recipient is inside their hours.
        </p>
      ) : (
        <>
          <table className="table" aria-label="Held or dropped by rule">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Recipients</th>
                <th scope="col">What happens</th>
              </tr>
            </thead>
            <tbody>
              {held.byRule.map((row) => (
                <tr key={`${row.rule}/${row.action}/${row.reason ?? ''}`}>
                  <th scope="row">{name(row.rule)}</th>
                  <td>{row.recipients.toLocaleString()}</td>
                  <td>{when(row)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">
            A held text waits in Tern&apos;s queue and goes within 10 minutes of its window&apos;s
            start (your time shown), at the campaign&apos;s pace; consent is checked again then.
          </p>
        </>
      )}
    </section>
  );
}
