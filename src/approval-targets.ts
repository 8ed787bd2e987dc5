import type { ApprovalTargets } from './approvals/approval.js';
import type { CampaignService } from './campaigns/campaign.service.js';
import type { ConsentPolicy, SandboxService } from './sandboxes/sandboxes.js';
import type { CredentialService } from './credentials/credential.service.js';
import { AppError } from './errors.js';
import type { KeywordResponseInput } from './keywords/keyword-response.js';
import type { KeywordResponseService } from './keywords/keyword-response.service.js';
import type { PolicyService, RuleInput } from './policy/policy.service.js';

/** The services approvals guard; wiring only (each change goes through its service). */
export interface GuardedServices {
  campaigns: CampaignService;
  keywordResponses: KeywordResponseService;
  policy: PolicyService;
  sandboxes: SandboxService;
  credentials: CredentialService;
}

/** The resource id a policy rule's create waits under (the rule has no id yet). */
export const NEW_RULE = 'new';

/** A version read that answers null for a resource that does not exist (deleted meanwhile). */
async function versionOrNull(read: () => Promise<{ version: number }>): Promise<string | null> {
  try {
    return String((await read()).version);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return null;
    throw error;
  }
}

/** `credentialId:KEYWORD`, as keyword responses name themselves in the audit log. */
function keywordOf(resourceId: string): { credentialId: string; keyword: string } {
  const at = resourceId.indexOf(':');
  return { credentialId: resourceId.slice(0, at), keyword: resourceId.slice(at + 1) };
}

/** A stored version as the services' If-Match argument (null: the resource did not exist). */
const expected = (version: string | null) => (version === null ? undefined : Number(version));

/** How each guarded change is read (its version) and applied through its own service. */
export function approvalTargets(s: GuardedServices): ApprovalTargets {
  return {
    'campaign.confirm': {
      version: (sandbox, id) => versionOrNull(() => s.campaigns.get(sandbox, id)),
      apply: (sandbox, actor, id, change, version) =>
        s.campaigns.confirm(sandbox, actor, id, change, expected(version)),
    },
    'keyword_response.set': {
      version: (sandbox, id) => {
        const { credentialId, keyword } = keywordOf(id);
        return versionOrNull(() => s.keywordResponses.get(sandbox, credentialId, keyword));
      },
      check: async (sandbox, id, change) => {
        const { credentialId, keyword } = keywordOf(id);
        const input = change as unknown as KeywordResponseInput;
        await s.keywordResponses.check(sandbox, credentialId, keyword, input);
      },
      apply: (sandbox, actor, id, change, version) => {
        const { credentialId, keyword } = keywordOf(id);
        return s.keywordResponses.set(
          sandbox,
          actor,
          credentialId,
          keyword,
          change as unknown as KeywordResponseInput,
          expected(version),
        );
      },
    },
    'keyword_response.delete': {
      version: (sandbox, id) => {
        const { credentialId, keyword } = keywordOf(id);
        return versionOrNull(() => s.keywordResponses.get(sandbox, credentialId, keyword));
      },
      apply: async (sandbox, actor, id, _change, version) => {
        const { credentialId, keyword } = keywordOf(id);
        await s.keywordResponses.delete(sandbox, actor, credentialId, keyword, expected(version));
        return { deleted: id };
      },
    },
    'policy_rule.create': {
      version: () => Promise.resolve(null),
      check: (_sandbox, _id, change) => {
        s.policy.checkCreate(change as unknown as RuleInput);
        return Promise.resolve();
      },
      apply: (sandbox, actor, _id, change) =>
        s.policy.create(sandbox, actor, change as unknown as RuleInput),
    },
    'policy_rule.update': {
      version: (sandbox, id) => versionOrNull(() => s.policy.get(sandbox, id)),
      check: (sandbox, id, change) => s.policy.checkUpdate(sandbox, id, change),
      apply: (sandbox, actor, id, change, version) =>
        s.policy.update(sandbox, actor, id, change, expected(version)),
    },
    'policy_rule.delete': {
      version: (sandbox, id) => versionOrNull(() => s.policy.get(sandbox, id)),
      apply: async (sandbox, actor, id) => {
        await s.policy.delete(sandbox, actor, id);
        return { deleted: id };
      },
    },
    'sandbox.consent_policy': {
      // The sandbox has no version: the policy it had when the change was requested stands in.
      version: (sandbox) => s.sandboxes.consentPolicy(sandbox),
      apply: (sandbox, actor, _id, change) =>
        s.sandboxes.setConsentPolicy(sandbox, change.consentPolicy as ConsentPolicy, actor),
    },
    'credential.keywords': {
      version: (sandbox, id) =>
        versionOrNull(async () => (await s.credentials.get(sandbox, id)).credential),
      check: (sandbox, id, change) => s.credentials.checkUpdate(sandbox, id, change),
      // Its id and version only: the credential's view carries its webhook secrets.
      apply: async (sandbox, actor, id, change, version) => {
        const stored = await s.credentials.update(sandbox, actor, id, change, expected(version));
        return { id: stored.credential.id, version: stored.credential.version };
      },
    },
  };
}
