import { readFileSync } from 'node:fs';
import type { AudienceMember } from '../audiences/audience.service.js';
import type { ApiClient } from './api-client.js';
import { listFlag } from './flag-values.js';
import { printJson } from './output.js';
import {
  body,
  pageQuery,
  printPage,
  resourceCommand,
  show,
  type Page,
} from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

/** `tern segments list|get|create|update|delete|count|members` */
export const segmentsCommand = resourceCommand({
  noun: 'segment',
  collection: '/v1/segments',
  list: { columns: ['id', 'name', 'live', 'version', 'updatedAt'] },
  verbs: {
    count: async ({ api, id, path, flags }) => {
      // A saved segment by id, or an unsaved rule: --data '{"rule": …}' (as POST /v1/segments/count).
      const answer =
        id !== undefined
          ? await api.get<{ count: number }>(`${path()}/count`)
          : await api.post<{ count: number }>('/v1/segments/count', ruleBody(flags));
      return flags.json ? printJson(answer) : console.log(String(answer.count));
    },
    members: ({ api, path, flags }) => members(api, `${path()}/members`, flags),
  },
});

interface ImportSummary {
  rows: number;
  added: number;
  alreadyMembers: number;
  profilesCreated: number;
  rejected: number;
  rejections: { line: number; phone?: string; reason: string }[];
}

/** `tern lists list|get|create|update|delete|members|add|remove|import` */
export const listsCommand = resourceCommand({
  noun: 'list',
  collection: '/v1/lists',
  list: { columns: ['id', 'name', 'description', 'version', 'updatedAt'] },
  verbs: {
    members: ({ api, path, flags }) => members(api, `${path()}/members`, flags),
    add: async ({ api, path, flags }) =>
      show(flags, await api.post(`${path()}/members`, membersOf(flags))),
    remove: async ({ api, path, flags }) =>
      show(
        flags,
        (await api.request('DELETE', `${path()}/members`, { body: membersOf(flags) })).body,
      ),
    import: async ({ api, path, flags }) => {
      const listPath = path();
      if (!flags.file) throw new UsageError('give the CSV as --file members.csv (a phone column)');
      // The server reads it line by line (a line past 4,096 characters is a rejected row).
      const summary = (
        await api.request<ImportSummary>('POST', `${listPath}/import`, {
          raw: { contentType: 'text/csv', data: readFileSync(flags.file) },
        })
      ).body;
      if (flags.json) return printJson(summary);
      console.log(
        `${summary.rows} rows: ${summary.added} added, ${summary.alreadyMembers} already members, ${summary.profilesCreated} profiles created, ${summary.rejected} rejected.`,
      );
      for (const r of summary.rejections)
        console.log(`  line ${r.line}${r.phone ? ` (${r.phone})` : ''}: ${r.reason}`);
    },
  },
});

function ruleBody(flags: ResourceFlags): Record<string, unknown> {
  const value = body(flags);
  if (!('rule' in value)) throw new UsageError('give the rule as --data \'{"rule": {…}}\'');
  return value;
}

/** `--phones` / `--profile-ids`, or `--data '{"phones": […]}'` as the members route takes it. */
function membersOf(flags: ResourceFlags): Record<string, unknown> {
  if (flags.data !== undefined || flags.file !== undefined) return body(flags);
  const phones = listFlag(flags.phones);
  const profileIds = listFlag(flags['profile-ids']);
  if (phones === undefined && profileIds === undefined)
    throw new UsageError('name the members: --phones +1415…,… and/or --profile-ids ID,…');
  return { ...(phones ? { phones } : {}), ...(profileIds ? { profileIds } : {}) };
}

async function members(api: ApiClient, path: string, flags: ResourceFlags): Promise<void> {
  const page = await api.get<Page<AudienceMember>>(path, pageQuery(flags, 50));
  printPage(flags, page, ['id', 'phone', 'consent'] satisfies (keyof AudienceMember)[], (m) => ({
    ...m,
  }));
}
