import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import metadata from '../../lib/hasura/metadata.json';
import { parseProperties } from '../custom-resource/properties';
import { type AwsCalls, getSecretCall } from '../shared/aws-calls';
import { applyMetadata } from './apply';

const logger = new Logger({ serviceName: 'hasura-metadata' });

export const AWS_CALLS: AwsCalls = { handler: [getSecretCall({ property: 'AdminSecretArn' })] };

const Properties = z.object({
  HasuraUrl: z.string().startsWith('http'),
  AdminSecretArn: z.string().min(1),
  MetadataHash: z.string().min(1),
});

/** Custom resource (Provider framework): applies lib/hasura/metadata.json. Delete is a no-op (Hasura goes too). */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context) {
  const props = parseProperties(Properties, event.ResourceProperties);
  const physicalId = event.RequestType === 'Create' ? 'hasura-metadata' : event.PhysicalResourceId;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
  const adminSecret = await getSecret(props.AdminSecretArn, { maxAge: 0 });
  if (typeof adminSecret !== 'string' || adminSecret.length === 0) throw new Error('the Hasura admin secret is empty');
  const result = await applyMetadata(
    { url: props.HasuraUrl.replace(/\/+$/, ''), adminSecret },
    metadata,
    {
      deadline: Date.now() + context.getRemainingTimeInMillis() - 30_000,
      delayMs: 10_000,
      onRetry: (err, attempt) => logger.warn('Hasura not ready, retrying', { attempt, error: String(err) }),
    },
  );
  logger.info('metadata applied', { metadataHash: props.MetadataHash, ...result });
  return { PhysicalResourceId: physicalId, Data: { MetadataHash: props.MetadataHash } };
}
