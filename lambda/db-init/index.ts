// Placeholder so the CDK app can bundle this entry point; replaced by the schema-init handler (issue 2).
export async function handler(): Promise<never> {
  throw new Error('db-init handler not implemented yet');
}
