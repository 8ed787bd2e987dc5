import { recordAudit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { findCredential } from '../credentials/credential.repository.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import type { Page } from '../db/pagination.js';
import { AppError, staleVersionError, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import {
  validateChannel,
  type ChannelConfiguration,
  type ChannelInput,
  type ChannelSettings,
} from './channel.js';
import {
  deleteChannel,
  findChannel,
  insertChannel,
  listChannels,
  updateChannel,
} from './channel.repository.js';

/** Channel configurations: which credential sends SMS or MMS, from which sender. */
export class ChannelService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async get(sandbox: string, id: string): Promise<ChannelConfiguration> {
    const channel = await findChannel(this.deps.db.kysely, sandbox, id);
    if (!channel)
      throw new AppError('not_found', `No channel configuration ${id} in this sandbox.`);
    return channel;
  }

  list(
    sandbox: string,
    query: { name?: string; credentialId?: string; cursor?: string; limit: number },
  ): Promise<Page<ChannelConfiguration>> {
    return listChannels(this.deps.db.kysely, sandbox, query);
  }

  async create(sandbox: string, actor: Actor, input: ChannelInput): Promise<ChannelConfiguration> {
    const settings = await this.validate(sandbox, input, undefined);
    const now = this.deps.clock.now().toISOString();
    const channel: ChannelConfiguration = {
      ...settings,
      id: newId(),
      sandbox,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    await this.write(settings, async (trx) => {
      await insertChannel(trx, channel);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'channel_configuration.created',
        resourceType: 'channel_configuration',
        resourceId: channel.id,
        resourceName: channel.name,
        fields: Object.keys(settings),
      });
    });
    return channel;
  }

  async update(
    sandbox: string,
    actor: Actor,
    id: string,
    input: ChannelInput,
    expectedVersion: number | undefined,
  ): Promise<ChannelConfiguration> {
    const before = await this.get(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw staleVersionError('channel configuration', before.version);
    const settings = await this.validate(sandbox, input, before);
    const fields = (Object.keys(settings) as (keyof ChannelSettings)[]).filter(
      (k) => settings[k] !== before[k],
    );
    if (fields.length === 0) return before;
    const channel: ChannelConfiguration = {
      ...before,
      ...settings,
      updatedAt: this.deps.clock.now().toISOString(),
      version: before.version + 1,
    };
    await this.write(settings, async (trx) => {
      if (!(await updateChannel(trx, channel, before.version)))
        throw staleVersionError('channel configuration');
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'channel_configuration.updated',
        resourceType: 'channel_configuration',
        resourceId: id,
        resourceName: channel.name,
        fields,
      });
    });
    return channel;
  }

  async delete(sandbox: string, actor: Actor, id: string): Promise<void> {
    const { name } = await this.get(sandbox, id);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await deleteChannel(trx, sandbox, id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'channel_configuration.deleted',
        resourceType: 'channel_configuration',
        resourceId: id,
        resourceName: name,
        fields: [],
      });
    });
  }

  private async validate(
    sandbox: string,
    input: ChannelInput,
    current: ChannelSettings | undefined,
  ): Promise<ChannelSettings> {
    const { settings, problems } = validateChannel(input, current);
    const unknownCredential: ErrorDetail = {
      path: '/credentialId',
      message: 'is not an API credential of this sandbox',
    };
    const stored =
      settings.credentialId === ''
        ? undefined
        : await findCredential(this.deps.db.kysely, sandbox, settings.credentialId);
    if (settings.credentialId !== '' && !stored) problems.push(unknownCredential);
    // Infobip requires the principal entity with any DLT id; it is the credential's.
    if (stored && !stored.credential.dltPrincipalEntityId) {
      for (const field of ['dltContentTemplateId', 'dltTelemarketerId'] as const)
        if (settings[field] !== null)
          problems.push({
            path: `/${field}`,
            message: 'needs a DLT principal entity id on the credential first',
          });
    }
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The channel configuration is not valid.', problems);
    return settings;
  }

  private async write(
    settings: ChannelSettings,
    work: (trx: Executor) => Promise<void>,
  ): Promise<void> {
    try {
      await this.deps.db.kysely.transaction().execute(work);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new AppError(
        'conflict',
        `A channel configuration named "${settings.name}" already exists in this sandbox.`,
        [{ path: '/name', message: 'is taken in this sandbox' }],
      );
    }
  }
}
