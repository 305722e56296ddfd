/** Container images, pinned so a redeploy never picks up a different engine. */
export const NATS_IMAGE = 'nats:2.11.6-alpine';
export const HASURA_IMAGE = 'hasura/graphql-engine:v2.48.6';
