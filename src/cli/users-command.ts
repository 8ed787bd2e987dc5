import { recordAudit } from '../audit/audit.js';
import { setPassword } from '../auth/sign-in.js';
import { hashPassword } from '../auth/passwords.js';
import type { Actor } from '../auth/principal.js';
import { isRole, ROLES } from '../auth/roles.js';
import { revokeUserSessions } from '../auth/sessions.js';
import { createUser, findUserByEmail, normaliseEmail, toUser } from '../auth/users.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { CLI_BUSY_TIMEOUT_MS, openDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { AppError } from '../errors.js';
import { printJson, printTable } from './output.js';
import { UsageError } from './usage.js';

/** Who the audit log names for these commands: whoever has the server's database. */
const CLI: Actor = { kind: 'cli', id: 'cli', name: 'command line', address: null };

/** The password piped on stdin (one trailing newline dropped, as `echo` adds one). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(
      '--password-stdin reads the password from a pipe: echo "…" | tern users …',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    // A password is at most 256 characters; stop reading well before a runaway pipe fills memory.
    if (size > 4096) throw new UsageError('The password on stdin is too long.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function requireEmail(values: Record<string, unknown>): string {
  if (typeof values.email !== 'string') throw new UsageError('--email is required');
  return normaliseEmail(values.email);
}

async function userByEmail(db: Db, email: string) {
  const user = await findUserByEmail(db.kysely, email);
  if (!user) throw new AppError('not_found', `No user with email ${email}.`);
  return user;
}

/**
 * `tern users create|reset-password|list|disable`: recovery on the server's own database (the
 * first administrator, a lost password), the one place besides migrations and key rotation
 * where the CLI opens the database directly: with no one able to sign in, the API cannot help.
 */
export async function usersCommand(
  config: Config,
  positionals: string[],
  values: Record<string, unknown>,
): Promise<number> {
  const action = positionals[0];
  const json = values.json === true;
  const db = openDatabase(config.databaseUrl, { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
  const clock = systemClock;
  try {
    await migrateToLatest(db);
    switch (action) {
      case 'create': {
        const email = requireEmail(values);
        const roles = [values.role ?? []].flat() as string[];
        const sandbox = typeof values.sandbox === 'string' ? values.sandbox : undefined;
        const bad = roles.filter((r) => !isRole(r));
        if (bad.length > 0)
          throw new UsageError(`--role must be one of ${ROLES.join(', ')} (not ${bad.join(', ')})`);
        if (roles.length > 0 && !sandbox) throw new UsageError('--role needs --sandbox');
        if (sandbox && roles.length === 0)
          throw new UsageError('--sandbox needs at least one --role');
        if (sandbox) {
          const exists = await db.kysely
            .selectFrom('sandboxes')
            .select('name')
            .where('name', '=', sandbox)
            .executeTakeFirst();
          if (!exists) throw new AppError('not_found', `Sandbox "${sandbox}" not found.`);
        }
        const password = values['password-stdin'] === true ? await readPassword() : undefined;
        const passwordHash = password === undefined ? null : await hashPassword(password);
        const row = await db.kysely.transaction().execute(async (trx) => {
          const user = await createUser(trx, clock, {
            email,
            name: typeof values.name === 'string' ? values.name.slice(0, 200) : null,
            passwordHash,
            instanceAdmin: values.admin === true,
          });
          const now = clock.now().toISOString();
          for (const role of new Set(roles)) {
            await trx
              .insertInto('memberships')
              .values({ sandbox: sandbox ?? '', user_id: user.id, role, created_at: now })
              .execute();
          }
          await recordAudit(trx, clock, {
            sandbox: sandbox ?? null,
            actor: CLI,
            action: 'user.created',
            resourceType: 'user',
            resourceId: user.id,
            resourceName: user.email,
            fields: [
              'email',
              ...(values.admin === true ? ['instanceAdmin'] : []),
              ...(roles.length ? ['roles'] : []),
            ],
          });
          return user;
        });
        if (json) {
          printJson({
            user: toUser(row),
            roles: sandbox ? { [sandbox]: [...new Set(roles)] } : {},
          });
        } else {
          console.log(
            `Created ${row.email}${values.admin === true ? ' (instance administrator)' : ''}.`,
          );
          if (passwordHash === null) {
            console.log(
              `No password yet: set one with\n  echo '<password>' | tern users reset-password --email ${row.email} --password-stdin\n(12 to 256 characters), then sign in to the console.`,
            );
          }
        }
        return 0;
      }
      case 'reset-password': {
        const email = requireEmail(values);
        if (values['password-stdin'] !== true)
          throw new UsageError('reset-password needs --password-stdin');
        const password = await readPassword();
        const user = await userByEmail(db, email);
        await setPassword(db, clock, user.id, password);
        await recordAudit(db.kysely, clock, {
          sandbox: null,
          actor: CLI,
          action: 'user.password_reset',
          resourceType: 'user',
          resourceId: user.id,
          resourceName: user.email,
          fields: ['password'],
        });
        if (json) printJson({ user: toUser(user), sessionsRevoked: true });
        else console.log(`Password set for ${user.email}; their sessions were signed out.`);
        return 0;
      }
      case 'disable': {
        const email = requireEmail(values);
        const user = await userByEmail(db, email);
        const now = clock.now().toISOString();
        await db.kysely
          .updateTable('users')
          .set({ disabled_at: user.disabled_at ?? now, updated_at: now })
          .where('id', '=', user.id)
          .execute();
        await revokeUserSessions(db, clock, user.id);
        await recordAudit(db.kysely, clock, {
          sandbox: null,
          actor: CLI,
          action: 'user.disabled',
          resourceType: 'user',
          resourceId: user.id,
          resourceName: user.email,
          fields: ['disabledAt'],
        });
        const disabled = toUser({ ...user, disabled_at: user.disabled_at ?? now });
        if (json) printJson({ user: disabled });
        else console.log(`Disabled ${user.email}; their sessions were signed out.`);
        return 0;
      }
      case 'list': {
        const rows = await db.kysely.selectFrom('users').selectAll().orderBy('email').execute();
        const memberships = await db.kysely.selectFrom('memberships').selectAll().execute();
        const users = rows.map((row) => {
          const roles: Record<string, string[]> = {};
          for (const m of memberships.filter((x) => x.user_id === row.id))
            (roles[m.sandbox] ??= []).push(m.role);
          return { ...toUser(row), roles };
        });
        if (json) {
          printJson({ data: users });
        } else {
          printTable(
            users.map((u) => ({
              email: u.email,
              name: u.name,
              admin: u.instanceAdmin ? 'yes' : '',
              password: u.hasPassword ? 'set' : '',
              disabled: u.disabledAt ?? '',
              roles: Object.entries(u.roles)
                .map(([s, r]) => `${s}: ${r.join('+')}`)
                .join(', '),
            })),
            ['email', 'name', 'admin', 'password', 'disabled', 'roles'],
          );
        }
        return 0;
      }
      default:
        throw new UsageError(
          'tern users create|reset-password|list|disable (see tern users --help)',
        );
    }
  } finally {
    await db.close();
  }
}
