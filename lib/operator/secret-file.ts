import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const SECRET_FILE_MODE = 0o600;

/**
 * Writes a file that holds a secret so that it is never readable by others, not even for a moment:
 * the text goes to a new 0600 file next to the target, which then replaces the target (an existing
 * file's wider mode is not inherited). Missing directories are created 0700.
 */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', SECRET_FILE_MODE);
  try {
    await handle.writeFile(text);
    await handle.close();
    // The umask can only remove bits; set the mode exactly in case it was unusual.
    await chmod(temp, SECRET_FILE_MODE);
    await rename(temp, path);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
}
