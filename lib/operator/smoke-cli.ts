import { parseArgs } from 'node:util';
import { CliIo, DEFAULT_STACK_NAME, positiveInteger, runCli, STACK_OPTIONS } from './cli';
import { AwsClients, createAwsClients, Deployment, resolveDeployment } from './deployment';
import { waitForResult } from './smoke/graphql-poll';
import { createKafka, KafkaFactory, publishResult } from './smoke/kafka-publish';
import { mqttRoundTrip } from './smoke/mqtt-round-trip';
import { smokePerftoolResult, smokePublisherName } from './smoke/perftool-result';
import { runSmokeSteps, SmokeStep } from './smoke/runner';
import { checkViewer } from './smoke/viewer-check';

export const SMOKE_USAGE = `Usage: npm run smoke -- [options]

End-to-end check of a deployed stack from this machine. Prints PASS/FAIL per step with its duration and exits
non-zero if any step fails:
  deployment      read the stack outputs, the MSK public bootstrap brokers and the Pi's Kafka and MQTT credentials
  kafka-publish   publish one SINETStream v3 perftool result with a unique name (SASL/SCRAM over TLS)
  graphql-result  poll the public GraphQL endpoint (anonymous, through CloudFront) until that result appears
  mqtt-qos1       MQTT 3.1.1 QoS 1 publish/subscribe round trip through the NLB, logged in as the Pi
  viewer          the viewer URL serves the app with its security headers

Options:
  --stack NAME      CloudFormation stack name (default ${DEFAULT_STACK_NAME})
  --region REGION   AWS region (default: AWS_REGION or the profile's region)
  --timeout S       seconds to wait for the result in GraphQL (default 180)
  -h, --help        show this help
`;

/** What the smoke test talks to; tests replace the AWS clients and the Kafka producer. */
export interface SmokeDependencies {
  clients: (region?: string) => AwsClients;
  kafka: KafkaFactory;
}

/** Equal up to float formatting on the way through JSON, PostgreSQL and Hasura. */
function sameRate(stored: number, published: number): boolean {
  return Math.abs(stored - published) <= 1e-9 * Math.abs(published);
}

/** The smoke steps against one deployment (resolved by the first step). */
export function smokeSteps(resolve: () => Promise<Deployment>, kafka: KafkaFactory, graphqlTimeoutMs: number): SmokeStep[] {
  let deployment: Deployment;
  const publisher = smokePublisherName();
  const result = smokePerftoolResult(publisher, Date.now());
  return [
    {
      name: 'deployment',
      run: async () => {
        deployment = await resolve();
        return `stack ${deployment.stackName}, ${deployment.bootstrapBrokers.split(',').length} public brokers, Pi user ${deployment.credentials.username}`;
      },
    },
    {
      name: 'kafka-publish',
      needs: ['deployment'],
      run: async () => {
        const bytes = await publishResult({
          bootstrapBrokers: deployment.bootstrapBrokers,
          credentials: deployment.credentials,
          topic: deployment.outputs.ResultTopic,
          result,
          tstampMicros: BigInt(Date.now()) * 1000n,
          kafka,
        });
        return `${bytes.length} bytes as "${publisher}" to ${deployment.outputs.ResultTopic}`;
      },
    },
    {
      name: 'graphql-result',
      needs: ['kafka-publish'],
      run: async () => {
        const { row, attempts } = await waitForResult({ graphqlUrl: deployment.outputs.GraphqlUrl, publisher, timeoutMs: graphqlTimeoutMs });
        if (!sameRate(row.writer_bytes_rate, result.writer.msg_bytes_rate) || !sameRate(row.reader_bytes_rate, result.reader.msg_bytes_rate)) {
          throw new Error(`stored rates ${row.writer_bytes_rate}/${row.reader_bytes_rate} differ from the published ${result.writer.msg_bytes_rate}/${result.reader.msg_bytes_rate}`);
        }
        return `stored at ${row.timestamp} (${attempts} queries)`;
      },
    },
    {
      name: 'mqtt-qos1',
      needs: ['deployment'],
      run: async () => {
        const topic = `perftool-smoke/${publisher}`;
        const { roundTripMs } = await mqttRoundTrip({ endpoint: deployment.outputs.MqttEndpoint, topic, credentials: deployment.mqttCredentials, timeoutMs: 15000 });
        return `${deployment.outputs.MqttEndpoint} ${topic}, round trip ${roundTripMs} ms`;
      },
    },
    {
      name: 'viewer',
      needs: ['deployment'],
      run: async () => {
        const { headers } = await checkViewer(deployment.outputs.ViewerUrl);
        return `${deployment.outputs.ViewerUrl} serves the app with ${headers.join(', ')}, frame protection`;
      },
    },
  ];
}

/** `npm run smoke`; returns the exit code. */
export function smokeMain(argv: string[], io: CliIo, deps: SmokeDependencies = { clients: createAwsClients, kafka: createKafka }): Promise<number> {
  return runCli('smoke', io, async () => {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...STACK_OPTIONS,
        timeout: { type: 'string', default: '180' },
      },
    });
    if (values.help) {
      io.stdout(SMOKE_USAGE);
      return 0;
    }
    const timeoutMs = positiveInteger('timeout', values.timeout) * 1000;
    const steps = smokeSteps(() => resolveDeployment(deps.clients(values.region), values.stack), deps.kafka, timeoutMs);
    const { ok } = await runSmokeSteps(steps, io);
    return ok ? 0 : 1;
  });
}
