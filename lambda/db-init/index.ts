/**
 * Schema-init custom resource (CDK Provider framework onEvent handler). Create/Update apply the migrations, seed the
 * viewer default, then create or update the roles Hasura and the sink connect as (roles.ts), with the passwords of
 * their Secrets Manager secrets. Delete leaves the data alone. Failures throw, and the Provider reports the message.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import metadata from '../../lib/hasura/metadata.json';
import { DB_SECRET_CALL, connect } from '../shared/db';
import { type AwsCalls, getSecretCall } from '../shared/aws-calls';
import { applyMigrations } from './migrate';
import { applyRoles } from './roles';

export const AWS_CALLS: AwsCalls = {
  handler: [DB_SECRET_CALL, getSecretCall({ property: 'HasuraSecretArn' }), getSecretCall({ property: 'SinkSecretArn' })],
};

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
  const hasuraSecretArn = event.ResourceProperties?.HasuraSecretArn;
  const sinkSecretArn = event.ResourceProperties?.SinkSecretArn;
  if (typeof hasuraSecretArn !== 'string' || typeof sinkSecretArn !== 'string' || !hasuraSecretArn || !sinkSecretArn) {
    throw new Error('ResourceProperties.HasuraSecretArn and SinkSecretArn (the database role secrets) are required');
  }
  const passwords = { hasura: await rolePassword(hasuraSecretArn), sink: await rolePassword(sinkSecretArn) };
  const client = await connect();
  try {
    const previous = event.RequestType === 'Update' ? event.OldResourceProperties?.DefaultPerftoolName : undefined;
    const result = await applyMigrations(client, {
      defaultPerftoolName,
      previousDefaultPerftoolName: typeof previous === 'string' ? previous : undefined,
    });
    await applyRoles(client, passwords, metadata);
    logger.info('schema ready', { requestType: event.RequestType, applied: result.applied, schemaVersion: result.schemaVersion });
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { SchemaVersion: String(result.schemaVersion) } };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The password field of a role secret (the JSON RDS-style secrets hold); never logged. */
async function rolePassword(secretArn: string): Promise<string> {
  const value = (await getSecret(secretArn, { transform: 'json', maxAge: 0 })) as { password?: unknown } | undefined;
  if (typeof value?.password !== 'string' || value.password === '') throw new Error(`secret ${secretArn} has no password field`);
  return value.password;
}
