// Placeholder so the CDK app can bundle this entry point; replaced by the MSK sink handler (issue 2).
export async function handler(): Promise<never> {
  throw new Error('sink handler not implemented yet');
}
