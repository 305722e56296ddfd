/**
 * The AWS API calls a Lambda handler makes, listed next to its code. test/infra/iam-calls.test.ts checks each one
 * against the function's role in the synthesized template (resource types from AWS's authorization data), and checks
 * that the list names every SDK operation the handler's modules can send.
 */
export type ResourceSource =
  /** A custom resource property (event.ResourceProperties). */
  | { property: string }
  /** An environment variable of the function. */
  | { environment: string };

export interface AwsCall {
  /** IAM action with its service prefix, e.g. 'kafka:UpdateClusterConfiguration'. */
  action: string;
  /**
   * The resource the call names for each resource type of the action (AWS's resource type names, e.g. 'cluster'),
   * and where the handler takes it from. Empty for actions that take no resource ('*').
   */
  resources: Record<string, ResourceSource>;
}

/** The calls of each exported handler of a module (`handler`, or `onEvent` / `isComplete`). */
export type AwsCalls = Record<string, readonly AwsCall[]>;

/** Reading a secret through Powertools (`getSecret`) is one GetSecretValue call. */
export const getSecretCall = (secret: ResourceSource): AwsCall => ({ action: 'secretsmanager:GetSecretValue', resources: { Secret: secret } });
