/** `npm test` prints nothing a user could take for a problem with this project. */
import { KafkaClient } from '@aws-sdk/client-kafka';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('test output', () => {
  it("has no AWS SDK notice about Node versions when a test creates an SDK client", () => {
    const warnings: string[] = [];
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
      warnings.push(String(warning));
    });
    try {
      const client = new KafkaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      client.destroy();
    } finally {
      emitWarning.mockRestore();
    }
    expect(warnings.filter((w) => w.includes('NodeVersionSupportWarning'))).toEqual([]);
  });
});

describe('npm ci output', () => {
  it('has no install-script warning: package.json allows or denies every install script in the lockfile explicitly', () => {
    const root = join(__dirname, '..', '..');
    const { allowScripts = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    // Every platform's optional packages are in the lockfile, so this covers macOS and ARM machines too.
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in allowScripts))).toEqual([]);
  });
});
