/**
 * A benchmark that only starts an embedded PostgreSQL and waits, for bench-cli.test.ts: run through runBench like
 * the real ones, so the test can interrupt it and check what is left.
 */
import { startEmbeddedPostgres } from '../../lib/dev/embedded-postgres';
import { progress, runBench } from '../../bench/support/cli';

runBench({ script: 'bench:probe', description: 'Starts an embedded PostgreSQL and waits to be interrupted.', options: [{ name: 'fail', help: 'fail once started' }] }, async (args) => {
  const pg = await startEmbeddedPostgres();
  await pg.createDatabase('probe');
  progress(`ready ${pg.dir}`);
  if (args.fail) throw new Error('probe failure\nwith a second line');
  await new Promise(() => undefined);
});
