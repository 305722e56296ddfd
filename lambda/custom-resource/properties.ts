import { z } from 'zod';

/**
 * CloudFormation passes every resource property as a string; this parses them (or a secret's JSON) with an error
 * that names the fields, never their values.
 */
export function parseProperties<T extends z.ZodType>(schema: T, props: unknown, what = 'custom resource properties'): z.infer<T> {
  const result = schema.safeParse(props);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid ${what}: ${detail}`);
  }
  return result.data;
}

export const positiveInt = z.coerce.number().int().positive();
