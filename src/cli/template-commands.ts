import type { PreviewItem, PreviewTarget } from '../templates/template.service.js';
import type { TemplateInput } from '../templates/template.js';
import { PreviewBody, TemplateBody } from '../http/routes/templates.js';
import { checked, checkedBody, listFlag, templateVersionFlag } from './checked-body.js';
import { printJson, printRecord, printTable } from './output.js';
import { CLI_ACTOR, need, sandboxOf, version, withRuntime } from './resource-commands.js';
import type { Config } from '../config.js';
import { UsageError, type ResourceFlags } from './usage.js';

/** `tern templates list|get|create|update|delete|preview` */
export async function templatesCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const templates = runtime.services.templates;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (value: object) => (flags.json ? printJson(value) : printRecord({ ...value }));
    switch (verb) {
      case 'list': {
        const page = await templates.list(sandbox, { name: flags.name, limit: 200 });
        if (flags.json) printJson(page.items);
        else
          printTable(page.items as unknown as Record<string, unknown>[], [
            'id',
            'name',
            'version',
            'messageType',
            'updatedAt',
          ]);
        return;
      }
      case 'get': {
        const n = templateVersionFlag(flags);
        return show(
          n === undefined
            ? await templates.get(sandbox, need(id, 'template'))
            : await templates.getVersion(sandbox, need(id, 'template'), n),
        );
      }
      case 'create':
        return show(
          await templates.create(
            sandbox,
            CLI_ACTOR,
            checkedBody<TemplateInput>(flags, TemplateBody),
          ),
        );
      case 'update':
        return show(
          await templates.update(
            sandbox,
            CLI_ACTOR,
            need(id, 'template'),
            checkedBody<TemplateInput>(flags, TemplateBody),
            version(flags),
          ),
        );
      case 'delete':
        await templates.delete(sandbox, CLI_ACTOR, need(id, 'template'));
        return flags.json ? printJson({ deleted: id }) : console.log(`Deleted template ${id}.`);
      case 'preview': {
        const target = previewTarget(flags);
        const { items } = await templates.preview(sandbox, need(id, 'template'), target);
        if (flags.json) return printJson({ items });
        return printTable(items.map(previewRow), [
          'phone',
          'ok',
          'segments',
          'encoding',
          'characters',
          'text',
          'problems',
        ]);
      }
      default:
        throw new UsageError(
          `unknown action "${verb ?? ''}": use list, get, create, update, delete or preview`,
        );
    }
  });
}

/** `--data` as the preview route takes it, or `--phones` / `--profile-ids` / `--template-version`. */
function previewTarget(flags: ResourceFlags): PreviewTarget {
  if (flags.data !== undefined || flags.file !== undefined)
    return checkedBody<PreviewTarget>(flags, PreviewBody);
  const phones = listFlag(flags.phones);
  const profileIds = listFlag(flags['profile-ids']);
  const n = templateVersionFlag(flags);
  if (phones === undefined && profileIds === undefined)
    throw new UsageError('name whom to preview for: --phones +1415…,… or --profile-ids ID,…');
  return checked<PreviewTarget>(
    {
      ...(phones ? { phones } : {}),
      ...(profileIds ? { profileIds } : {}),
      ...(n !== undefined ? { version: n } : {}),
    },
    PreviewBody,
  );
}

function previewRow(item: PreviewItem): Record<string, unknown> {
  return {
    ...item,
    phone: item.phone ?? item.profileId ?? '',
    problems: item.problems.map((p) => `${p.path ?? ''} ${p.message}`.trim()),
  };
}
