import type { Config } from '../config.js';
import { KeywordResponseBody } from '../http/routes/keyword-responses.js';
import type { KeywordResponse, KeywordResponseInput } from '../keywords/keyword-response.js';
import { checkedBody } from './checked-body.js';
import { printJson, printRecord, printTable } from './output.js';
import { CLI_ACTOR, sandboxOf, version, withRuntime } from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

/** `tern keyword-responses list|get KEYWORD|set KEYWORD|delete KEYWORD --credential ID` */
export async function keywordResponsesCommand(
  config: Config,
  [verb, keyword]: string[],
  flags: ResourceFlags,
): Promise<void> {
  const credentialId = flags.credential;
  if (!credentialId) throw new UsageError('give the credential: --credential ID');
  const needKeyword = () => {
    if (!keyword) throw new UsageError('give the keyword, e.g. tern keyword-responses set OFFERS');
    return keyword;
  };
  await withRuntime(config, async (runtime) => {
    const responses = runtime.services.keywordResponses;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (value: KeywordResponse) =>
      flags.json ? printJson(value) : printRecord(row(value));
    switch (verb) {
      case 'list': {
        const items = await responses.list(sandbox, credentialId);
        if (flags.json) return printJson(items);
        return printTable(items.map(row), [
          'keyword',
          'active',
          'templateId',
          'actions',
          'version',
          'updatedAt',
        ]);
      }
      case 'get':
        return show(await responses.get(sandbox, credentialId, needKeyword()));
      case 'set':
        return show(
          await responses.set(
            sandbox,
            CLI_ACTOR,
            credentialId,
            needKeyword(),
            checkedBody<KeywordResponseInput>(flags, KeywordResponseBody),
            version(flags),
          ),
        );
      case 'delete': {
        const word = needKeyword();
        await responses.delete(sandbox, CLI_ACTOR, credentialId, word, version(flags));
        return flags.json
          ? printJson({ deleted: word })
          : console.log(`Deleted the response to ${word.toUpperCase()}.`);
      }
      default:
        throw new UsageError(
          `unknown action "${verb ?? ''}": use list, get, set or delete (with --credential ID)`,
        );
    }
  });
}

/** A response as one table row: its actions by type. */
function row(r: KeywordResponse): Record<string, unknown> {
  return { ...r, actions: r.actions.map((a) => a.type).join(', ') || '(none)' };
}
