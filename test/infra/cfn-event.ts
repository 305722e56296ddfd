import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** A CloudFormation custom-resource event as the Provider framework hands it to a handler. */
export function cfnEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  resourceType: string,
  props: Record<string, unknown>,
  physicalId = 'existing-id',
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'token',
    ResponseURL: 'https://example.invalid',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Resource',
    ResourceType: resourceType,
    PhysicalResourceId: physicalId,
    ResourceProperties: { ServiceToken: 'token', ...props },
    OldResourceProperties: {},
  } as unknown as CloudFormationCustomResourceEvent;
}
