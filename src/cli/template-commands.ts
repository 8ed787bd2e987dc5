import { AppError } from '../errors.js';
import type { PreviewItem } from '../templates/template.service.js';
import type { ApiClient } from './api-client.js';
import { listFlag, templateVersionFlag } from './flag-values.js';
import { printJson, printTable } from './output.js';
import { body, resourceCommand, show, type Page } from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

/** `tern templates list|get|create|update|delete|preview` */
export const templatesCommand = resourceCommand({
  noun: 'template',
  collection: '/v1/templates',
  list: { columns: ['id', 'name', 'version', 'messageType', 'updatedAt'] },
  verbs: {
    get: async ({ api, path, flags }) => {
      const n = templateVersionFlag(flags);
      show(flags, n === undefined ? await api.get(path()) : await versionOf(api, path(), n));
    },
    preview: async ({ api, path, flags }) => {
      const answer = await api.post<{ items: PreviewItem[] }>(
        `${path()}/preview`,
        previewTarget(flags),
      );
      if (flags.json) return printJson(answer);
      return printTable(answer.items.map(previewRow), [
        'phone',
        'ok',
        'segments',
        'encoding',
        'characters',
        'text',
        'problems',
      ]);
    },
  },
});

/** Version `n` from the template's versions (newest first), page by page. */
async function versionOf(api: ApiClient, path: string, n: number): Promise<unknown> {
  let cursor: string | undefined;
  do {
    const page = await api.get<Page<{ version: number }>>(`${path}/versions`, {
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    const found = page.items.find((v) => v.version === n);
    if (found) return found;
    // Newest first: once past n, it is not there.
    if (page.items.some((v) => v.version < n)) break;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  throw new AppError('not_found', `The template has no version ${n}.`);
}

/** `--data` as the preview route takes it, or `--phones` / `--profile-ids` / `--template-version`. */
function previewTarget(flags: ResourceFlags): Record<string, unknown> {
  if (flags.data !== undefined || flags.file !== undefined) return body(flags);
  const phones = listFlag(flags.phones);
  const profileIds = listFlag(flags['profile-ids']);
  const n = templateVersionFlag(flags);
  if (phones === undefined && profileIds === undefined)
    throw new UsageError('name whom to preview for: --phones +1415…,… or --profile-ids ID,…');
  return {
    ...(phones ? { phones } : {}),
    ...(profileIds ? { profileIds } : {}),
    ...(n !== undefined ? { version: n } : {}),
  };
}

function previewRow(item: PreviewItem): Record<string, unknown> {
  return {
    ...item,
    phone: item.phone ?? item.profileId ?? '',
    problems: item.problems.map((p) => `${p.path ?? ''} ${p.message}`.trim()),
  };
}
