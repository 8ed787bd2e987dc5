import type { KeywordResponse } from '../keywords/keyword-response.js';
import { printedPending } from './approval-output.js';
import { printJson, printRecord, printTable } from './output.js';
import { body, seg, version, type ApiCommand } from './resource-commands.js';
import { UsageError } from './usage.js';

/** `tern keyword-responses list|get KEYWORD|set KEYWORD|delete KEYWORD --credential ID` */
export const keywordResponsesCommand: ApiCommand = async (api, [verb, keyword], flags) => {
  const credentialId = flags.credential;
  if (!credentialId) throw new UsageError('give the credential: --credential ID');
  const base = `/v1/credentials/${seg(credentialId)}/keyword-responses`;
  const needKeyword = () => {
    if (!keyword) throw new UsageError('give the keyword, e.g. tern keyword-responses set OFFERS');
    return keyword;
  };
  const show = (value: KeywordResponse) => {
    if (printedPending(flags, value)) return;
    if (flags.json) printJson(value);
    else printRecord(row(value));
  };
  switch (verb) {
    case 'list': {
      const answer = await api.get<{ items: KeywordResponse[] }>(base);
      if (flags.json) return printJson(answer);
      return printTable(answer.items.map(row), [
        'keyword',
        'active',
        'templateId',
        'actions',
        'version',
        'updatedAt',
      ]);
    }
    case 'get':
      return show(await api.get<KeywordResponse>(`${base}/${seg(needKeyword())}`));
    case 'set':
      return show(
        await api.put<KeywordResponse>(
          `${base}/${seg(needKeyword())}`,
          body(flags),
          version(flags),
        ),
      );
    case 'delete': {
      const word = needKeyword();
      const answer = await api.delete(`${base}/${seg(word)}`, { ifMatch: version(flags) });
      if (printedPending(flags, answer)) return;
      return flags.json
        ? printJson({ deleted: word })
        : console.log(`Deleted the response to ${word.toUpperCase()}.`);
    }
    default:
      throw new UsageError(
        `unknown action "${verb ?? ''}": use list, get, set or delete (with --credential ID)`,
      );
  }
};

/** A response as one table row: its actions by type. */
function row(r: KeywordResponse): Record<string, unknown> {
  return { ...r, actions: r.actions.map((a) => a.type).join(', ') || '(none)' };
}
