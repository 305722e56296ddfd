import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { ingestBatch } from '../../lambda/sink/ingest';
import { renderNatsConfig } from '../../lib/nats-config';
import { StackOutputs } from '../../lib/operator/deployment';
import { startPreview } from '../../lib/preview';
import { startNatsServer, testServerSettings } from '../support/nats-server';
import { createTestDatabase } from '../support/postgres';
import { startLocalHttp } from './local-http';
import { producerDouble } from './producer-double';

export const APP_HTML =
  '<!doctype html><html lang="en"><head><title>perftool viewer</title><script type="module" crossorigin src="/assets/index-abc.js"></script></head><body><div id="app"></div></body></html>';

/** What CloudFront's response headers policy adds to the viewer (lib/constructs/web.ts). */
export const CLOUDFRONT_HEADERS = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
};

export interface LocalStack {
  /** Stack outputs pointing at the local stand-ins. */
  outputs: Pick<StackOutputs, 'GraphqlUrl' | 'ViewerUrl' | 'MqttEndpoint'>;
  /** The password the local NATS accepts from the Pi (what the Pi MQTT secret holds). */
  mqttPassword: string;
  /** A connection to the results database (as the sink uses it). */
  sink: Client;
  /** A kafkajs producer double that hands what it sends to the real sink after `delayMs`, as the MSK event source mapping would. */
  producerIntoSink(delayMs: number): ReturnType<typeof producerDouble>;
  close(): Promise<void>;
}

/**
 * Local stand-ins for a deployed stack: a real PostgreSQL with the schema, the real sink, the local preview's
 * GraphQL endpoint over that database, the real nats-server with the deployed configuration, and an HTTP server
 * answering for the viewer with CloudFront's headers. Needs the jest global PostgreSQL (TEST_PG* variables).
 */
export async function startLocalStack(): Promise<LocalStack> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const db = await createTestDatabase('smoke');
    closers.push(() => db.drop());
    const sink = new Client(db.config);
    await sink.connect();
    closers.push(() => sink.end());
    await applyMigrations(sink, { defaultPerftoolName: 'perftool-sinetstream-target' });

    const assetsDir = await mkdtemp(join(tmpdir(), 'smoke-viewer-'));
    closers.push(() => rm(assetsDir, { recursive: true, force: true }));
    await writeFile(join(assetsDir, 'index.html'), APP_HTML);
    const { user, password, host, port, database } = db.config;
    const preview = await startPreview({ port: 0, databaseUrl: `postgres://${user}:${password}@${host}:${port}/${database}`, assetsDir });
    closers.push(() => preview.close());

    const s = await testServerSettings();
    const nats = await startNatsServer(renderNatsConfig({ ...s, serverName: 'smoke-local' }), s);
    closers.push(() => nats.stop());

    const viewer = await startLocalHttp((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...CLOUDFRONT_HEADERS }).end(APP_HTML);
    });
    closers.push(() => viewer.close());

    let offset = 0;
    const pending = new Set<Promise<unknown>>();
    closers.push(async () => void (await Promise.allSettled(pending)));
    return {
      outputs: { GraphqlUrl: `${preview.url}/v1/graphql`, ViewerUrl: `${viewer.url}/`, MqttEndpoint: `${s.host}:${s.mqttPort}` },
      mqttPassword: nats.mqttCredentials.password,
      sink,
      producerIntoSink: (delayMs) =>
        producerDouble({
          onSend: async (record) => {
            const records = record.messages.map((m) => ({
              topic: record.topic,
              partition: 0,
              offset: offset++,
              timestamp: Date.now(),
              value: Buffer.from(m.value as Buffer).toString('base64'),
            }));
            const delivery = new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => ingestBatch(sink, records));
            pending.add(delivery);
          },
        }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
