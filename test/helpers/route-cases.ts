/**
 * One case per route of Tern, for driving a running `tern serve` over real sockets: the happy
 * path (objects made through the API itself) and the shape of its parameters for fuzzing. The
 * real-socket suite fails when a registered route or an OpenAPI path has no case here.
 */
import {
  call,
  callStream,
  json,
  METRICS_TOKEN,
  SIMULATOR_KEY,
  type Answer,
  type Call,
  type Served,
} from './real-http.js';

/** Tern's inbound number in these runs, and a person who texts it. */
export const SOCKET_INBOUND = '+14155550170';
export const SOCKET_PERSON = '+14155550171';

/** Objects the happy paths read or change, made once through the API. */
export interface Fixtures {
  served: Served;
  credentialId: string;
  inboundPath: string;
  reportsPath: string;
  channelId: string;
  messageId: string;
  inboundId: string;
  eventWebhookId: string;
  templateId: string;
  segmentId: string;
  listId: string;
  /** A marketing channel configuration and a draft campaign to the campaign list (3 numbers). */
  marketingChannelId: string;
  campaignId: string;
  /** Made per call: a new, unused object of each kind, for DELETE and PATCH. */
  fresh: {
    credential(): Promise<string>;
    channel(): Promise<string>;
    eventWebhook(): Promise<string>;
    token(): Promise<string>;
    template(): Promise<string>;
    segment(): Promise<string>;
    list(): Promise<string>;
    /** A draft campaign, or one confirmed (running at 1 a minute), or confirmed and paused. */
    campaign(state?: 'draft' | 'running' | 'paused'): Promise<string>;
  };
}

let serial = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++serial}`;

/** A person invited to the sandbox as a viewer who accepted (set a password): their user id. */
async function freshMember(f: Fixtures): Promise<string> {
  const email = `${unique('member')}@example.test`;
  const invited = json<{ url: string }>(
    await api(f.served, {
      method: 'POST',
      path: '/api/v1/invitations',
      body: { email, roles: ['viewer'] },
    }),
  );
  const token = new URL(invited?.url ?? 'http://x').searchParams.get('token') ?? '';
  const accepted = await call(f.served.base, {
    method: 'POST',
    path: `/auth/invitations/${token}/accept`,
    body: { password: 'a long enough passphrase 1' },
  });
  if (accepted.status !== 200) throw new Error(`accept: ${accepted.status} ${accepted.text}`);
  const members = json<{ items: { id: string; email: string }[] }>(
    await api(f.served, { method: 'GET', path: '/api/v1/members' }),
  );
  const member = members?.items.find((m) => m.email === email);
  if (!member) throw new Error(`${email} is not a member after accepting`);
  return member.id;
}

/** A pending invitation to the sandbox (as a viewer): its id and the token of its link. */
async function freshInvitation(f: Fixtures): Promise<{ id: string; token: string; email: string }> {
  const email = `${unique('invitee')}@example.test`;
  const invited = json<{ id: string; url: string }>(
    await api(f.served, {
      method: 'POST',
      path: '/api/v1/invitations',
      body: { email, roles: ['viewer'] },
    }),
  );
  const token = new URL(invited?.url ?? 'http://x').searchParams.get('token') ?? '';
  return { id: invited?.id ?? '', token, email };
}

const SESSION_PASSWORD = 'a long enough passphrase 1';

/** A person who accepted an invitation, signed in: their email, cookie and CSRF token. */
async function freshSession(
  f: Fixtures,
): Promise<{ email: string; cookie: string; csrfToken: string }> {
  const { token, email } = await freshInvitation(f);
  const accepted = await call(f.served.base, {
    method: 'POST',
    path: `/auth/invitations/${token}/accept`,
    body: { password: SESSION_PASSWORD },
  });
  if (accepted.status !== 200) throw new Error(`accept: ${accepted.status} ${accepted.text}`);
  const cookie = [accepted.headers['set-cookie'] ?? []]
    .flat()
    .map((c) => c.split(';', 1)[0])
    .join('; ');
  const csrfToken = json<{ csrfToken: string }>(accepted)?.csrfToken ?? '';
  return { email, cookie, csrfToken };
}

/** Calls with the admin token; throws unless the status is one of `expected`. */
export async function api(
  served: Served,
  c: Call,
  expected: number[] = [200, 201, 202, 204],
): Promise<Answer> {
  const answer = await call(served.base, {
    ...c,
    headers: { ...served.auth, ...c.headers },
  });
  if (!expected.includes(answer.status))
    throw new Error(`${c.method} ${c.path}: ${answer.status} ${answer.text.slice(0, 300)}`);
  return answer;
}

const idOf = (answer: Answer) => {
  const id = json<{ id?: string }>(answer)?.id;
  if (!id) throw new Error(`no id in ${answer.text.slice(0, 200)}`);
  return id;
};

/** One MO_JSON_2 body as Infobip sends it (numbers without `+`). */
export function inboundBody(text: string, overrides: Record<string, unknown> = {}) {
  return {
    results: [
      {
        messageId: unique('mo'),
        from: SOCKET_PERSON.slice(1),
        to: SOCKET_INBOUND.slice(1),
        text,
        cleanText: text,
        keyword: text.split(' ')[0] ?? '',
        receivedAt: '2026-11-25T12:00:00.000+0000',
        smsCount: 1,
        price: { pricePerMessage: 0, currency: 'EUR' },
        callbackData: null,
        ...overrides,
      },
    ],
    messageCount: 1,
    pendingMessageCount: 0,
  };
}

/** A v3 delivery report for `messageId`. */
export function reportBody(messageId: string) {
  return {
    results: [
      {
        messageId,
        to: '14155550172',
        sender: 'TERN',
        sentAt: '2026-11-25T12:00:00.000+0000',
        doneAt: '2026-11-25T12:00:01.000+0000',
        messageCount: 1,
        price: { pricePerMessage: 0.01, currency: 'EUR' },
        status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET' },
        error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', permanent: false },
      },
    ],
  };
}

/** Makes the fixtures through the API of a running Tern. */
export async function makeFixtures(served: Served): Promise<Fixtures> {
  const credential = async (inboundNumber?: string) => {
    const answer = await api(served, {
      method: 'POST',
      path: '/api/v1/credentials',
      body: {
        name: unique('cred'),
        baseUrl: served.sim.url,
        apiKey: SIMULATOR_KEY,
        sendRatePerSecond: 1000,
        customInboundKeywords: 'OFFERS',
        ...(inboundNumber ? { inboundNumber } : {}),
      },
    });
    return json<{
      id: string;
      webhooks: { inbound: { url: string }; deliveryReports: { url: string } };
    }>(answer)!;
  };
  const main = await credential(SOCKET_INBOUND);
  const channel = async (credentialId: string) =>
    idOf(
      await api(served, {
        method: 'POST',
        path: '/api/v1/channel-configurations',
        body: { name: unique('chan'), credentialId, sender: 'TERN' },
      }),
    );
  const channelId = await channel(main.id);
  const messageId = idOf(
    await api(served, {
      method: 'POST',
      path: '/api/v1/messages',
      body: { channelConfigurationId: channelId, to: '+14155550172', text: 'Hello' },
    }),
  );
  const inboundPath = new URL(main.webhooks.inbound.url).pathname;
  const reportsPath = new URL(main.webhooks.deliveryReports.url).pathname;
  const received = await call(served.base, {
    method: 'POST',
    path: inboundPath,
    body: inboundBody('OFFERS'),
  });
  const inboundId = json<{ results: { inboundMessageId: string }[] }>(received)?.results[0]
    ?.inboundMessageId;
  if (received.status !== 200 || !inboundId) throw new Error(`inbound: ${received.text}`);
  const eventWebhook = async () =>
    idOf(
      await api(served, {
        method: 'POST',
        path: '/api/v1/event-webhooks',
        body: { url: `${served.sim.url}/tern-events`, types: ['consent.changed'] },
      }),
    );
  const template = async () =>
    idOf(
      await api(served, {
        method: 'POST',
        path: '/api/v1/templates',
        body: {
          name: unique('tpl'),
          body: 'Hi {{ profile.attributes.firstName | default: "there" }}. Reply STOP to opt out',
        },
      }),
    );
  const segment = async () =>
    idOf(
      await api(served, {
        method: 'POST',
        path: '/api/v1/segments',
        body: {
          name: unique('seg'),
          live: true,
          rule: { all: [{ keyword: 'OFFERS' }, { not: { consent: { in: ['unsubscribed'] } } }] },
        },
      }),
    );
  const list = async () =>
    idOf(
      await api(served, { method: 'POST', path: '/api/v1/lists', body: { name: unique('list') } }),
    );
  const marketingChannelId = idOf(
    await api(served, {
      method: 'POST',
      path: '/api/v1/channel-configurations',
      body: {
        name: unique('promo'),
        credentialId: main.id,
        sender: 'TERN',
        messageType: 'marketing',
      },
    }),
  );
  // Three numbers at one a minute: a confirmed campaign stays running for two minutes.
  const campaignListId = await list();
  await api(served, {
    method: 'POST',
    path: `/api/v1/lists/${campaignListId}/members`,
    body: { phones: ['+14155550181', '+14155550182', '+14155550183'] },
  });
  const campaignTemplateId = await template();
  const campaign = async (state: 'draft' | 'running' | 'paused' = 'draft') => {
    const id = idOf(
      await api(served, {
        method: 'POST',
        path: '/api/v1/campaigns',
        body: {
          name: unique('camp'),
          audience: { listId: campaignListId },
          templateId: campaignTemplateId,
          channelConfigurationId: marketingChannelId,
          pacing: { perMinute: 1 },
        },
      }),
    );
    if (state !== 'draft')
      await api(served, { method: 'POST', path: `/api/v1/campaigns/${id}/confirm` });
    if (state === 'paused')
      await api(served, { method: 'POST', path: `/api/v1/campaigns/${id}/pause` });
    return id;
  };
  return {
    served,
    marketingChannelId,
    campaignId: await campaign(),
    credentialId: main.id,
    inboundPath,
    reportsPath,
    channelId,
    messageId,
    inboundId,
    eventWebhookId: await eventWebhook(),
    templateId: await template(),
    segmentId: await segment(),
    listId: await list(),
    fresh: {
      credential: async () => (await credential()).id,
      channel: () => channel(main.id),
      eventWebhook,
      token: async () =>
        idOf(
          await api(served, {
            method: 'POST',
            path: '/api/v1/tokens',
            body: { name: unique('tok') },
          }),
        ),
      template,
      segment,
      list,
      campaign,
    },
  };
}

/** The happy path of a route: a request and the statuses that count as success. */
export interface Happy extends Call {
  expect: number[];
  /** Read only the start of the answer (an endless event stream). */
  stream?: boolean;
  /** No bearer token (webhooks, probes, the console). */
  anonymous?: boolean;
}

export interface RouteCase {
  /** `METHOD /registered/:url`, as in app.registeredRoutes. */
  route: string;
  happy(f: Fixtures): Promise<Happy> | Happy;
  /** Where fuzzed values go: the path with `:params` and whether a body is read. */
  body: boolean;
}

const get = (
  route: string,
  path: (f: Fixtures) => string,
  expect = [200],
  extra: Partial<Happy> = {},
): RouteCase => ({
  route: `GET ${route}`,
  body: false,
  happy: (f) => ({ method: 'GET', path: path(f), expect, ...extra }),
});

const phone = encodeURIComponent(SOCKET_PERSON);

/** Every route Tern serves. A HEAD route is covered by its GET (each GET case is sent as HEAD too). */
export const ROUTE_CASES: RouteCase[] = [
  // Probes, metrics, the OpenAPI document, Swagger UI, the console.
  get('/healthz', () => '/healthz', [200], { anonymous: true }),
  get('/readyz', () => '/readyz', [200], { anonymous: true }),
  get('/metrics', () => '/metrics', [200], {
    anonymous: true,
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  }),
  get('/openapi.json', () => '/openapi.json', [200], { anonymous: true }),
  // Sign-in methods, public: the sign-in page reads them before anyone is signed in.
  get('/auth/methods', () => '/auth/methods', [200], { anonymous: true }),
  // Console sign-in (password) and invitations.
  {
    route: 'POST /auth/login',
    body: true,
    happy: async (f) => ({
      method: 'POST',
      path: '/auth/login',
      body: { email: (await freshSession(f)).email, password: SESSION_PASSWORD },
      expect: [200],
      anonymous: true,
    }),
  },
  {
    route: 'GET /auth/session',
    body: false,
    happy: async (f) => ({
      method: 'GET',
      path: '/auth/session',
      headers: { cookie: (await freshSession(f)).cookie },
      expect: [200],
      anonymous: true,
    }),
  },
  {
    route: 'POST /auth/logout',
    body: false,
    happy: async (f) => {
      const s = await freshSession(f);
      return {
        method: 'POST',
        path: '/auth/logout',
        headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
        expect: [204],
        anonymous: true,
      };
    },
  },
  {
    route: 'GET /auth/invitations/:token',
    body: false,
    happy: async (f) => ({
      method: 'GET',
      path: `/auth/invitations/${(await freshInvitation(f)).token}`,
      expect: [200],
      anonymous: true,
    }),
  },
  {
    route: 'POST /auth/invitations/:token/accept',
    body: true,
    happy: async (f) => ({
      method: 'POST',
      path: `/auth/invitations/${(await freshInvitation(f)).token}/accept`,
      body: { password: SESSION_PASSWORD },
      expect: [200],
      anonymous: true,
    }),
  },
  {
    route: 'POST /api/v1/invitations',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/invitations',
      body: { email: `${unique('invitee')}@example.test`, roles: ['operator'] },
      expect: [201],
    }),
  },
  get('/api/v1/invitations', () => '/api/v1/invitations'),
  {
    route: 'DELETE /api/v1/invitations/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/invitations/${(await freshInvitation(f)).id}`,
      expect: [204],
    }),
  },
  // Single sign-on, not configured in these runs: both send the browser back with the reason.
  get('/auth/oidc/start', () => '/auth/oidc/start', [302], { anonymous: true }),
  get('/auth/oidc/callback', () => '/auth/oidc/callback?code=x&state=y', [302], {
    anonymous: true,
  }),
  get('/docs', () => '/docs', [200, 302], { anonymous: true }),
  get('/docs/', () => '/docs/', [200, 302], { anonymous: true }),
  get('/docs/static/index.html', () => '/docs/static/index.html', [200, 302], { anonymous: true }),
  get('/docs/static/swagger-initializer.js', () => '/docs/static/swagger-initializer.js', [200], {
    anonymous: true,
  }),
  get('/docs/json', () => '/docs/json', [200], { anonymous: true }),
  get('/docs/yaml', () => '/docs/yaml', [200], { anonymous: true }),
  get('/docs/static/*', () => '/docs/static/swagger-ui.css', [200], { anonymous: true }),
  get('/', () => '/', [200], { anonymous: true, headers: { accept: 'text/html' } }),
  // Only when the console is built (web/dist): its own paths load index.html.
  get('/*', () => '/credentials/new', [200], { anonymous: true, headers: { accept: 'text/html' } }),

  // Provider webhooks: the secret in the URL, no token.
  {
    route: 'POST /webhooks/infobip/:credentialId/inbound/:secret',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: f.inboundPath,
      body: inboundBody('HELP'),
      expect: [200],
      anonymous: true,
    }),
  },
  {
    route: 'POST /webhooks/infobip/:credentialId/reports/:secret',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: f.reportsPath,
      body: reportBody(f.messageId),
      expect: [200],
      anonymous: true,
    }),
  },

  // The API.
  get('/api/v1/me', () => '/api/v1/me'),
  get('/api/v1/stats', () => '/api/v1/stats?range=7d'),
  get('/api/v1/sandboxes', () => '/api/v1/sandboxes'),
  {
    route: 'POST /api/v1/sandboxes',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/sandboxes',
      body: {
        name: unique('sbx')
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, '-'),
      },
      expect: [201],
    }),
  },
  {
    route: 'PATCH /api/v1/sandboxes/:name',
    body: true,
    happy: () => ({
      method: 'PATCH',
      path: '/api/v1/sandboxes/prod',
      body: { consentPolicy: 'not-unsubscribed' },
      expect: [200],
    }),
  },
  get('/api/v1/tokens', () => '/api/v1/tokens'),
  {
    route: 'POST /api/v1/tokens',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/tokens',
      body: { name: unique('tok') },
      expect: [201],
    }),
  },
  {
    route: 'DELETE /api/v1/tokens/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/tokens/${await f.fresh.token()}`,
      expect: [204],
    }),
  },
  get('/api/v1/audit', () => '/api/v1/audit?limit=5'),
  get('/api/v1/members', () => '/api/v1/members'),
  {
    route: 'PUT /api/v1/members/:userId',
    body: true,
    happy: async (f) => ({
      method: 'PUT',
      path: `/api/v1/members/${await freshMember(f)}`,
      body: { roles: ['operator', 'compliance'] },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/members/:userId',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/members/${await freshMember(f)}`,
      expect: [204],
    }),
  },
  get('/api/v1/credentials', () => '/api/v1/credentials?name=cred&limit=10'),
  {
    route: 'POST /api/v1/credentials',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: '/api/v1/credentials',
      body: { name: unique('cred'), baseUrl: f.served.sim.url, apiKey: SIMULATOR_KEY },
      expect: [201],
    }),
  },
  get('/api/v1/credentials/:id', (f) => `/api/v1/credentials/${f.credentialId}`),
  {
    route: 'PATCH /api/v1/credentials/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/credentials/${await f.fresh.credential()}`,
      headers: { 'if-match': '"1"' },
      body: { helpMessage: 'Help is on its way.', optOutKeywords: 'ARRET, Halt' },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/credentials/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/credentials/${await f.fresh.credential()}?force=true`,
      expect: [204],
    }),
  },
  {
    route: 'POST /api/v1/credentials/:id/verify',
    body: false,
    happy: (f) => ({
      method: 'POST',
      path: `/api/v1/credentials/${f.credentialId}/verify`,
      expect: [200],
    }),
  },
  // Keyword responses (issue 17), on fresh credentials: the main one's OFFERS stays unanswered.
  get(
    '/api/v1/credentials/:id/keyword-responses',
    (f) => `/api/v1/credentials/${f.credentialId}/keyword-responses`,
  ),
  {
    route: 'GET /api/v1/credentials/:id/keyword-responses/:keyword',
    body: false,
    happy: async (f) => ({
      method: 'GET',
      path: `/api/v1/credentials/${await keywordResponse(f)}/keyword-responses/OFFERS`,
      expect: [200],
    }),
  },
  {
    route: 'PUT /api/v1/credentials/:id/keyword-responses/:keyword',
    body: true,
    happy: async (f) => ({
      method: 'PUT',
      path: `/api/v1/credentials/${await f.fresh.credential()}/keyword-responses/offers`,
      body: {
        templateId: f.templateId,
        actions: [
          { type: 'add_to_list', listId: f.listId },
          { type: 'set_attribute', name: 'asked', value: true },
        ],
      },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/credentials/:id/keyword-responses/:keyword',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/credentials/${await keywordResponse(f)}/keyword-responses/OFFERS`,
      expect: [204],
    }),
  },
  get(
    '/api/v1/channel-configurations',
    (f) => `/api/v1/channel-configurations?credentialId=${f.credentialId}`,
  ),
  {
    route: 'POST /api/v1/channel-configurations',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: '/api/v1/channel-configurations',
      body: { name: unique('chan'), credentialId: f.credentialId, sender: 'TERN' },
      expect: [201],
    }),
  },
  get('/api/v1/channel-configurations/:id', (f) => `/api/v1/channel-configurations/${f.channelId}`),
  {
    route: 'PATCH /api/v1/channel-configurations/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/channel-configurations/${await f.fresh.channel()}`,
      body: { description: 'changed over a real socket' },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/channel-configurations/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/channel-configurations/${await f.fresh.channel()}`,
      expect: [204],
    }),
  },
  get('/api/v1/profiles', () => '/api/v1/profiles?phone=555&consent=subscribed&limit=10'),
  get('/api/v1/profiles/consent.csv', () => '/api/v1/profiles/consent.csv'),
  {
    route: 'POST /api/v1/profiles/consent.csv',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/profiles/consent.csv',
      headers: { 'content-type': 'text/csv' },
      body: 'phone,consent,note\n+14155550173,subscribed,"signed up, on paper"\n',
      expect: [200],
    }),
  },
  get('/api/v1/profiles/:phone', () => `/api/v1/profiles/${phone}`),
  {
    route: 'PUT /api/v1/profiles/:phone/consent',
    body: true,
    happy: () => ({
      method: 'PUT',
      path: `/api/v1/profiles/${encodeURIComponent('+14155550174')}/consent`,
      body: { consent: 'subscribed', note: 'web form' },
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/profiles/:phone/double-opt-in',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: `/api/v1/profiles/${encodeURIComponent('+14155550175')}/double-opt-in`,
      body: { credentialId: f.credentialId },
      expect: [202],
    }),
  },
  {
    route: 'DELETE /api/v1/profiles/:phone',
    body: false,
    happy: () => ({
      method: 'DELETE',
      path: `/api/v1/profiles/${encodeURIComponent('+14155550174')}`,
      expect: [204],
    }),
  },
  get('/api/v1/events/stream', () => '/api/v1/events/stream?types=consent.changed', [200], {
    stream: true,
  }),
  get('/api/v1/inbound', () => `/api/v1/inbound?from=${phone}&category=custom`),
  get('/api/v1/inbound/:id', (f) => `/api/v1/inbound/${f.inboundId}`),
  {
    route: 'POST /api/v1/messages',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: '/api/v1/messages',
      headers: { 'idempotency-key': unique('idem') },
      body: { channelConfigurationId: f.channelId, to: '+14155550176', text: 'Hi there 👋' },
      expect: [202],
    }),
  },
  {
    route: 'POST /api/v1/messages/batch',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: '/api/v1/messages/batch',
      body: {
        messages: [
          { channelConfigurationId: f.channelId, to: '+14155550177', text: 'one' },
          { channelConfigurationId: f.channelId, to: 'not a number', text: 'two' },
        ],
      },
      expect: [202],
    }),
  },
  get('/api/v1/messages', (f) => `/api/v1/messages?channelConfigurationId=${f.channelId}&limit=5`),
  get('/api/v1/messages/:id', (f) => `/api/v1/messages/${f.messageId}`),
  get(
    '/api/v1/messages/export',
    (f) => `/api/v1/messages/export?channelConfigurationId=${f.channelId}&status=queued`,
  ),
  get('/api/v1/event-webhooks', () => '/api/v1/event-webhooks'),
  {
    route: 'POST /api/v1/event-webhooks',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: '/api/v1/event-webhooks',
      body: { url: `${f.served.sim.url}/tern-events`, description: 'real socket' },
      expect: [201],
    }),
  },
  get('/api/v1/event-webhooks/:id', (f) => `/api/v1/event-webhooks/${f.eventWebhookId}`),
  {
    route: 'PATCH /api/v1/event-webhooks/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/event-webhooks/${await f.fresh.eventWebhook()}`,
      body: { enabled: false },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/event-webhooks/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/event-webhooks/${await f.fresh.eventWebhook()}`,
      expect: [204],
    }),
  },
  get(
    '/api/v1/event-webhooks/:id/deliveries',
    (f) => `/api/v1/event-webhooks/${f.eventWebhookId}/deliveries`,
  ),
  get('/api/v1/templates', () => '/api/v1/templates?name=tpl&limit=10'),
  {
    route: 'POST /api/v1/templates',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/templates',
      body: {
        name: unique('tpl'),
        body: 'Hello {{ profile.attributes.firstName | default: "you" }}. Reply STOP to opt out',
        messageType: 'marketing',
      },
      expect: [201],
    }),
  },
  {
    route: 'POST /api/v1/templates/render',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: '/api/v1/templates/render',
      body: {
        body: 'Hi {{ profile.phone }} ’ Reply STOP to opt out',
        phone: SOCKET_PERSON,
        channelConfigurationId: f.channelId,
      },
      expect: [200],
    }),
  },
  get('/api/v1/templates/:id', (f) => `/api/v1/templates/${f.templateId}`),
  {
    route: 'PATCH /api/v1/templates/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/templates/${await f.fresh.template()}`,
      headers: { 'if-match': '"1"' },
      body: { body: 'Changed over a real socket. Reply STOP to opt out' },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/templates/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/templates/${await f.fresh.template()}`,
      expect: [204],
    }),
  },
  get('/api/v1/templates/:id/versions', (f) => `/api/v1/templates/${f.templateId}/versions`),
  {
    route: 'POST /api/v1/templates/:id/preview',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: `/api/v1/templates/${f.templateId}/preview`,
      body: { phones: [SOCKET_PERSON] },
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/segments/count',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/segments/count',
      body: { rule: { any: [{ keyword: 'OFFERS', since: '30d' }, { country: { in: ['US'] } }] } },
      expect: [200],
    }),
  },
  get('/api/v1/segments', () => '/api/v1/segments?name=seg&limit=10'),
  {
    route: 'POST /api/v1/segments',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/segments',
      body: { name: unique('seg'), rule: { attribute: 'plan', in: ['gold', 'silver'] } },
      expect: [201],
    }),
  },
  get('/api/v1/segments/:id', (f) => `/api/v1/segments/${f.segmentId}`),
  {
    route: 'PATCH /api/v1/segments/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/segments/${await f.fresh.segment()}`,
      headers: { 'if-match': '"1"' },
      body: { description: 'changed over a real socket', live: false },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/segments/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/segments/${await f.fresh.segment()}`,
      expect: [204],
    }),
  },
  get('/api/v1/segments/:id/count', (f) => `/api/v1/segments/${f.segmentId}/count`),
  get('/api/v1/segments/:id/members', (f) => `/api/v1/segments/${f.segmentId}/members?limit=5`),
  get('/api/v1/lists', () => '/api/v1/lists?name=list&limit=10'),
  {
    route: 'POST /api/v1/lists',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/lists',
      body: { name: unique('list'), description: 'real socket' },
      expect: [201],
    }),
  },
  get('/api/v1/lists/:id', (f) => `/api/v1/lists/${f.listId}`),
  {
    route: 'PATCH /api/v1/lists/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/lists/${await f.fresh.list()}`,
      headers: { 'if-match': '"1"' },
      body: { description: 'renamed' },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/lists/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/lists/${await f.fresh.list()}`,
      expect: [204],
    }),
  },
  get('/api/v1/lists/:id/members', (f) => `/api/v1/lists/${f.listId}/members?limit=5`),
  {
    route: 'POST /api/v1/lists/:id/members',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: `/api/v1/lists/${f.listId}/members`,
      body: { phones: [SOCKET_PERSON, '+14155550178'] },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/lists/:id/members',
    body: true,
    happy: (f) => ({
      method: 'DELETE',
      path: `/api/v1/lists/${f.listId}/members`,
      body: { phones: ['+14155550178'] },
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/lists/:id/import',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: `/api/v1/lists/${f.listId}/import`,
      headers: { 'content-type': 'text/csv' },
      body: 'name,phone\nAnn,+14155550179\nBad,12\n',
      expect: [200],
    }),
  },
  get('/api/v1/campaigns', () => '/api/v1/campaigns?status=draft&limit=10'),
  {
    route: 'POST /api/v1/campaigns',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: '/api/v1/campaigns',
      body: {
        name: unique('camp'),
        audience: { segmentId: f.segmentId },
        templateId: f.templateId,
        channelConfigurationId: f.marketingChannelId,
        pacing: { perSecond: 5 },
        seedPhones: [SOCKET_PERSON],
        autoPause: { optOutRate: 0.05 },
      },
      expect: [201],
    }),
  },
  get('/api/v1/campaigns/:id', (f) => `/api/v1/campaigns/${f.campaignId}`),
  {
    route: 'PATCH /api/v1/campaigns/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/campaigns/${await f.fresh.campaign()}`,
      headers: { 'if-match': '"1"' },
      body: { name: 'renamed over a real socket', pacing: { perMinute: 2 } },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/campaigns/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/campaigns/${await f.fresh.campaign()}`,
      expect: [204],
    }),
  },
  {
    route: 'POST /api/v1/campaigns/:id/estimate',
    body: false,
    happy: (f) => ({
      method: 'POST',
      path: `/api/v1/campaigns/${f.campaignId}/estimate`,
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/campaigns/:id/test-send',
    body: true,
    happy: (f) => ({
      method: 'POST',
      path: `/api/v1/campaigns/${f.campaignId}/test-send`,
      body: { phones: [SOCKET_PERSON] },
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/campaigns/:id/confirm',
    body: true,
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/campaigns/${await f.fresh.campaign()}/confirm`,
      headers: { 'if-match': '"1"' },
      body: { templateVersion: 1 },
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/campaigns/:id/pause',
    body: false,
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/campaigns/${await f.fresh.campaign('running')}/pause`,
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/campaigns/:id/resume',
    body: false,
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/campaigns/${await f.fresh.campaign('paused')}/resume`,
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/campaigns/:id/cancel',
    body: false,
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/campaigns/${await f.fresh.campaign('running')}/cancel`,
      expect: [200],
    }),
  },
  get('/api/v1/campaigns/:id/results', (f) => `/api/v1/campaigns/${f.campaignId}/results`),
  get(
    '/api/v1/campaigns/:id/recipients/export',
    (f) => `/api/v1/campaigns/${f.campaignId}/recipients/export`,
  ),
  get('/api/v1/policy/rules', () => '/api/v1/policy/rules?limit=10'),
  {
    route: 'POST /api/v1/policy/rules',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/policy/rules',
      body: policyRuleBody(),
      expect: [201],
    }),
  },
  get('/api/v1/policy/rules/:id', () => '/api/v1/policy/rules/us-fl'),
  {
    route: 'PATCH /api/v1/policy/rules/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/policy/rules/${await freshPolicyRule(f)}`,
      body: { name: unique('policy') },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/policy/rules/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/policy/rules/${await freshPolicyRule(f)}`,
      expect: [204],
    }),
  },
  {
    route: 'POST /api/v1/policy/check',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/policy/check',
      body: { to: '+13055550123', at: '2026-12-03T02:30:00.000Z' },
      expect: [200],
    }),
  },
  // Flows (issue 17): api_event flows with a long first wait, so a run stays active.
  get('/api/v1/flows', () => '/api/v1/flows?status=draft&limit=10'),
  {
    route: 'POST /api/v1/flows',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/flows',
      body: { name: unique('flow'), definition: flowDefinition(unique('ev')) },
      expect: [201],
    }),
  },
  {
    route: 'POST /api/v1/flows/validate',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/flows/validate',
      body: { definition: flowDefinition('signup') },
      expect: [200],
    }),
  },
  {
    route: 'GET /api/v1/flows/:id',
    body: false,
    happy: async (f) => ({
      method: 'GET',
      path: `/api/v1/flows/${await freshFlow(f)}`,
      expect: [200],
    }),
  },
  {
    route: 'PATCH /api/v1/flows/:id',
    body: true,
    happy: async (f) => ({
      method: 'PATCH',
      path: `/api/v1/flows/${await freshFlow(f)}`,
      headers: { 'if-match': '"1"' },
      body: { status: 'paused' },
      expect: [200],
    }),
  },
  {
    route: 'DELETE /api/v1/flows/:id',
    body: false,
    happy: async (f) => ({
      method: 'DELETE',
      path: `/api/v1/flows/${await freshFlow(f)}`,
      expect: [204],
    }),
  },
  {
    route: 'GET /api/v1/flows/:id/versions',
    body: false,
    happy: async (f) => ({
      method: 'GET',
      path: `/api/v1/flows/${await freshFlow(f)}/versions`,
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/flows/:id/simulate',
    body: true,
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/flows/${await freshFlow(f)}/simulate`,
      body: { script: [{ atSeconds: 30, text: 'hello' }], start: true },
      expect: [200],
    }),
  },
  get('/api/v1/flow-runs', () => `/api/v1/flow-runs?status=active&phone=${phone}`),
  {
    route: 'GET /api/v1/flow-runs/:id',
    body: false,
    happy: async (f) => ({
      method: 'GET',
      path: `/api/v1/flow-runs/${await freshFlowRun(f)}`,
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/flow-runs/:id/cancel',
    body: false,
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/flow-runs/${await freshFlowRun(f)}/cancel`,
      expect: [200],
    }),
  },
  {
    route: 'POST /api/v1/flow-events',
    body: true,
    happy: () => ({
      method: 'POST',
      path: '/api/v1/flow-events',
      body: { event: unique('ev'), phone: SOCKET_PERSON, data: { plan: 'gold' } },
      expect: [202],
    }),
  },

  // Approvals: the token requests; deciding needs a person, so a token's approve is refused.
  get('/api/v1/approval-settings', () => '/api/v1/approval-settings'),
  {
    route: 'PUT /api/v1/approval-settings',
    body: true,
    happy: () => ({
      method: 'PUT',
      path: '/api/v1/approval-settings',
      body: { campaignApprovalAbove: null },
      expect: [200],
    }),
  },
  get('/api/v1/approvals', () => '/api/v1/approvals?status=pending'),
  {
    route: 'GET /api/v1/approvals/:id',
    body: false,
    happy: async (f) => ({
      method: 'GET',
      path: `/api/v1/approvals/${await pendingApproval(f)}`,
      expect: [200],
    }),
  },
  ...(['approve', 'reject'] as const).map((verb): RouteCase => ({
    route: `POST /api/v1/approvals/:id/${verb}`,
    body: verb === 'reject',
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/approvals/${await pendingApproval(f)}/${verb}`,
      ...(verb === 'reject' ? { body: { reason: 'not now' } } : {}),
      expect: [403],
    }),
  })),
  {
    route: 'POST /api/v1/approvals/:id/cancel',
    body: false,
    happy: async (f) => ({
      method: 'POST',
      path: `/api/v1/approvals/${await pendingApproval(f)}/cancel`,
      expect: [200],
    }),
  },
];

/** A campaign confirm waiting for approval (the threshold on for that confirm only). */
async function pendingApproval(f: Fixtures): Promise<string> {
  const settings = (on: number | null) =>
    api(f.served, {
      method: 'PUT',
      path: '/api/v1/approval-settings',
      body: { campaignApprovalAbove: on },
    });
  const campaign = await f.fresh.campaign();
  await settings(0);
  try {
    const answer = await api(
      f.served,
      { method: 'POST', path: `/api/v1/campaigns/${campaign}/confirm` },
      [202],
    );
    return (json<{ approval: { id: string } }>(answer)?.approval.id ?? '') || 'missing';
  } finally {
    await settings(null);
  }
}

/** A sandbox send-time rule (issue 16): Germany 09:00-18:00 every day. */
function policyRuleBody() {
  const day = [{ start: '09:00', end: '18:00' }];
  return {
    name: unique('policy'),
    scope: { country: 'DE' },
    kind: 'window',
    window: {
      timeZoneFrom: 'recipient',
      days: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
    },
    outside: 'hold',
    exempt: { transactional: true, oneTimeCodes: true },
    source: 'route cases',
    effectiveFrom: '2026-01-01',
  };
}

async function freshPolicyRule(f: Fixtures): Promise<string> {
  return idOf(
    await api(f.served, { method: 'POST', path: '/api/v1/policy/rules', body: policyRuleBody() }),
  );
}

/** A fresh credential whose OFFERS has a response; its id. */
async function keywordResponse(f: Fixtures): Promise<string> {
  const id = await f.fresh.credential();
  await api(f.served, {
    method: 'PUT',
    path: `/api/v1/credentials/${id}/keyword-responses/OFFERS`,
    body: { templateId: null, actions: [{ type: 'webhook', name: 'route_case' }] },
  });
  return id;
}

/** An api_event flow that waits an hour, then ends: no channel, no template. */
function flowDefinition(event: string) {
  return {
    trigger: { type: 'api_event', event },
    steps: [{ id: 'pause', type: 'wait', seconds: 3600 }],
  };
}

/** A fresh draft flow; its id. */
async function freshFlow(f: Fixtures, status: 'draft' | 'active' = 'draft', event = unique('ev')) {
  return idOf(
    await api(f.served, {
      method: 'POST',
      path: '/api/v1/flows',
      body: { name: unique('flow'), status, definition: flowDefinition(event) },
    }),
  );
}

/** A run of a fresh active flow, waiting its hour; the run's id. */
async function freshFlowRun(f: Fixtures): Promise<string> {
  const event = unique('ev');
  await freshFlow(f, 'active', event);
  const answer = await api(f.served, {
    method: 'POST',
    path: '/api/v1/flow-events',
    body: { event, phone: SOCKET_PERSON },
  });
  const runId = json<{ runs: { runId: string }[] }>(answer)?.runs[0]?.runId;
  if (!runId) throw new Error(`no run in ${answer.text.slice(0, 200)}`);
  return runId;
}

/** Routes the OpenAPI document does not list (schema.hide), each with a case above. */
export const HIDDEN_ROUTES = [
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/*',
  'GET /',
  'GET /*',
];

/** Sends a happy-path request; an event stream is read until its first event, then dropped. */
export function sendHappy(f: Fixtures, happy: Happy): Promise<Answer> {
  const headers = { ...(happy.anonymous ? {} : f.served.auth), ...happy.headers };
  return happy.stream
    ? callStream(f.served.base, { ...happy, headers })
    : call(f.served.base, { ...happy, headers });
}
