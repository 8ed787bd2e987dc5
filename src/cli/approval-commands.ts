import { APPROVAL_STATUSES, type Approval } from '../approvals/approval.js';
import { oneOf } from './flag-values.js';
import { resourceCommand, show } from './resource-commands.js';

/**
 * `tern approvals list [--status S]|get ID|cancel ID`: the changes waiting for (or decided by) a
 * second person. Approving and rejecting are a signed-in person's, in the console: the CLI holds
 * an admin token, which the API refuses as an approver.
 */
export const approvalsCommand = resourceCommand<Approval>({
  noun: 'approval request',
  collection: '/v1/approvals',
  standard: ['list', 'get'],
  list: {
    query: (flags) => ({ status: oneOf(flags, APPROVAL_STATUSES) }),
    columns: ['id', 'kind', 'resource', 'status', 'requestedBy', 'requestedAt', 'decidedBy'],
    row: (a) => ({
      ...a,
      resource: `${a.resource.type} ${a.resource.name ?? a.resource.id}`,
      requestedBy: a.requestedBy.name ?? a.requestedBy.id,
      decidedBy: a.decidedBy ? (a.decidedBy.name ?? a.decidedBy.id) : '',
    }),
  },
  verbs: {
    // Only the requester may withdraw a request (the API answers 403 otherwise).
    cancel: async ({ api, path, flags }) => show(flags, await api.post(`${path()}/cancel`)),
  },
});
