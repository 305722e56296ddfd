import { z } from 'zod';

/** CloudFormation passes every resource property as a string; this parses them with a clear error. */
export function parseProperties<T extends z.ZodType>(schema: T, props: unknown): z.infer<T> {
  const result = schema.safeParse(props);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(properties)'}: ${i.message}`).join('; ');
    throw new Error(`invalid custom resource properties: ${detail}`);
  }
  return result.data;
}

export const positiveInt = z.coerce.number().int().positive();
