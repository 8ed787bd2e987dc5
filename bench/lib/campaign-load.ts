/**
 * The campaign benchmark's audience, loaded straight into the database as the scale loader loads
 * history (one `INSERT … SELECT` over a number series per 100,000 rows, the secondary indexes
 * dropped and built again): `count` profiles, all subscribed, each having texted OFFERS once,
 * with a first name for the template. Also the reference the fan-out is held against: the
 * campaign's own messages written again by one plain `INSERT … SELECT`, rolled back.
 */
import { chunked, insertSeries, phone, uuid7, withoutIndexes, type Target } from './scale-load.js';

/** Profiles start after the scale loader's numbers (+1 201 200 0000 …): +1 201 300 0000 on. */
const FIRST_PHONE = 1_000_000;

/** Loads `count` subscribed profiles that texted OFFERS; `now` is epoch ms. */
export async function loadAudience(
  t: Target,
  plan: { count: number; now: number; sandbox?: string },
  onProgress: (stage: string, done: number) => void,
): Promise<void> {
  const sandbox = `'${plan.sandbox ?? 'prod'}'`;
  // Created over the last 30 days, one a few seconds apart, in id order.
  const ms = `(${plan.now - 30 * 86_400_000} + i * ${Math.max(1, Math.floor((30 * 86_400_000) / Math.max(1, plan.count)))})`;
  const iso = t.iso('ms');
  await withoutIndexes(
    t,
    'profiles',
    () =>
      chunked(
        plan.count,
        (from, to) =>
          insertSeries(t, {
            table: 'profiles',
            from,
            to,
            lets: { ms },
            computed: {
              sandbox,
              id: uuid7(t, 'ms', `i + ${FIRST_PHONE}`),
              phone: phone(`${FIRST_PHONE} + i`),
              consent: `'subscribed'`,
              consent_updated_at: iso,
              attributes: `'{"firstName":"Ann' || i || '","keywords":{"OFFERS":{"count":1,"firstAt":"' || ${iso} || '","lastAt":"' || ${iso} || '"}}}'`,
              region: `'US'`,
              created_at: iso,
              updated_at: iso,
            },
            template: {},
          }),
        (n) => onProgress('profiles', n),
      ),
    () => onProgress('profiles: building the indexes', plan.count),
  );
  if (t.dialect === 'postgres') await t.run('analyze profiles', []);
}

/**
 * The fan-out's ceiling on this database: the campaign's messages copied by one `INSERT …
 * SELECT` into `messages` itself (every index and trigger the fan-out meets, as queued messages),
 * in one transaction that is rolled back. Returns rows per second.
 */
export async function plainInsertSelect(
  t: Target,
  campaignId: string,
): Promise<{ rows: number; seconds: number }> {
  const cols = (
    t.dialect === 'sqlite'
      ? await t.all<{ name: string }>(`select name from pragma_table_info('messages')`)
      : await t.all<{ name: string }>(
          `select column_name as name from information_schema.columns where table_name = 'messages' and table_schema = current_schema() order by ordinal_position`,
        )
  ).map((c) => c.name);
  const changed: Record<string, string> = {
    // Another id of the same shape: the first 8 hex digits replaced.
    id: `'ffffffff' || substr(id, 9)`,
    status: `'queued'`,
    done_at: 'null',
    provider_message_id: 'null',
  };
  const select = cols.map((c) => changed[c] ?? c).join(', ');
  const [{ n } = { n: 0 }] = await t.all<{ n: number | string }>(
    `select count(*) as n from messages where campaign_id = ${t.param(1, 'text')}`,
    [campaignId],
  );
  await t.run('begin', []);
  const started = performance.now();
  try {
    await t.run(
      `insert into messages (${cols.join(', ')}) select ${select} from messages where campaign_id = ${t.param(1, 'text')}`,
      [campaignId],
    );
    return { rows: Number(n), seconds: (performance.now() - started) / 1000 };
  } finally {
    await t.run('rollback', []);
  }
}
