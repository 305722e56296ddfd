/**
 * Prints what `npm run smoke` prints, against the local stand-ins of test/operator/local-stack.ts (no AWS):
 *   npx tsx test/operator/smoke-local.ts
 * The step durations are the figures quoted in README.md ("Smoke test"). Exit code = the smoke run's.
 */
import { processIo, quietAwsSdk } from '../../lib/operator/cli';
import { smokeMain } from '../../lib/operator/smoke-cli';
import { mockDeployedStack } from './aws-fixture';
import { startLocalStack } from './local-stack';

async function main(): Promise<number> {
  quietAwsSdk();
  // The jest global setup starts the embedded PostgreSQL and sets TEST_PG*; a variable specifier keeps tsc off the .mjs.
  const support = '../support/postgres-global-';
  const { default: setup } = await import(`${support}setup.mjs`);
  const { default: teardown } = await import(`${support}teardown.mjs`);
  await setup();
  try {
    const local = await startLocalStack();
    const aws = mockDeployedStack({ outputs: local.outputs, mqttPassword: local.mqttPassword });
    try {
      // The sink sees the record 1 s after the send, roughly what the event source mapping's batching adds.
      return await smokeMain(process.argv.slice(2), processIo, { clients: aws.clients, kafka: local.producerIntoSink(1000).factory });
    } finally {
      aws.restore();
      await local.close();
    }
  } finally {
    await teardown();
  }
}

void main().then((code) => {
  process.exitCode = code;
});
