import { expect, it } from 'vitest';
import {
  AdminTokenVerifier,
  createAdminToken,
  revokeAdminToken,
} from '../src/auth/admin-tokens.js';
import { systemClock } from '../src/clock.js';
import { describeEachDialect } from './helpers/databases.js';

describeEachDialect('admin token verification cache', ({ db }) => {
  it('trusts a verified token without a query, and forgets it at once on revocation', async () => {
    const { id, token } = await createAdminToken(db(), systemClock, { name: 'cached' });
    const verifier = new AdminTokenVerifier(db(), undefined);
    expect(await verifier.verify(token)).toMatchObject({ tokenId: id, name: 'cached' });

    // Cached: a change behind the process's back (another process) is not seen at once…
    await db().kysely.updateTable('admin_tokens').set({ name: 'renamed' }).execute();
    expect(await verifier.verify(token)).toMatchObject({ tokenId: id, name: 'cached' });

    // …but a revocation through this process is, by every verifier of this database.
    expect(await revokeAdminToken(db(), systemClock, id)).toBe(true);
    expect(await verifier.verify(token)).toBeUndefined();
    expect(await new AdminTokenVerifier(db(), undefined).verify(token)).toBeUndefined();
  });

  it('does not cache a verification that overlapped a revocation', async () => {
    const { id, token } = await createAdminToken(db(), systemClock, { name: 'racing' });
    const verifier = new AdminTokenVerifier(db(), undefined);
    // Started before the revocation: it may answer as before, but must not be remembered.
    const during = verifier.verify(token);
    const revoked = revokeAdminToken(db(), systemClock, id);
    await Promise.all([during, revoked]);
    expect(await verifier.verify(token)).toBeUndefined();
  });

  it('does not cache unknown tokens: one created elsewhere works at once', async () => {
    const verifier = new AdminTokenVerifier(db(), undefined);
    const { token } = await createAdminToken(db(), systemClock, { name: 'later' });
    expect(await verifier.verify('tern_unknown')).toBeUndefined();
    expect(await verifier.verify(token)).toMatchObject({ name: 'later' });
  });
});
