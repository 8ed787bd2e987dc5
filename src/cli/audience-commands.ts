import { createReadStream } from 'node:fs';
import type {
  AudienceMember,
  AudienceService,
  ListInput,
  SegmentInput,
} from '../audiences/audience.service.js';
import type { Audience } from '../audiences/audience.js';
import type { Config } from '../config.js';
import { ListBody, MembersBody } from '../http/routes/lists.js';
import { SegmentBody } from '../http/routes/segments.js';
import { boundedLines } from '../profiles/csv.js';
import { checked, checkedBody, limitFlag, listFlag } from './checked-body.js';
import { printJson, printRecord, printTable } from './output.js';
import { body, CLI_ACTOR, need, sandboxOf, version, withRuntime } from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

type Members = { phones?: string[]; profileIds?: string[] };

/** `tern segments list|get|create|update|delete|count|members` */
export async function segmentsCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const audiences = runtime.services.audiences;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (value: object) => (flags.json ? printJson(value) : printRecord({ ...value }));
    switch (verb) {
      case 'list': {
        const page = await audiences.listSegments(sandbox, { name: flags.name, limit: 200 });
        if (flags.json) printJson(page.items);
        else
          printTable(page.items as unknown as Record<string, unknown>[], [
            'id',
            'name',
            'live',
            'version',
            'updatedAt',
          ]);
        return;
      }
      case 'get':
        return show(await audiences.getSegment(sandbox, need(id, 'segment')));
      case 'create':
        return show(
          await audiences.createSegment(
            sandbox,
            CLI_ACTOR,
            checkedBody<SegmentInput>(flags, SegmentBody),
          ),
        );
      case 'update':
        return show(
          await audiences.updateSegment(
            sandbox,
            CLI_ACTOR,
            need(id, 'segment'),
            checkedBody<SegmentInput>(flags, SegmentBody),
            version(flags),
          ),
        );
      case 'delete':
        await audiences.deleteSegment(sandbox, CLI_ACTOR, need(id, 'segment'));
        return flags.json ? printJson({ deleted: id }) : console.log(`Deleted segment ${id}.`);
      case 'count': {
        // A saved segment by id, or an unsaved rule: --data '{"rule": …}' (as POST /v1/segments/count).
        const audience = id !== undefined ? { segmentId: id } : { rule: ruleOf(body(flags)) };
        const count = await audiences.count(sandbox, audience);
        return flags.json ? printJson({ count }) : console.log(String(count));
      }
      case 'members':
        return members(audiences, sandbox, { segmentId: need(id, 'segment') }, flags);
      default:
        throw new UsageError(
          `unknown action "${verb ?? ''}": use list, get, create, update, delete, count or members`,
        );
    }
  });
}

/** `tern lists list|get|create|update|delete|members|add|remove|import` */
export async function listsCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const audiences = runtime.services.audiences;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (value: object) => (flags.json ? printJson(value) : printRecord({ ...value }));
    switch (verb) {
      case 'list': {
        const page = await audiences.listLists(sandbox, { name: flags.name, limit: 200 });
        if (flags.json) printJson(page.items);
        else
          printTable(page.items as unknown as Record<string, unknown>[], [
            'id',
            'name',
            'description',
            'version',
            'updatedAt',
          ]);
        return;
      }
      case 'get':
        return show(await audiences.getList(sandbox, need(id, 'list')));
      case 'create':
        return show(
          await audiences.createList(sandbox, CLI_ACTOR, checkedBody<ListInput>(flags, ListBody)),
        );
      case 'update':
        return show(
          await audiences.updateList(
            sandbox,
            CLI_ACTOR,
            need(id, 'list'),
            checkedBody<ListInput>(flags, ListBody),
            version(flags),
          ),
        );
      case 'delete':
        await audiences.deleteList(sandbox, CLI_ACTOR, need(id, 'list'));
        return flags.json ? printJson({ deleted: id }) : console.log(`Deleted list ${id}.`);
      case 'members':
        return members(audiences, sandbox, { listId: need(id, 'list') }, flags);
      case 'add':
        return show(
          await audiences.addMembers(sandbox, CLI_ACTOR, need(id, 'list'), membersOf(flags)),
        );
      case 'remove':
        return show(
          await audiences.removeMembers(sandbox, CLI_ACTOR, need(id, 'list'), membersOf(flags)),
        );
      case 'import': {
        const listId = need(id, 'list');
        if (!flags.file)
          throw new UsageError('give the CSV as --file members.csv (a phone column)');
        // The same line reader as the API's import: a line past 4,096 characters is a rejected row.
        const summary = await audiences.importCsv(
          sandbox,
          CLI_ACTOR,
          listId,
          boundedLines(createReadStream(flags.file, { encoding: 'utf8' }) as AsyncIterable<string>),
        );
        if (flags.json) return printJson(summary);
        console.log(
          `${summary.rows} rows: ${summary.added} added, ${summary.alreadyMembers} already members, ${summary.profilesCreated} profiles created, ${summary.rejected} rejected.`,
        );
        for (const r of summary.rejections)
          console.log(`  line ${r.line}${r.phone ? ` (${r.phone})` : ''}: ${r.reason}`);
        return;
      }
      default:
        throw new UsageError(
          `unknown action "${verb ?? ''}": use list, get, create, update, delete, members, add, remove or import`,
        );
    }
  });
}

function ruleOf(value: Record<string, unknown>): unknown {
  if (!('rule' in value)) throw new UsageError('give the rule as --data \'{"rule": {…}}\'');
  return value.rule;
}

/** `--phones` / `--profile-ids`, or `--data '{"phones": […]}'` as the members route takes it. */
function membersOf(flags: ResourceFlags): Members {
  if (flags.data !== undefined || flags.file !== undefined)
    return checkedBody<Members>(flags, MembersBody);
  const phones = listFlag(flags.phones);
  const profileIds = listFlag(flags['profile-ids']);
  if (phones === undefined && profileIds === undefined)
    throw new UsageError('name the members: --phones +1415…,… and/or --profile-ids ID,…');
  return checked<Members>(
    { ...(phones ? { phones } : {}), ...(profileIds ? { profileIds } : {}) },
    MembersBody,
  );
}

async function members(
  audiences: AudienceService,
  sandbox: string,
  audience: Audience,
  flags: ResourceFlags,
): Promise<void> {
  const page = await audiences.members(sandbox, audience, {
    cursor: flags.cursor,
    limit: limitFlag(flags),
  });
  if (flags.json) return printJson(page);
  printTable(page.items as unknown as Record<string, unknown>[], [
    'id',
    'phone',
    'consent',
  ] satisfies (keyof AudienceMember)[]);
  if (page.nextCursor) console.log(`\nMore: --cursor ${page.nextCursor}`);
}
