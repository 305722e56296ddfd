/**
 * Schema-init custom resource (CDK Provider framework onEvent handler). Create/Update apply the migrations and
 * seed the viewer default; Delete leaves the data alone. Failures throw, and the Provider reports the message.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { DB_SECRET_CALL, connect } from '../shared/db';
import type { AwsCalls } from '../shared/aws-calls';
import { applyMigrations } from './migrate';

export const AWS_CALLS: AwsCalls = { handler: [DB_SECRET_CALL] };

const logger = new Logger({ serviceName: 'perftool-db-init' });

/** Stable, so an Update never looks like a replacement (which would make CloudFormation Delete the old one). */
export const PHYSICAL_RESOURCE_ID = 'perftool-results-schema';

export interface DbInitResponse {
  PhysicalResourceId: string;
  Data?: { SchemaVersion: string };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<DbInitResponse> {
  if (event.RequestType === 'Delete') {
    logger.info('delete: schema and data left in place');
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const defaultPerftoolName = event.ResourceProperties?.DefaultPerftoolName;
  if (typeof defaultPerftoolName !== 'string' || defaultPerftoolName === '') {
    throw new Error('ResourceProperties.DefaultPerftoolName (the MQTT target topic) is required');
  }
  const client = await connect();
  try {
    const previous = event.RequestType === 'Update' ? event.OldResourceProperties?.DefaultPerftoolName : undefined;
    const result = await applyMigrations(client, {
      defaultPerftoolName,
      previousDefaultPerftoolName: typeof previous === 'string' ? previous : undefined,
    });
    logger.info('schema ready', { requestType: event.RequestType, applied: result.applied, schemaVersion: result.schemaVersion });
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { SchemaVersion: String(result.schemaVersion) } };
  } finally {
    await client.end().catch(() => undefined);
  }
}
